import Glibc
import Testing

/// Security guide §5 checks, run inside a busybox VPS as its root.
/// `nsenter -a` gives the VPS's view but keeps the host's capabilities, so
/// the commands go through Fixtures/dropcaps.c (static, copied into the
/// VPS) which narrows the bounding set to the init's before exec.
@Suite(.serialized)
struct IsolationTests {
    static let dropcaps: String = {
        // Kept beside the test templates (one file, rebuilt each run and
        // renamed into place), not one litter file per test process.
        let out = "/tmp/vzt-template-cache/dropcaps"
        let r = Spawn.shell("mkdir -p /tmp/vzt-template-cache && gcc -static -O2 -o '\(out).\(getpid())' '\(TestNode.repo)/Tests/IntegrationTests/Fixtures/dropcaps.c' && mv -f '\(out).\(getpid())' '\(out)'")
        precondition(r.status == 0, "building dropcaps failed: \(r.output)")
        return out
    }()

    static let privcalls: String = {
        let out = "/tmp/vzt-template-cache/privcalls"
        let r = Spawn.shell("gcc -static -O2 -o '\(out).\(getpid())' '\(TestNode.repo)/Tests/IntegrationTests/Fixtures/privcalls.c' && mv -f '\(out).\(getpid())' '\(out)'")
        precondition(r.status == 0, "building privcalls failed: \(r.output)")
        return out
    }()

