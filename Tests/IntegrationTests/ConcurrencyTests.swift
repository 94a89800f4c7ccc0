import Glibc
import Testing

@Suite(.serialized)
struct ConcurrencyTests {
    /// 16 writers race on one config: each either wins the lock and saves or
    /// is refused with 9; the file stays valid and holds one winner's value.
    @Test func concurrentSetSave() {
        TestNode.with { node in
            #expect(node.vzctl("create", "301", "--ostemplate", TestNode.busyboxName).status == 0)
            let before = node.read("/etc/vz/conf/301.conf")
            let procs = (0..<16).map { i in
                Spawn.start([Spawn.vzctl, "set", "301", "--description", "writer-\(i)", "--save"], env: node.env)
            }
            let results = procs.map { Spawn.wait($0.pid, out: $0.out, err: $0.err) }
            var winners: Set<String> = []
            for (i, r) in results.enumerated() {
                #expect(r.status == 0 || r.status == 9, "writer \(i): \(r.output)")
                if r.status == 0 { winners.insert("writer-\(i)") }
            }
            #expect(!winners.isEmpty)
            let after = node.read("/etc/vz/conf/301.conf")
            let lines = after.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.allSatisfy { $0.isEmpty || $0.hasPrefix("#") || $0.contains("=") })
            let desc = lines.filter { $0.hasPrefix("DESCRIPTION=") }
            #expect(desc.count == 1)
            let value = desc.first.map { String($0.dropFirst("DESCRIPTION=\"".count).dropLast()) } ?? ""
            #expect(winners.contains(value), "\(value) not among \(winners)")
            // Every other line is unchanged.
            #expect(after.split(separator: "\n").filter { !$0.hasPrefix("DESCRIPTION=") }
                    == before.split(separator: "\n").filter { !$0.hasPrefix("DESCRIPTION=") })
            #expect(Spawn.shell("bash -n '\(node.path("/etc/vz/conf/301.conf"))'").status == 0)
            #expect(node.tree("/etc/vz/conf").allSatisfy { !$0.contains(".tmp.") }, "temp files left")
        }
    }

    /// Two creates of one CTID: exactly one wins; the other exits 9 or 44.
    @Test func concurrentCreateOfOneCTID() {
        TestNode.with { node in
            for round in 0..<5 {
                let a = Spawn.start([Spawn.vzctl, "create", "302", "--ostemplate", TestNode.busyboxName], env: node.env)
                let b = Spawn.start([Spawn.vzctl, "create", "302", "--ostemplate", TestNode.busyboxName], env: node.env)
                let ra = Spawn.wait(a.pid, out: a.out, err: a.err)
                let rb = Spawn.wait(b.pid, out: b.out, err: b.err)
                let codes = [ra.status, rb.status].sorted()
                #expect(codes == [0, 9] || codes == [0, 44], "round \(round): \(codes) \(ra.output) \(rb.output)")
                #expect(node.vzlist("-a", "-1").stdout == "       302\n")
                #expect(node.vzctl("destroy", "302").status == 0)
            }
        }
    }
}
