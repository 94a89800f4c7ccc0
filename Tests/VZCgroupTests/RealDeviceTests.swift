import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// The device cgroup for real, on the v1 devices controller and on the v2
/// BPF program (which the kernel runs for the unified hierarchy on this
/// hybrid host too). Nodes made with mknod in a temp dir: the host's root
/// disk must give EPERM inside the VPS's cgroup. This machine's sandbox
/// already refuses that disk to everyone, so the proof that the cgroup is
/// what denies is a block device the test can open outside (loop0, 7:0)
/// and a char device outside the allowlist (/dev/kmsg, 1:11): both open
/// outside, both fail with EPERM inside.
@Suite(.serialized, .enabled(if: hostLayout != nil && rootDevice() != nil, "needs root, v1 cgroups and a root disk"))
struct RealDeviceTests {
    let host = hostLayout!

    /// A temp dir with `disk` (block node of the root disk), `loop`
    /// (7:0), `kmsg` (c 1:11) and `null` (c 1:3).
    final class Nodes {
        let dir: TempDir
        var disk: String { dir.path + "/disk" }
        var loop: String { dir.path + "/loop" }
        var kmsg: String { dir.path + "/kmsg" }
        var null: String { dir.path + "/null" }
        init() throws {
            dir = try TempDir("dev")
            let (maj, min) = rootDevice()!
            #expect(mknod(disk, S_IFBLK | 0o600, makedev(maj, min)) == 0)
            #expect(mknod(loop, S_IFBLK | 0o600, makedev(7, 0)) == 0)
            #expect(mknod(kmsg, S_IFCHR | 0o600, makedev(1, 11)) == 0)
            #expect(mknod(null, S_IFCHR | 0o666, makedev(1, 3)) == 0)
        }
        func close() { dir.close() }
    }

    /// Opens FILE for reading (`: <FILE` in sh) in a child that is moved
    /// into the cgroup by `place` before it opens anything; returns exit
    /// status and output (sh's "cannot open ...: <strerror>").
    func openInChild(_ file: String, place: (pid_t) throws -> Void) throws -> (Int32, String) {
        let gate = try Gate()
        defer { gate.close() }
        let out = try TempDir("out")
        defer { out.close() }
        let pid = try spawn(["sh", "-c", "read x; : <\"$0\"", file],
                            stdin: gate.readFD, output: out.path + "/log")
        do { try place(pid) } catch { kill(pid, SIGKILL); reap(pid); throw error }
        gate.release()
        let status = reap(pid)
        return (status, readFile(out.path + "/log") ?? "")
    }

    @Test func v1DevicesAllowlist() throws {
        let nodes = try Nodes()
        defer { nodes.close() }
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        try c.setDevices(DeviceAllowlist.effective(devices: []))
        let devices = try #require(c.backends.first { $0.canSetDevices && $0.version == .v1 } as? CgroupV1)
        // Exactly the allowlist, nothing from the parent's `a *:* rwm`.
        #expect(Set(try devices.deviceList()) == Set(DeviceAllowlist.defaults))
        #expect(try devices.deviceList().count == DeviceAllowlist.defaults.count)

        try expectDenied(nodes) { try c.attach($0) }

        // `vzctl set --devices b:7:0:r` on a running VPS takes effect live
        // (DEVICES refuses loop devices; the cgroup layer does not judge).
        try c.setDevices(DeviceAllowlist.defaults + [DeviceAccessRule(.block, 7, 0, [.read])])
        #expect(try devices.deviceList().contains(DeviceAccessRule(.block, 7, 0, [.read])))
        let (granted, _) = try openInChild(nodes.loop) { try c.attach($0) }
        #expect(granted == 0)
        // And taken away again.
        try c.setDevices(DeviceAllowlist.defaults)
        let (revoked, log) = try openInChild(nodes.loop) { try c.attach($0) }
        #expect(revoked != 0 && log.contains("Operation not permitted"))
    }

    /// Outside the cgroup loop0 and kmsg open; inside, the root disk, loop0
    /// and kmsg give EPERM while /dev/null's device still opens.
    func expectDenied(_ nodes: Nodes, place: (pid_t) throws -> Void) throws {
        for f in [nodes.loop, nodes.kmsg] {
            let (outside, log) = try openInChild(f) { _ in }
            #expect(outside == 0, "\(f) outside: \(log)")
        }
        for f in [nodes.disk, nodes.loop, nodes.kmsg] {
            let (inside, log) = try openInChild(f, place: place)
            #expect(inside != 0, "\(f) opened inside")
            #expect(log.contains("Operation not permitted"), "\(f): \(log)")
        }
        let (null, log) = try openInChild(nodes.null, place: place)
        #expect(null == 0, "null: \(log)")
    }

    @Test func v1DevicesWithChildCgroupsChangeRuleByRule() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        try c.setDevices(DeviceAllowlist.defaults)
        let devices = try #require(c.backends.first { $0.canSetDevices && $0.version == .v1 } as? CgroupV1)
        // A child cgroup (systemd inside): `devices.deny a` is refused now.
        #expect(mkdir(devices.path + "/init.scope", 0o755) == 0)
        let tun = DeviceAccessRule(.char, 10, 200, [.read, .write])
        try c.setDevices(DeviceAllowlist.defaults.filter { $0.major != 136 } + [tun])
        let list = Set(try devices.deviceList())
        #expect(list == Set(DeviceAllowlist.defaults.filter { $0.major != 136 } + [tun]))
    }

    @Test func v2BpfDeviceProgram() throws {
        let unified = try #require(host.unified)
        let nodes = try Nodes()
        defer { nodes.close() }
        let n = ScratchNode(host)
        defer { n.close() }
        let v2 = CgroupV2(mountPoint: unified.mountPoint, relativePath: n.cgroup.relativePath)
        try v2.create()
        try v2.setDevices(DeviceAllowlist.effective(devices: []))
        let dfd = try v2.openDirectory()
        #expect(DeviceProgram.attachedPrograms(dfd).count == 1)

        try expectDenied(nodes) { try v2.attach($0) }

        // Replacing keeps exactly one program, and the new one rules.
        try v2.setDevices(DeviceAllowlist.defaults + [DeviceAccessRule(.block, 7, 0, [.read])])
        #expect(DeviceProgram.attachedPrograms(dfd).count == 1)
        let (granted, _) = try openInChild(nodes.loop) { try v2.attach($0) }
        #expect(granted == 0)
        let (kmsg, _) = try openInChild(nodes.kmsg) { try v2.attach($0) }
        #expect(kmsg != 0)
        try v2.remove(until: Deadline(after: .seconds(2)))
        #expect(!Files.exists(v2.path))
    }
}

func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
    let ma = UInt64(major), mi = UInt64(minor)
    return dev_t(((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff))
}