    /// Runs a script inside with the capability sets of the VPS's init.
    static func asVPSRoot(_ node: TestNode, _ ctid: String, _ script: String) -> ProcessResult {
        guard let pid = node.initPid(ctid) else { return ProcessResult(status: -1, signal: nil, stdout: "", stderr: "no init") }
        let helper = node.rootPath(ctid) + "/.vzt-dropcaps"
        if access(helper, X_OK) != 0 {
            _ = Spawn.shell("cp '\(dropcaps)' '\(node.privatePath(ctid))/.vzt-dropcaps'")
        }
        let mask = String(caps(pid, "CapBnd"), radix: 16)
        return Spawn.run(["/usr/bin/nsenter", "-t", String(pid), "-a", "/.vzt-dropcaps", mask, "/bin/sh", "-c", script],
                         env: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    static let capNames = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    static func caps(_ pid: pid_t, _ field: String) -> UInt64 {
        let status = Spawn.readText("/proc/\(pid)/status")
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return UInt64(String(line.dropFirst(field.count + 1)).filter { !$0.isWhitespace }, radix: 16) ?? UInt64.max
    }

    static func bit(_ name: String) -> UInt64 { UInt64(1) << UInt64(capNames.firstIndex(of: name)!) }

    @Test func capabilitiesOfInit() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            node.appendConfig("101", "CAPABILITY=\"NET_ADMIN:on SYS_ADMIN:on CHOWN:off\"")
            let r = node.vzctl("start", "101")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stderr.contains("SYS_ADMIN is never given"), "\(r.output)")
            let pid = node.initPid("101")!
            let bnd = IsolationTests.caps(pid, "CapBnd")
            #expect(IsolationTests.caps(pid, "CapEff") == bnd)
            #expect(IsolationTests.caps(pid, "CapPrm") == bnd)
            #expect(IsolationTests.caps(pid, "CapInh") == 0)
            #expect(IsolationTests.caps(pid, "CapAmb") == 0)
            for forbidden in ["DAC_READ_SEARCH", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "SYS_ADMIN", "SYS_RESOURCE",
                              "SYS_TIME", "AUDIT_CONTROL", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "PERFMON", "BPF", "MKNOD",
                              "LINUX_IMMUTABLE", "CHOWN"] {
                #expect(bnd & IsolationTests.bit(forbidden) == 0, "\(forbidden) in the bounding set")
            }
            for kept in ["DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "NET_BIND_SERVICE", "SYS_CHROOT", "NET_ADMIN", "SYS_BOOT"] {
                #expect(bnd & IsolationTests.bit(kept) != 0, "\(kept) missing")
            }
        }
    }

    @Test func insideTheVPS() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            let secret = "/tmp/vzt-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            #expect(Spawn.shell("echo s > '\(secret)'").status == 0)
            defer { unlink(secret) }
            let marker = "vztmark\(UInt32.random(in: 0...UInt32.max))"
            let host = Spawn.start(["/bin/sh", "-c", "exec -a \(marker) sleep 60"], env: ["PATH": "/usr/bin:/bin"])
            defer { kill(host.pid, SIGKILL); _ = Spawn.wait(host.pid, out: host.out, err: host.err) }
            #expect(node.vzctl("start", "101").status == 0)
            let pid = node.initPid("101")!

            // No fd ≥ 3 in init; its stdio is the console pty, not a directory.
            let fds = Spawn.shell("ls /proc/\(pid)/fd").stdout.split(separator: "\n")
            #expect(fds == ["0", "1", "2"], "init fds: \(fds)")
            #expect(readLink("/proc/\(pid)/fd/0").hasPrefix("/dev/pts/"))
            #expect(readLink("/proc/\(pid)/cwd") == "/")
            let env = Spawn.readText("/proc/\(pid)/environ").split(separator: "\0").map(String.init).sorted()
            #expect(env.contains("container=vzctl") && !env.contains { $0.hasPrefix("VZ_SYSROOT") }, "\(env)")

            let reversed = String(marker.reversed())
            let checks: [(String, String)] = [
                ("host process invisible", "m=$(echo \(reversed) | rev); ! ps -o args | grep -v grep | grep -q \"$m\""),
                ("host file invisible", "! test -e '\(secret)'"),
                ("old root detached", "! grep -q '\(node.root)' /proc/self/mountinfo || ! awk '{print $5}' /proc/self/mountinfo | grep -q '\(node.root)'"),
                ("mount fails", "! mount -t tmpfs none /mnt 2>/dev/null"),
                ("proc mount fails", "! mount -t proc proc /mnt 2>/dev/null"),
                ("remount /proc/sys rw fails", "! mount -o remount,rw /proc/sys 2>/dev/null"),
                ("umount of a mask fails", "! umount /proc/keys 2>/dev/null"),
                ("mknod block fails", "! mknod /tmp/blk b 8 0 2>/dev/null"),
                ("mknod in /dev fails", "! mknod /dev/blk b 8 0 2>/dev/null"),
                // busybox date exits 0 even when settimeofday fails: read its message.
                ("clock change fails", "date -s \"$(date '+%Y-%m-%d %H:%M:%S')\" 2>&1 | grep -q 'not permitted'"),
                ("core_pattern readonly", "! sh -c 'cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern' 2>/dev/null"),
                ("overcommit readonly", "! sh -c 'cat /proc/sys/vm/overcommit_memory > /proc/sys/vm/overcommit_memory' 2>/dev/null"),
                ("sys readonly", "! sh -c 'echo x > /sys/kernel/uevent_helper' 2>/dev/null && ! touch /sys/x 2>/dev/null"),
                ("masked keys", "test -z \"$(cat /proc/keys 2>/dev/null)\""),
                ("masked timer_list", "test -z \"$(cat /proc/timer_list 2>/dev/null)\""),
                ("masked kcore", "test -z \"$(head -c 16 /proc/kcore 2>/dev/null)\""),
                ("masked acpi", "test -z \"$(ls -A /proc/acpi 2>/dev/null)\""),
                ("masked firmware", "test -z \"$(ls -A /sys/firmware 2>/dev/null)\""),
                ("dev null is null", "test \"$(stat -c '%F %t:%T' /dev/null)\" = 'character special file 1:3'"),
                ("dev has no block devices", "test -z \"$(find /dev -type b)\""),
                ("dev is small", "test \"$(ls /dev | tr '\\n' ' ')\" = 'console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero '"),
                ("console is a tty", "test -c /dev/console"),
                ("devpts newinstance", "grep -q '/dev/pts devpts.*ptmxmode=666' /proc/mounts"),
                ("chroot escape blocked", "mkdir -p /tmp/c && ! chroot /tmp/c /bin/true 2>/dev/null || test ! -e '\(secret)'"),
                ("hostname", "test \"$(hostname)\" = ct.example.com"),
                ("no host interfaces", "test \"$(ls /sys/class/net | tr '\\n' ' ')\" = 'lo '"),
                ("loopback is up", "test $(( $(cat /sys/class/net/lo/flags) & 1 )) = 1"),
                // Module load/unload, kexec, the host's reboot switch,
                // swap, port I/O, process accounting: privcalls.c.
                ("host kernel calls fail", "/.vzt-privcalls"),
            ]
            _ = Spawn.shell("cp '\(IsolationTests.privcalls)' '\(node.privatePath("101"))/.vzt-privcalls'")
            for (name, script) in checks {
                let r = IsolationTests.asVPSRoot(node, "101", script)
                #expect(r.status == 0, "\(name): \(r.output)")
            }
        }
    }

    /// CVE-2019-5736 class (security guide §3): while the host runs `vzctl
    /// exec` 40 times, VPS root scans every /proc/N/exe and environ inside.
    /// No process may show the host vzctl binary through an exe link it
    /// can open (the joining copy is non-dumpable until its execve, and VPS
    /// root has no CAP_SYS_PTRACE), nor the host's environment.
    @Test func hostBinaryNeverExposedDuringExec() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let host = Spawn.shell("stat -L -c '%d:%i' '\(Spawn.vzctl)'").stdout.filter { !$0.isWhitespace }
            #expect(!host.isEmpty)
            let scan = """
                i=0; rm -f /found /scan-done; touch /scan-started
                while [ ! -e /scan-stop ] && [ $i -lt 20000 ]; do
                  i=$((i+1))
                  for d in /proc/[0-9]*; do
                    s=$(stat -L -c '%d:%i' $d/exe 2>/dev/null) && [ "$s" = "\(host)" ] && echo "exe $d" >> /found
                    grep -qs VZ_SYSROOT $d/environ && echo "environ $d" >> /found
                  done
                done
                echo $i > /scan-done
                """
            let p = node.privatePath("101")
            let fd = open(p + "/scan.sh", O_WRONLY | O_CREAT | O_TRUNC, 0o755)
            _ = scan.withCString { write(fd, $0, strlen($0)) }
            close(fd)
            let bg = node.vzctl("exec", "101", "sh /scan.sh >/dev/null 2>&1 &")
            #expect(bg.status == 0, "\(bg.output)")
            var started = false
            for _ in 0..<200 where !started { started = access(p + "/scan-started", F_OK) == 0; if !started { usleep(10_000) } }
            #expect(started, "the scanner did not start")
            for _ in 0..<40 { #expect(node.vzctl("exec", "101", "/bin/true").status == 0) }
            _ = Spawn.shell("touch '\(p)/scan-stop'")
            var done = false
            for _ in 0..<500 where !done { done = access(p + "/scan-done", F_OK) == 0; if !done { usleep(10_000) } }
            #expect(done, "the scanner did not finish")
            #expect(access(p + "/found", F_OK) != 0, "exposed: \(Spawn.readText(p + "/found"))")
            _ = node.vzctl("stop", "--fast", "101")
        }
    }

    /// Images whose mount points are symlinks to host paths: the start
    /// never follows them and the host canary is unchanged.
    @Test(arguments: ["dev", "proc", "sys", "dev/null", "dev/console"])
    func symlinkedMountPointsAreNotFollowed(entry: String) {
        TestNode.withRunning { node in
            node.createBusybox("101")
            let canary = "/tmp/vzt-canary-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let target: String
            switch entry {
            case "dev/null": target = "/proc/sys/kernel/core_pattern"
            case "dev/console": target = "/proc/sysrq-trigger"
            default: target = canary
            }
            let setup = Spawn.shell("""
                set -e
                mkdir -p '\(canary)/sub'; echo keep > '\(canary)/ptmx'; echo keep > '\(canary)/null'
                p='\(node.privatePath("101"))'
                mkdir -p "$p/dev"
                rm -rf "$p/\(entry)"; ln -s '\(target)' "$p/\(entry)"
                """)
            #expect(setup.status == 0, "\(setup.output)")
            defer { Spawn.shell("rm -rf '\(canary)'") }
            let before = Spawn.shell("cd '\(canary)' && find . -printf '%p %y %s %m\\n' | sort && cat ptmx null").stdout
            let corePattern = Spawn.readText("/proc/sys/kernel/core_pattern")

            let r = node.vzctl("start", "101")
            if r.status == 0 {
                let checks = [
                    "test \"$(stat -c '%F %t:%T' /dev/null)\" = 'character special file 1:3'",
                    "test -c /dev/console",
                    "grep -q ' /proc proc ' /proc/mounts && grep -q ' /sys sysfs ' /proc/mounts && grep -q ' /dev tmpfs ' /proc/mounts",
                    "! sh -c 'echo x > /proc/sys/kernel/core_pattern' 2>/dev/null",
                ]
                for c in checks {
                    let x = IsolationTests.asVPSRoot(node, "101", c)
                    #expect(x.status == 0, "\(entry): \(c): \(x.output)")
                }
            } else {
                #expect(node.isClean("101"), "\(entry): failed start left things: \(r.output)")
            }
            let after = Spawn.shell("cd '\(canary)' && find . -printf '%p %y %s %m\\n' | sort && cat ptmx null").stdout
            #expect(before == after, "\(entry): host canary changed")
            #expect(Spawn.readText("/proc/sys/kernel/core_pattern") == corePattern)
            _ = node.vzctl("stop", "--fast", "101")
            #expect(before == Spawn.shell("cd '\(canary)' && find . -printf '%p %y %s %m\\n' | sort && cat ptmx null").stdout)
        }
    }
}
