import Glibc
import Testing

@Suite(.serialized)
struct SetAndLockTests {
    @Test func setSaveRewritesInPlace() {
        TestNode.with { node in
            #expect(node.vzctl("create", "501", "--ostemplate", TestNode.busyboxName).status == 0)
            // An admin's comment and an unknown key survive.
            #expect(Spawn.shell("printf '# keep me\\nMY_OWN_KEY=\"x\"\\n' >> '\(node.path("/etc/vz/conf/501.conf"))'").status == 0)
            let before = node.read("/etc/vz/conf/501.conf").split(separator: "\n")
            let physIndex = before.firstIndex { $0.hasPrefix("PHYSPAGES=") }

            var r = node.vzctl("set", "501", "--ram", "512M", "--swap", "1G", "--numproc", "100:120",
                               "--hostname", "h.example.com", "--nameserver", "198.51.100.53", "--nameserver", "203.0.113.53",
                               "--ipadd", "198.51.100.5", "--ipadd", "2001:db8::5/64", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stdout.contains("CT configuration saved to /etc/vz/conf/501.conf"))
            let after = node.read("/etc/vz/conf/501.conf").split(separator: "\n")
            #expect(after.contains("# keep me"))
            #expect(after.contains("MY_OWN_KEY=\"x\""))
            #expect(after[physIndex!] == "PHYSPAGES=\"0:131072\"", "rewritten in place: \(after)")
            #expect(after.contains("SWAPPAGES=\"0:262144\""))
            #expect(after.contains("NUMPROC=\"100:120\""))
            #expect(after.contains("NAMESERVER=\"198.51.100.53 203.0.113.53\""))
            #expect(after.contains("IP_ADDRESS=\"198.51.100.5 2001:db8::5/64\""))
            #expect(after.filter { $0.hasPrefix("PHYSPAGES=") }.count == 1)

            r = node.vzctl("set", "501", "--ipdel", "198.51.100.5", "--save")
            #expect(r.status == 0)
            #expect(node.read("/etc/vz/conf/501.conf").contains("IP_ADDRESS=\"2001:db8::5/64\""))

            // Without --save: nothing written, vzctl's warning.
            let snapshot = node.read("/etc/vz/conf/501.conf")
            r = node.vzctl("set", "501", "--hostname", "other.example.com")
            #expect(r.status == 0)
            #expect(r.stderr.contains("WARNING: Settings were not saved to config (use --save flag)"))
            #expect(node.read("/etc/vz/conf/501.conf") == snapshot)

            // Refused values: exit code, file untouched.
            for (args, code) in [(["--hostname", "bad_host!"], Int32(70)), (["--ipadd", "300.1.1.1"], 71),
                                 (["--nameserver", "not-an-ip"], 72), (["--numproc", "12K"], 21),
                                 (["--description", "$(reboot)"], 21), (["--bogus-option", "1"], 21),
                                 (["--cpuunits", "7"], 21)] {
                r = node.vzctl(["set", "501"] + args + ["--save"])
                #expect(r.status == code, "\(args): \(r.output)")
                #expect(node.read("/etc/vz/conf/501.conf") == snapshot, "\(args) changed the file")
            }
            // A value past LONG_MAX is saved as unlimited, with vzctl's warning.
            r = node.vzctl("set", "501", "--kmemsize", "999999999999T", "--save")
            #expect(r.status == 0)
            #expect(r.stderr.contains("truncated to unlimited"), "\(r.output)")
            #expect(node.read("/etc/vz/conf/501.conf").contains("KMEMSIZE=\"unlimited\""))
            // --name needs --save (131), and names are unique.
            #expect(node.vzctl("set", "501", "--name", "alpha").status == 131)
            #expect(node.vzctl("set", "501", "--name", "alpha", "--save").status == 0)
            #expect(node.vzctl("status", "alpha").stdout == "CTID 501 exist unmounted down\n")
            #expect(node.vzctl("create", "502", "--ostemplate", TestNode.busyboxName, "--name", "alpha").status == 131)
            #expect(node.vzctl("set", "501", "--name", "beta", "--save").status == 0)
            #expect(!node.exists("/etc/vz/names/alpha"))
            #expect(node.vzctl("status", "beta").stdout == "CTID 501 exist unmounted down\n")
        }
    }

    /// A live holder is named in the 9 message; a lock file left by a dead
    /// process is taken over; --skiplock bypasses the lock.
    @Test func lockHolderStaleAndSkip() {
        TestNode.with { node in
            let lck = node.path("/vz/lock/601.lck")
            let holder = Spawn.start(["/usr/bin/flock", lck, "/bin/sh", "-c", "echo $$ > '\(lck)'; exec sleep 30"], env: node.env)
            defer { kill(holder.pid, SIGKILL); _ = Spawn.wait(holder.pid, out: holder.out, err: holder.err) }
            var pidText = ""
            for _ in 0..<200 where pidText.isEmpty { usleep(10_000); pidText = node.read("/vz/lock/601.lck") }
            let pid = pidText.split(separator: "\n").first.map(String.init) ?? "?"
            var r = node.vzctl("create", "601", "--ostemplate", TestNode.busyboxName)
            #expect(r.status == 9)
            #expect(r.stderr.contains("Container already locked"))
            #expect(r.stderr.contains("pid \(pid)"), "\(r.stderr)")
            r = node.vzctl("--skiplock", "create", "601", "--ostemplate", TestNode.busyboxName)
            #expect(r.status == 0, "\(r.output)")

            // Stale: a lock file naming a dead pid and held by nobody.
            #expect(Spawn.shell("echo 999999 > '\(node.path("/vz/lock/602.lck"))'").status == 0)
            r = node.vzctl("create", "602", "--ostemplate", TestNode.busyboxName)
            #expect(r.status == 0, "\(r.output)")
            #expect(!node.exists("/vz/lock/602.lck"), "lock file removed on release")
        }
    }

    @Test func destroyRefusedWhileMounted() {
        TestNode.with { node in
            #expect(node.vzctl("create", "701", "--ostemplate", TestNode.busyboxName).status == 0)
            #expect(Spawn.shell("mount --bind '\(node.path("/vz/private/701"))' '\(node.path("/vz/root/701"))'").status == 0)
            #expect(node.vzctl("status", "701").stdout == "CTID 701 exist mounted down\n")
            let r = node.vzctl("destroy", "701")
            #expect(r.status == 41, "\(r.output)")
            #expect(r.stderr.contains("Container is currently mounted (umount first)"))
            #expect(node.exists("/vz/private/701/bin/busybox"))
            #expect(Spawn.shell("umount '\(node.path("/vz/root/701"))'").status == 0)
            #expect(node.vzctl("destroy", "701").status == 0)
        }
    }
}
