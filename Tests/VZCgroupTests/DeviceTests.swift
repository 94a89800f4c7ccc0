import Testing
import VZConfig
@testable import VZCgroup

/// The default allowlist, its merge with DEVICES, and the v2 BPF program
/// it compiles to, run through `DeviceProgram.evaluate`.
@Suite struct DeviceTests {
    @Test func defaultAllowlistAsV1Lines() {
        #expect(DeviceAllowlist.defaults.map(\.description) == [
            "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
            "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
            "c *:* m", "b *:* m",
        ])
        #expect(DeviceAllowlist.effective(devices: []) == DeviceAllowlist.defaults)
    }

    @Test func devicesConfigMerges() throws {
        let tun = try DeviceAllowlist.effective(devices: DeviceRule.parseList("c:10:200:rw"))
        #expect(tun.map(\.description) == DeviceAllowlist.defaults.map(\.description) + ["c 10:200 rw"])

        // A narrower access replaces the default for that device.
        let roNull = try DeviceAllowlist.effective(devices: DeviceRule.parseList("c:1:3:r"))
        #expect(roNull.contains(DeviceAccessRule(.char, 1, 3, [.read])))
        #expect(!roNull.contains(DeviceAccessRule(.char, 1, 3, .rwm)))

        // `none` and `q` alone remove; `all` covers every minor of the major.
        let noMem = try DeviceAllowlist.effective(devices: DeviceRule.parseList("c:1:all:none c:5:2:q"))
        #expect(!noMem.contains { $0.major == 1 || ($0.major == 5 && $0.minor == 2) })
        #expect(noMem.contains(DeviceAccessRule(.char, 5, 0, .rwm)))
        // The wildcard mknod rules are never taken away.
        #expect(noMem.contains(DeviceAccessRule(.char, nil, nil, .mknod)))
        #expect(noMem.contains(DeviceAccessRule(.block, nil, nil, .mknod)))

        // The later entry for the same device wins.
        let twice = try DeviceAllowlist.effective(devices: DeviceRule.parseList("b:8:0:rw b:8:0:r"))
        #expect(twice.filter { $0.kind == .block && $0.major == 8 } == [DeviceAccessRule(.block, 8, 0, [.read])])
    }

    @Test func devicesListLinesParseBack() {
        for r in DeviceAllowlist.defaults + [DeviceAccessRule(.all, nil, nil, .rwm), DeviceAccessRule(.block, 8, 16, [.read, .write])] {
            #expect(DeviceAccessRule(line: Substring(r.description)) == r)
        }
        #expect(DeviceAccessRule(line: "x 1:3 rwm") == nil)
        #expect(DeviceAccessRule(line: "c 1:3 rwz") == nil)
        #expect(DeviceAccessRule(line: "c 1 rwm") == nil)
    }

    @Test func bpfProgramMatchesTheAllowlist() throws {
        let rules = try DeviceAllowlist.effective(devices: DeviceRule.parseList("c:10:200:rw c:1:5:r"))
        let p = DeviceProgram(allowing: rules)
        // Allowed: the defaults, each access.
        for a: DeviceAccessRule.Access in [.read, .write, .mknod] {
            #expect(p.evaluate(.char, major: 1, minor: 3, access: a))
            #expect(p.evaluate(.char, major: 136, minor: 7, access: a))
            #expect(p.evaluate(.char, major: 5, minor: 2, access: a))
        }
        // mknod of anything, opening of nothing else.
        #expect(p.evaluate(.block, major: 254, minor: 0, access: .mknod))
        #expect(p.evaluate(.char, major: 1, minor: 1, access: .mknod))
        #expect(!p.evaluate(.block, major: 254, minor: 0, access: .read))
        #expect(!p.evaluate(.block, major: 254, minor: 0, access: .write))
        #expect(!p.evaluate(.char, major: 1, minor: 1, access: .read))  // /dev/mem
        #expect(!p.evaluate(.char, major: 1, minor: 2, access: .write))
        #expect(!p.evaluate(.char, major: 4, minor: 1, access: .read))
        // DEVICES: tun rw but not beyond; zero made read-only.
        #expect(p.evaluate(.char, major: 10, minor: 200, access: .write))
        #expect(!p.evaluate(.char, major: 10, minor: 201, access: .read))
        #expect(p.evaluate(.char, major: 1, minor: 5, access: .read))
        #expect(!p.evaluate(.char, major: 1, minor: 5, access: .write))
        // A combined request must be covered as a whole.
        #expect(!p.evaluate(.char, major: 1, minor: 5, access: [.read, .write]))
        #expect(p.evaluate(.char, major: 1, minor: 3, access: [.read, .write]))
    }

    @Test func bpfProgramShape() {
        // Empty allowlist: prologue, then `r0 = 0; exit` — deny everything.
        let empty = DeviceProgram(allowing: [])
        #expect(empty.instructions.count == 8)
        #expect(empty.instructions.suffix(2) == [0x0000_0000_0000_00b7, 0x0000_0000_0000_0095])
        #expect(!empty.evaluate(.char, major: 1, minor: 3, access: .read))
        // `a *:* rwm` compiles to an unconditional allow.
        let all = DeviceProgram(allowing: [DeviceAccessRule(.all, nil, nil, .rwm)])
        #expect(all.instructions.count == 10)
        #expect(all.evaluate(.block, major: 8, minor: 0, access: .write))
        // First instruction: r2 = *(u32 *)(r1 + 0).
        #expect(all.instructions[0] == 0x0000_0000_0000_1261)
    }
}
