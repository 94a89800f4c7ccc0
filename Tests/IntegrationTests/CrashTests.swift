import Glibc
import Testing

/// kill -9 of `vzctl create` and `vzctl destroy`: at every named crash point
/// (deterministic), and at random moments (24 runs each). Whatever is left,
/// `vzlist -a` shows only complete containers, and the next create/destroy
/// works and leaves no debris (security guide §3.6).
@Suite(.serialized)
struct CrashTests {
    static let createPoints = ["create.locked", "create.staged", "create.extracted", "create.renamed", "create.committed"]
    static let destroyPoints = ["destroy.locked", "destroy.trashed", "destroy.retired"]

    /// After a crashed create of CT 201: a listed container is complete; a
    /// retry succeeds (or says it exists, when it was complete); destroy
    /// leaves the private directory as it was.
    static func checkAfterCreateCrash(_ node: TestNode, _ what: String) {
        let t = TestNode.slowTemplate
        let listed = node.vzlist("-a", "-H", "-o", "ctid").stdout
        if listed.isEmpty {
            #expect(!node.exists("/etc/vz/conf/201.conf"), "\(what): a config without a listed container")
            #expect(node.vzctl("status", "201").stdout.hasPrefix("CTID 201 deleted"), "\(what)")
        } else {
            #expect(listed == "       201\n", "\(what)")
            #expect(node.entryCount("/vz/private/201") == t.entries, "\(what): listed but incomplete")
        }
        let again = node.vzctl("create", "201", "--ostemplate", t.name)
        #expect(again.status == 0 || (again.status == 44 && !listed.isEmpty), "\(what) retry: \(again.output)")
        #expect(node.vzlist("-a", "-H", "-o", "ctid").stdout == "       201\n", "\(what)")
        #expect(node.entryCount("/vz/private/201") == t.entries, "\(what)")
        #expect(node.vzctl("destroy", "201").status == 0, "\(what)")
        #expect(node.tree("/vz/private").isEmpty, "\(what): left \(node.tree("/vz/private"))")
        #expect(node.tree("/vz/lock").isEmpty, "\(what): lock left \(node.tree("/vz/lock"))")
    }

    /// After a crashed destroy of CT 202: a listed container is complete, and
    /// re-running destroy finishes the job.
    static func checkAfterDestroyCrash(_ node: TestNode, _ what: String) {
        let listed = node.vzlist("-a", "-H", "-o", "ctid").stdout
        if !listed.isEmpty {
            #expect(node.entryCount("/vz/private/202") == TestNode.slowTemplate.entries, "\(what): listed but incomplete")
        }
        let d = node.vzctl("destroy", "202")
        #expect(d.status == 0, "\(what): \(d.output)")
        #expect(node.vzlist("-a", "-H").stdout.isEmpty, "\(what)")
        #expect(node.tree("/vz/private").isEmpty, "\(what): left \(node.tree("/vz/private"))")
    }

    @Test(arguments: createPoints)
    func crashPointInCreate(_ point: String) {
        TestNode.with { node in
            node.addSlowTemplate()
            var env = node.env
            env["VZCTL_CRASH_AT"] = point
            let r = Spawn.run([Spawn.vzctl, "create", "201", "--ostemplate", TestNode.slowTemplate.name], env: env)
            #expect(r.signal == SIGKILL, "\(point): the crash point was not reached: \(r.output)")
            Self.checkAfterCreateCrash(node, point)
        }
    }

    @Test(arguments: destroyPoints)
    func crashPointInDestroy(_ point: String) {
        TestNode.with { node in
            node.addSlowTemplate()
            #expect(node.vzctl("create", "202", "--ostemplate", TestNode.slowTemplate.name).status == 0)
            var env = node.env
            env["VZCTL_CRASH_AT"] = point
            let r = Spawn.run([Spawn.vzctl, "destroy", "202"], env: env)
            #expect(r.signal == SIGKILL, "\(point): the crash point was not reached: \(r.output)")
            Self.checkAfterDestroyCrash(node, point)
        }
    }

    /// Wall time of one uninterrupted run, so the random kills spread over
    /// this machine's actual duration instead of a guessed one.
    static func duration(_ body: () -> Void) -> useconds_t {
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &a)
        body()
        clock_gettime(CLOCK_MONOTONIC, &b)
        return useconds_t(max(1000, (b.tv_sec - a.tv_sec) * 1_000_000 + (b.tv_nsec - a.tv_nsec) / 1000))
    }

    @Test func randomKillsDuringCreate() {
        TestNode.with { node in
            node.addSlowTemplate()
            let name = TestNode.slowTemplate.name
            let span = Self.duration { _ = node.vzctl("create", "201", "--ostemplate", name) }
            #expect(node.vzctl("destroy", "201").status == 0)
            for i in 0..<24 {
                let p = Spawn.start([Spawn.vzctl, "create", "201", "--ostemplate", name], env: node.env)
                usleep(useconds_t.random(in: 0...span))
                kill(p.pid, SIGKILL)
                _ = Spawn.wait(p.pid, out: p.out, err: p.err)
                Self.checkAfterCreateCrash(node, "random run \(i)")
            }
        }
    }

    @Test func randomKillsDuringDestroy() {
        TestNode.with { node in
            node.addSlowTemplate()
            let name = TestNode.slowTemplate.name
            #expect(node.vzctl("create", "202", "--ostemplate", name).status == 0)
            let span = Self.duration { _ = node.vzctl("destroy", "202") }
            for i in 0..<24 {
                #expect(node.vzctl("create", "202", "--ostemplate", name).status == 0, "random run \(i)")
                let p = Spawn.start([Spawn.vzctl, "destroy", "202"], env: node.env)
                usleep(useconds_t.random(in: 0...span))
                kill(p.pid, SIGKILL)
                _ = Spawn.wait(p.pid, out: p.out, err: p.err)
                Self.checkAfterDestroyCrash(node, "random run \(i)")
            }
        }
    }
}
