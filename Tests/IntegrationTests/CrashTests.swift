import Glibc
import Testing

/// kill -9 of `vzctl create` and `vzctl destroy` at random points: whatever
/// is left, `vzlist -a` shows only complete containers, and the next
/// create/destroy works (security guide §3.6).
@Suite(.serialized)
struct CrashTests {
    /// Delays spread over the whole run of a create of the busybox template
    /// (~20-100 ms here), plus a few past its end.
    static func delays(_ n: Int) -> [useconds_t] {
        (0..<n).map { i in useconds_t(i * 150_000 / n + Int.random(in: 0..<3000)) }
    }

    @Test func killDuringCreate() {
        TestNode.with { node in
            let baseline = node.tree("/vz/private")
            var killed = 0
            for (i, delay) in Self.delays(24).enumerated() {
                let p = Spawn.start([Spawn.vzctl, "create", "201", "--ostemplate", TestNode.busyboxName], env: node.env)
                usleep(delay)
                kill(p.pid, SIGKILL)
                let r = Spawn.wait(p.pid, out: p.out, err: p.err)
                if r.signal == SIGKILL { killed += 1 }

                let listed = node.vzlist("-a", "-H", "-o", "ctid").stdout
                if listed.isEmpty {
                    #expect(!node.exists("/etc/vz/conf/201.conf"), "run \(i): a config without a listed container")
                } else {
                    // Listed means complete: the whole template is there.
                    #expect(listed == "       201\n", "run \(i)")
                    #expect(node.exists("/vz/private/201/bin/busybox"), "run \(i)")
                    #expect(node.exists("/vz/private/201/sbin/init"), "run \(i)")
                }
                // The next create succeeds, or says the container exists.
                let again = node.vzctl("create", "201", "--ostemplate", TestNode.busyboxName)
                #expect(again.status == 0 || (again.status == 44 && !listed.isEmpty), "run \(i) retry: \(again.output)")
                #expect(node.vzlist("-a", "-H", "-o", "ctid").stdout == "       201\n", "run \(i)")
                #expect(node.vzctl("destroy", "201").status == 0, "run \(i)")
                #expect(node.tree("/vz/private") == baseline, "run \(i): left \(node.tree("/vz/private"))")
            }
            #expect(killed >= 10, "too few runs were actually killed mid-way (\(killed))")
        }
    }

    @Test func killDuringDestroy() {
        TestNode.with { node in
            var killed = 0
            for (i, delay) in Self.delays(24).enumerated() {
                let c = node.vzctl("create", "202", "--ostemplate", TestNode.busyboxName)
                #expect(c.status == 0, "run \(i): \(c.output)")
                let p = Spawn.start([Spawn.vzctl, "destroy", "202"], env: node.env)
                usleep(delay / 3)
                kill(p.pid, SIGKILL)
                let r = Spawn.wait(p.pid, out: p.out, err: p.err)
                if r.signal == SIGKILL { killed += 1 }

                let listed = node.vzlist("-a", "-H", "-o", "ctid").stdout
                if !listed.isEmpty {
                    #expect(node.exists("/vz/private/202/bin/busybox"), "run \(i): listed but incomplete")
                }
                // Re-running destroy finishes, and then create works again.
                let d = node.vzctl("destroy", "202")
                #expect(d.status == 0, "run \(i): \(d.output)")
                #expect(node.vzlist("-a", "-H").stdout.isEmpty)
                #expect(node.tree("/vz/private").isEmpty, "run \(i): left \(node.tree("/vz/private"))")
            }
            #expect(killed >= 8, "too few runs were actually killed mid-way (\(killed))")
            #expect(node.vzctl("create", "202", "--ostemplate", TestNode.busyboxName).status == 0)
        }
    }
}
