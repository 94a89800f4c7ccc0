import Glibc
import Testing

/// `vzctl create`, `status`, `destroy` end to end on a scratch node, with
/// the exit codes of compat §5.
@Suite(.serialized)
struct CreateTests {
    @Test func createStatusListDestroy() {
        TestNode.with { node in
            var r = node.vzctl("create", "101", "--ostemplate", TestNode.busyboxName, "--hostname", "ct101.example.com",
                               "--ipadd", "198.51.100.11", "--name", "web1", "--description", "first", "--layout", "simfs")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stdout.contains("Creating container private area (\(TestNode.busyboxName))"))
            #expect(r.stdout.contains("Container private area was created"))
            #expect(node.exists("/vz/private/101/bin/busybox"))
            #expect(node.exists("/vz/root/101"))

            let conf = node.read("/etc/vz/conf/101.conf")
            #expect(conf.contains("HOSTNAME=\"ct101.example.com\""))
            #expect(conf.contains("IP_ADDRESS=\"198.51.100.11\""))
            #expect(conf.contains("OSTEMPLATE=\"\(TestNode.busyboxName)\""))
            #expect(conf.contains("VE_PRIVATE=\"/vz/private/$VEID\""))
            #expect(conf.contains("ORIGIN_SAMPLE=\"vswap-256m\""))
            #expect(conf.contains("VE_LAYOUT=\"simfs\""))
            #expect(conf.contains("PHYSPAGES="), "sample contents copied")

            r = node.vzctl("status", "101")
            #expect(r.status == 0)
            #expect(r.stdout == "CTID 101 exist unmounted down\n")
            r = node.vzctl("status", "web1")
            #expect(r.stdout == "CTID 101 exist unmounted down\n", "names resolve")

            r = node.vzlist("-a", "-H", "-o", "ctid,hostname")
            #expect(r.status == 0)
            #expect(r.stdout == "       101 ct101.example.com\n")

            r = node.vzctl("destroy", "101")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stdout.contains("Destroying container private area: /vz/private/101"))
            #expect(r.stdout.contains("Container private area was destroyed"))
            #expect(!node.exists("/vz/private/101"))
            #expect(!node.exists("/etc/vz/conf/101.conf"))
            #expect(node.exists("/etc/vz/conf/101.conf.destroyed"))
            #expect(!node.exists("/etc/vz/names/web1"))
            #expect(node.vzctl("status", "101").stdout == "CTID 101 deleted unmounted down\n")
            #expect(node.tree("/vz/private").isEmpty, "no staging or trash left: \(node.tree("/vz/private"))")
        }
    }

    @Test func exitCodes() {
        TestNode.with { node in
            let t = TestNode.busyboxName
            #expect(node.vzctl("create", "101", "--ostemplate", t).status == 0)
            // 44: private area exists
            var r = node.vzctl("create", "101", "--ostemplate", t)
            #expect(r.status == 44, "\(r.output)")
            #expect(r.stderr.contains("Private area already exists in /vz/private/101"))
            // 91: template not in the cache
            r = node.vzctl("create", "102", "--ostemplate", "centos-4-nonexistent")
            #expect(r.status == 91, "\(r.output)")
            #expect(!node.exists("/etc/vz/conf/102.conf"))
            // 82: sample missing
            r = node.vzctl("create", "102", "--ostemplate", t, "--config", "nosuchsample")
            #expect(r.status == 82, "\(r.output)")
            // 21: bad values and bad CTIDs, nothing written
            for bad in [["--hostname", "-bad-"], ["--diskspace", "lots"], ["--description", "a\"b"], ["--description", "x\ny"]] {
                r = node.vzctl(["create", "102", "--ostemplate", t] + bad)
                #expect(r.status != 0 && r.status != 44, "\(bad): \(r.output)")
            }
            // Paths that would put a container on the host's / are refused.
            for bad in [["--root", "/vz/.."], ["--root", "/"], ["--private", "//"], ["--private", "/vz/./x"], ["--root", "relative"]] {
                r = node.vzctl(["create", "102", "--ostemplate", t] + bad)
                #expect(r.status == 21, "\(bad): \(r.output)")
            }
            #expect(!node.exists("/etc/vz/conf/102.conf"))
            for id in ["0", "abc", "0102", "+102", "2147483645", "../102", ""] {
                r = node.vzctl("create", id, "--ostemplate", t)
                #expect(r.status == 21, "\(id.debugDescription): \(r.output)")
            }
            // 21: unknown option for create; 20: unknown option for status
            #expect(node.vzctl("create", "102", "--ostemplate", t, "--bogus").status == 21)
            #expect(node.vzctl("status", "102", "--bogus").status == 20)
            // 20: no command, bad command
            #expect(node.vzctl().status == 20)
            #expect(node.vzctl("frobnicate", "101").status == 20)
            #expect(node.vzctl("enter", "101", "--exec").status == 20, "--exec without a command")
            #expect(!node.exists("/etc/vz/conf/102.conf"))
            #expect(node.tree("/vz/private") == ["./101"] || node.tree("/vz/private").allSatisfy { $0.hasPrefix("./101") })
        }
    }

    @Test func badTemplateIs47() {
        TestNode.with { node in
            // A tarball without /sbin/init and /bin/sh.
            let r0 = Spawn.shell("set -e; d=$(mktemp -d); mkdir -p $d/etc; echo x > $d/etc/motd; tar --numeric-owner -C $d -czf '\(node.root)/vz/template/cache/empty-1-x86_64.tar.gz' .; rm -rf $d")
            #expect(r0.status == 0)
            let r = node.vzctl("create", "103", "--ostemplate", "empty-1-x86_64")
            #expect(r.status == 47, "\(r.output)")
            #expect(!node.exists("/vz/private/103"))
            #expect(!node.exists("/etc/vz/conf/103.conf"))
            #expect(node.tree("/vz/private").isEmpty)
        }
    }

    @Test func diskspaceBudgetIs46() {
        TestNode.with { node in
            // The busybox tree is ~2 MiB: a 100 KB hard limit cannot hold it.
            let r = node.vzctl("create", "104", "--ostemplate", TestNode.busyboxName, "--diskspace", "50K:100K")
            #expect(r.status == 46, "\(r.output)")
            #expect(!node.exists("/vz/private/104"))
            #expect(!node.exists("/etc/vz/conf/104.conf"))
            #expect(node.tree("/vz/private").isEmpty)
        }
    }

    @Test func lockedIs9() {
        TestNode.with { node in
            // Hold the lock the way another vzctl would: flock on LOCKDIR/CTID.lck.
            let holder = Spawn.start(["/usr/bin/flock", node.path("/vz/lock/105.lck"), "sleep", "30"], env: node.env)
            defer { kill(holder.pid, SIGKILL); _ = Spawn.wait(holder.pid, out: holder.out, err: holder.err) }
            var waited = 0
            while !node.exists("/vz/lock/105.lck") && waited < 100 { usleep(20_000); waited += 1 }
            usleep(100_000)
            let r = node.vzctl("create", "105", "--ostemplate", TestNode.busyboxName)
            #expect(r.status == 9, "\(r.output)")
            #expect(r.stderr.contains("Container already locked"))
            #expect(!node.exists("/vz/private/105"))
        }
    }

    @Test func autoAssignsDistinctIDs() {
        TestNode.with { node in
            #expect(node.vzctl("create", "101", "--ostemplate", TestNode.busyboxName).status == 0)
            let a = Spawn.start([Spawn.vzctl, "--quiet", "create", "auto", "--ostemplate", TestNode.busyboxName], env: node.env)
            let b = Spawn.start([Spawn.vzctl, "--quiet", "create", "auto", "--ostemplate", TestNode.busyboxName], env: node.env)
            let ra = Spawn.wait(a.pid, out: a.out, err: a.err)
            let rb = Spawn.wait(b.pid, out: b.out, err: b.err)
            #expect(ra.status == 0 && rb.status == 0, "\(ra.output) \(rb.output)")
            let ids = Set([ra.stdout, rb.stdout])
            #expect(ids == ["102\n", "103\n"], "\(ids)")
            let listed = node.vzlist("-a", "-1").stdout
            #expect(listed == "       101\n       102\n       103\n")
        }
    }
}
