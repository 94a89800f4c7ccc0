import Glibc
import Testing

/// `vzctl exec/exec2/exec3/runscript` against a running busybox VPS
/// (busybox has no bash: the `/bin/sh` fallback is what runs).
@Suite(.serialized)
struct ExecTests {
    /// `sh -c SCRIPT` on the host with `$VZCTL` and the node's environment.
    static func host(_ node: TestNode, _ script: String, extraEnv: [String: String] = [:]) -> ProcessResult {
        var env = node.env
        env["VZCTL"] = Spawn.vzctl
        for (k, v) in extraEnv { env[k] = v }
        return Spawn.run(["/bin/sh", "-c", script], env: env)
    }

    static func field(_ status: String, _ name: String) -> String {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return String(line.dropFirst(name.count + 1)).filter { !$0.isWhitespace }
    }

    @Test func exitCodesQuotingAndPassthrough() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)

            #expect(node.vzctl("exec", "101", "true").status == 0)
            #expect(node.vzctl("exec", "101", "false").status == 8)
            #expect(node.vzctl("exec", "101", "exit 3").status == 8)
            #expect(node.vzctl("exec2", "101", "exit 7").status == 7)
            #expect(node.vzctl("exec3", "101", "/bin/sh", "-c", "exit 5").status == 5)
            let missing = node.vzctl("exec3", "101", "no-such-command")
            #expect(missing.status == 8 && missing.stderr.contains("No such file"), "\(missing.output)")

            // exec/exec2 join argv with spaces for `sh -c`; exec3 keeps argv.
            var r = node.vzctl("exec", "101", "echo", "a  b", "$HOME")
            #expect(r.status == 0 && r.stdout == "a b /\n", "\(r.stdout.debugDescription)")
            r = node.vzctl("exec3", "101", "echo", "a  b", "$HOME")
            #expect(r.stdout == "a  b $HOME\n", "\(r.stdout.debugDescription)")
            // Options after the CT belong to the command, not to vzctl.
            r = node.vzctl("exec2", "101", "ls", "-d", "/etc")
            #expect(r.status == 0 && r.stdout == "/etc\n", "\(r.output)")

            r = ExecTests.host(node, "echo data | \"$VZCTL\" exec 101 cat")
            #expect(r.status == 0 && r.stdout == "data\n", "\(r.output)")
            r = ExecTests.host(node, "printf 'echo one\\nexit 3\\n' | \"$VZCTL\" exec2 101 -")
            #expect(r.status == 3 && r.stdout == "one\n", "\(r.output)")
            r = ExecTests.host(node, "printf 'echo one\\nfalse\\n' | \"$VZCTL\" exec 101 -")
            #expect(r.status == 8 && r.stdout == "one\n", "\(r.output)")
            r = node.vzctl("exec", "101", "echo out; echo err >&2")
            #expect(r.stdout == "out\n" && r.stderr == "err\n", "\(r.output)")

            // runscript: a host file piped in, larger than a pipe buffer.
            let script = "/tmp/vzt-script-\(getpid())"
            defer { unlink(script) }
            #expect(Spawn.shell("{ i=0; while [ $i -lt 3000 ]; do echo \"# filler line $i ..............................\"; i=$((i+1)); done; echo 'echo script-ran $HOME'; echo 'exit 4'; } > \(script)").status == 0)
            r = node.vzctl("runscript", "101", script)
            #expect(r.status == 4 && r.stdout == "script-ran /\n", "\(r.output)")
        }
    }

    @Test func nothingOfTheHostLeaksIn() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let dir = "/tmp/vzt-hostonly-\(getpid())"
            mkdir(dir, 0o755)
            defer { rmdir(dir) }
            // fd 7 open and a host-only cwd in vzctl; a host variable set.
            let r = ExecTests.host(node, "exec 7</etc/hostname; cd '\(dir)' && \"$VZCTL\" exec 101 'ls /proc/$$/fd; pwd'",
                                   extraEnv: ["LEAKME": "host"])
            #expect(r.status == 0 && r.stdout == "0\n1\n2\n/\n", "\(r.output)")
            let env = ExecTests.host(node, "\"$VZCTL\" exec3 101 env", extraEnv: ["LEAKME": "host"])
            let lines = Set(env.stdout.split(separator: "\n").map(String.init))
            #expect(lines == ["HOME=/", "TERM=linux", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "\(env.output)")
            // Signals default and unblocked, SIGPIPE not ignored (vzctl ignores it).
            let sig = node.vzctl("exec3", "101", "cat", "/proc/self/status").stdout
            #expect(ExecTests.field(sig, "SigIgn") == "0000000000000000" && ExecTests.field(sig, "SigBlk") == "0000000000000000", "\(sig)")
        }
    }

    @Test func joinsTheVPSAsItsInit() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let initPid = node.initPid("101")!
            let initStatus = Spawn.readText("/proc/\(initPid)/status")
            let status = node.vzctl("exec3", "101", "cat", "/proc/self/status").stdout
            for f in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb", "NoNewPrivs", "Seccomp"] {
                #expect(ExecTests.field(status, f) == ExecTests.field(initStatus, f), "\(f)")
            }
            for ns in ["mnt", "uts", "ipc", "net", "pid", "cgroup"] {
                let inside = node.vzctl("exec3", "101", "readlink", "/proc/self/ns/\(ns)").stdout.trimmingNewline
                #expect(inside == readLink("/proc/\(initPid)/ns/\(ns)"), "\(ns)")
                #expect(inside != readLink("/proc/self/ns/\(ns)"), "\(ns) is the host's")
            }
            // In the VPS's cgroup on every hierarchy (its cgroup namespace
            // root, so "/" and not "/.." paths), and its pid namespace.
            let cg = node.vzctl("exec3", "101", "cat", "/proc/self/cgroup").stdout.split(separator: "\n")
            #expect(cg.count == Spawn.readText("/proc/\(initPid)/cgroup").split(separator: "\n").count)
            #expect(cg.allSatisfy { $0.hasSuffix(":/") }, "\(cg)")
            let ids = node.vzctl("exec", "101", "echo $$; readlink /proc/1/exe; cat /proc/1/cmdline | tr '\\0' ' '; echo; readlink /proc/self/exe").stdout
                .split(separator: "\n").map(String.init)
            #expect(ids.count == 4 && (Int(ids[0]) ?? 9999) < 100, "\(ids)")
            #expect(ids.count == 4 && ids[1] == "/bin/busybox" && ids[2].hasPrefix("init"), "\(ids)")
            // The exec'd process runs the VPS's binary, never vzctl.
            #expect(node.vzctl("exec3", "101", "readlink", "/proc/self/exe").stdout == "/bin/busybox\n")

            // Host view of a running payload: in the VPS's cgroup, a direct
            // child of vzctl (no helper process in between).
            let p = Spawn.start([Spawn.vzctl, "exec3", "101", "sleep", "3"], env: node.env)
            defer { _ = Spawn.wait(p.pid, out: p.out, err: p.err) }
            var sleeper: pid_t?
            _ = node.eventually(2) {
                let kids = Spawn.readText("/proc/\(p.pid)/task/\(p.pid)/children").split(separator: " ").compactMap { pid_t($0) }
                sleeper = kids.first { Spawn.readText("/proc/\($0)/cmdline") == "sleep\u{0}3\u{0}" }
                return sleeper != nil
            }
            #expect(sleeper != nil)
            if let sleeper {
                #expect(readLink("/proc/\(sleeper)/ns/pid") == readLink("/proc/\(initPid)/ns/pid"))
                let hostCg = Spawn.readText("/proc/\(sleeper)/cgroup").split(separator: "\n")
                #expect(hostCg.allSatisfy { $0.contains("/\(node.cgroupDirectory)/101") }, "\(hostCg)")
            }
        }
    }

    @Test func notRunning() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("exec", "101", "true").status == 8)
            #expect(node.vzctl("exec2", "101", "true").status == 31)
            #expect(node.vzctl("exec3", "101", "true").status == 31)
            #expect(node.vzctl("exec2", "999", "true").status == 31)
        }
    }

    /// runscript on a stopped VPS (4.x's bare CT): the script runs inside
    /// the VPS's namespaces with none of its services (PID 1 is not the
    /// VPS's init, rcS never ran), its exit code comes back, and the VPS is
    /// stopped and unmounted again with nothing left; a VPS that was
    /// mounted stays mounted.
    @Test func runscriptOnAStoppedVPS() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            let rcS = node.privatePath("101") + "/etc/init.d/rcS"
            #expect(Spawn.shell("printf '#!/bin/sh\\ntouch /rcs-ran\\n' > '\(rcS)' && chmod 755 '\(rcS)'").status == 0)
            let script = "/tmp/vzt-script-bare-\(getpid())"
            defer { unlink(script) }
            #expect(Spawn.shell("""
                cat > \(script) <<'EOS'
                echo "host=$(hostname) pid1=$(cat /proc/1/comm)"
                test -e /rcs-ran && echo "rcS ran"
                echo made > /from-script
                exit 7
                EOS
                """).status == 0)
            let r = node.vzctl("runscript", "101", script)
            #expect(r.status == 7, "\(r.output)")
            #expect(r.stdout == "host=ct.example.com pid1=sh\n", "\(r.output)")
            #expect(Spawn.readText(node.privatePath("101") + "/from-script") == "made\n")
            #expect(node.status("101") == "CTID 101 exist unmounted down")
            #expect(node.isClean("101"), "left: mounts \(node.mounts()) processes \(node.processes())")

            #expect(node.vzctl("mount", "101").status == 0)
            #expect(node.vzctl("runscript", "101", script).status == 7)
            #expect(node.status("101") == "CTID 101 exist mounted down")
            #expect(node.vzctl("umount", "101").status == 0)
            #expect(node.isClean("101"))
        }
    }
}
