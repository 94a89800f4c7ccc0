import Glibc
import Testing

/// `vzctl start/stop/restart/mount/umount` with the busybox template, and
/// the monitor's handling of reboot/poweroff from inside. Every test runs on
/// its own scratch node and checks that a stopped VPS leaves no mount, state
/// file or process behind.
@Suite(.serialized)
struct StartStopTests {
    @Test func startStatusStopCycle() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("set", "101", "--numproc", "240", "--save").status == 0)
            let start = node.vzctl("start", "101")
            #expect(start.status == 0, "\(start.output)")
            #expect(start.stdout.contains("Starting container..."))
            #expect(start.stdout.contains("Container start in progress..."))
            #expect(node.status("101") == "CTID 101 exist mounted running")
            // vzlist reads the same kernel-verified state: running without -a, not in -S.
            #expect(node.vzlist("-H", "-o", "ctid,status").stdout == "       101 running\n")
            #expect(node.vzlist("-S", "-H").stdout.isEmpty)
            // Usage as the kernel counts it (pids.current: init at least),
            // the limit as the kernel holds it: the configured 240, applied
            // at start.
            let pidsMax = node.cgroupFile("101", "pids.max").map { Spawn.readText($0).trimmingNewline }
            #expect(pidsMax == "240", "pids.max: \(pidsMax ?? "missing")")
            let listed = node.vzlist("-H", "-o", "ctid,numproc,numproc.l").stdout.split(separator: " ")
            #expect(listed.count == 3 && listed[0] == "101" && Int(listed[1]).map { $0 >= 1 } == true
                    && listed[2] == "240\n", "\(listed)")

            // The init pid on the host is PID 1 of its own namespaces.
            let pid = node.initPid("101")!
            #expect(readLink("/proc/\(pid)/exe").hasSuffix("/bin/busybox"))
            // In its own cgroup on every hierarchy, and that is its cgroup root.
            #expect(node.cgroups("101").count >= 2, "cgroups: \(node.cgroups("101"))")
            #expect(node.inside("101", "cat /proc/1/cgroup").stdout.split(separator: "\n").allSatisfy { $0.hasSuffix(":/") })
            #expect(node.inside("101", "cat /proc/1/comm").stdout == "init\n")
            for ns in ["pid", "mnt", "net", "uts", "ipc", "cgroup"] {
                #expect(readLink("/proc/\(pid)/ns/\(ns)") != readLink("/proc/self/ns/\(ns)"), "\(ns) namespace shared with the host")
            }
            #expect(node.inside("101", "hostname").stdout == "ct.example.com\n")

            let again = node.vzctl("start", "101")
            #expect(again.status == 32 && again.stderr.contains("Container is already running"), "\(again.output)")

            let stop = node.vzctl("stop", "101")
            #expect(stop.status == 0, "\(stop.output)")
            #expect(!stop.stdout.contains("Killing"), "busybox init should stop gracefully: \(stop.output)")
            #expect(node.status("101") == "CTID 101 exist unmounted down")
            #expect(node.vzlist("-H").stdout.isEmpty)
            #expect(node.vzlist("-a", "-H", "-o", "ctid,status").stdout == "       101 stopped\n")
            #expect(node.isClean("101"), "left: mounts \(node.mounts()) processes \(node.processes())")
            #expect(kill(pid, 0) != 0)

            let twice = node.vzctl("stop", "101")
            #expect(twice.status == 0 && twice.stdout.contains("Unable to stop: container is not running"), "\(twice.output)")
        }
    }

    @Test func consoleLogHasBootOutput() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            #expect(node.vzctl("stop", "101").status == 0)
            let log = node.read("/var/log/vzctl/101.console")
            #expect(log.contains("Requesting system poweroff"), "console log: \(log)")
            #expect(node.inside("101", "true").status != 0)
        }
    }

    @Test func stopKillsAnInitThatIgnoresTheRequest() {
        TestNode.withRunning { node in
            node.createBusybox("101", stopTimeout: 2)
            let initPath = node.privatePath("101") + "/sbin/init"
            let r = Spawn.shell("""
                rm -f '\(initPath)'
                printf '#!/bin/sh\\ntrap "" USR1 USR2 TERM INT HUP PWR QUIT\\nwhile :; do sleep 1; done\\n' > '\(initPath)'
                chmod 755 '\(initPath)'
                """)
            #expect(r.status == 0)
            #expect(node.vzctl("start", "101").status == 0)
            usleep(200_000)
            let t0 = monotonicMillis()
            let stop = node.vzctl("stop", "101")
            let elapsed = monotonicMillis() - t0
            #expect(stop.status == 0, "\(stop.output)")
            #expect(stop.stdout.contains("Killing container"), "\(stop.output)")
            // It waited STOP_TIMEOUT (2 s) before killing: a lower bound only,
            // which a slow machine cannot break.
            #expect(elapsed >= 1_900, "killed after \(elapsed) ms, before STOP_TIMEOUT")
            #expect(node.isClean("101"), "left: mounts \(node.mounts()) processes \(node.processes())")
        }
    }

    /// `stop --skip-umount` (vzmigrate's) leaves VE_ROOT mounted; umount then works.
    @Test func stopSkipUmountKeepsTheMount() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            // While it runs: VE_ROOT cannot move (32), and unsaved settings
            // say they were not saved, and the config indeed keeps the old value.
            #expect(node.vzctl("set", "101", "--root", "/vz/root/elsewhere", "--save").status == 32)
            let unsaved = node.vzctl("set", "101", "--onboot", "yes")
            #expect(unsaved.status == 0 && unsaved.stderr.contains("Settings were not saved"), "\(unsaved.output)")
            #expect(!node.read("/etc/vz/conf/101.conf").contains("ONBOOT=\"yes\""))
            let r = node.vzctl("stop", "--fast", "101", "--skip-umount")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.status("101") == "CTID 101 exist mounted down")
            #expect(node.vzctl("umount", "101").status == 0)
            #expect(node.status("101") == "CTID 101 exist unmounted down")
            #expect(node.isClean("101"))
        }
    }

    /// `start --wait` returns once busybox init's boot script has run to
    /// its end: a marker its last line writes is there when start returns.
    @Test func startWaitReturnsAfterTheBootScripts() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            let rcS = node.privatePath("101") + "/etc/init.d/rcS"
            #expect(Spawn.shell("printf '#!/bin/sh\\nsleep 1\\ntouch /boot-done\\n' > '\(rcS)' && chmod 755 '\(rcS)'").status == 0)
            let r = node.vzctl("start", "101", "--wait")
            #expect(r.status == 0 && r.stdout.contains("Container started successfully"), "\(r.output)")
            #expect(access(node.privatePath("101") + "/boot-done", F_OK) == 0, "start --wait returned before rcS ended")
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.isClean("101"))
        }
    }

    @Test func poweroffInsideStopsAndCleansUp() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            _ = node.inside("101", "poweroff")
            #expect(node.eventually(15) { node.isClean("101") }, "left: mounts \(node.mounts()) processes \(node.processes())")
            #expect(node.status("101") == "CTID 101 exist unmounted down")
        }
    }

    @Test func rebootInsideComesBackWithANewInit() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let first = node.initPid("101")!
            _ = node.inside("101", "reboot")
            #expect(node.eventually(15) { (node.initPid("101") ?? first) != first && node.status("101").hasSuffix(" running") })
            #expect(node.inside("101", "cat /proc/1/comm").stdout == "init\n")
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.eventually(5) { node.isClean("101") }, "left: mounts \(node.mounts()) processes \(node.processes())")
        }
    }

    @Test func restartGivesANewInit() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            let first = node.initPid("101")!
            let r = node.vzctl("restart", "--fast", "101")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.initPid("101") != first)
            #expect(node.status("101") == "CTID 101 exist mounted running")
        }
    }

    @Test func disabledNeedsForce() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            node.appendConfig("101", "DISABLED=yes")
            let r = node.vzctl("start", "101")
            #expect(r.status == 105, "\(r.output)")
            #expect(node.isClean("101"))
            #expect(node.vzctl("start", "--force", "101").status == 0)
            #expect(node.status("101").hasSuffix(" running"))
        }
    }

    @Test func missingInitIs47AndUndone() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(Spawn.shell("rm -f '\(node.privatePath("101"))/sbin/init'").status == 0)
            let r = node.vzctl("start", "101")
            #expect(r.status == 47, "\(r.output)")
            #expect(r.stderr.contains("Unable to start init, probably incorrect template"))
            #expect(r.stderr.contains("Container start failed"))
            #expect(node.isClean("101"), "left: mounts \(node.mounts()) processes \(node.processes())")
            #expect(node.status("101") == "CTID 101 exist unmounted down")
        }
    }

    @Test func startOfMissingContainer() {
        TestNode.withRunning { node in
            let r = node.vzctl("start", "150")
            #expect(r.status == 14, "\(r.output)")
        }
    }

    @Test func mountAndUmount() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("umount", "101").status == 40)
            #expect(node.vzctl("mount", "101").status == 0)
            #expect(node.status("101") == "CTID 101 exist mounted down")
            #expect(Files_exists(node.rootPath("101") + "/bin/busybox"))
            let again = node.vzctl("mount", "101")
            #expect(again.status == 0 && again.stdout.contains("already mounted"))
            // start over an existing mount remounts it (4.x without --skip-remount)
            #expect(node.vzctl("start", "101").status == 0)
            #expect(node.vzctl("umount", "101").status == 32)
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.vzctl("mount", "101").status == 0)
            #expect(node.vzctl("umount", "101").status == 0)
            #expect(node.mounts().isEmpty)
        }
    }

    @Test func hundredFastCyclesLeaveNothing() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            var namespaces: Set<String> = []
            for i in 0..<100 {
                let s = node.vzctl("start", "101")
                #expect(s.status == 0, "cycle \(i): \(s.output)")
                if let pid = node.initPid("101") {
                    // ns inode numbers are recycled once freed: keep the last cycle's.
                    namespaces = []
                    for ns in ["pid", "mnt", "net", "uts", "ipc", "cgroup"] { namespaces.insert(readLink("/proc/\(pid)/ns/\(ns)")) }
                }
                let t = node.vzctl("stop", "--fast", "101")
                #expect(t.status == 0, "cycle \(i): \(t.output)")
            }
            #expect(node.isClean("101"), "left: mounts \(node.mounts()) processes \(node.processes())")
            // None of the VPSes' namespaces is still held by any process.
            let live = Set(Spawn.shell("for f in /proc/[0-9]*/ns/*; do readlink $f; done 2>/dev/null | sort -u").stdout.split(separator: "\n").map(String.init))
            #expect(namespaces.count == 6)
            #expect(namespaces.isDisjoint(with: live), "left: \(namespaces.intersection(live))")
        }
    }

    /// kill -9 of `vzctl start` at each crash point: `status` tells the
    /// truth (running only with a live init), and stop + start recover.
    @Test(arguments: ["start.locked", "start.mounted", "start.cgroup", "start.spawned", "start.state", "start.go"])
    func killedStartRecovers(point: String) {
        TestNode.withRunning { node in
            node.createBusybox("101")
            var env = node.env
            env["VZCTL_CRASH_AT"] = point
            let r = Spawn.run([Spawn.vzctl, "start", "101"], env: env)
            #expect(r.signal == SIGKILL, "\(point): \(r.output)")
            usleep(300_000)
            let st = node.status("101")
            if st.hasSuffix(" running") {
                let pid = node.initPid("101")!
                #expect(kill(pid, 0) == 0, "\(point): status says running, init \(pid) is gone")
            }
            #expect(node.vzctl("stop", "--fast", "101").status == 0, "\(point)")
            let s = node.vzctl("start", "101")
            #expect(s.status == 0, "\(point): \(s.output)")
            #expect(node.status("101") == "CTID 101 exist mounted running", "\(point)")
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.eventually(5) { node.isClean("101") }, "\(point) left: mounts \(node.mounts()) processes \(node.processes())")
        }
    }

    /// kill -9 of `vzctl start` after a random delay (0-30 ms, about its
    /// debug-build run time), 12 times: same promises as at crash points.
    @Test func randomlyKilledStartRecovers() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            for i in 0..<12 {
                let p = Spawn.start([Spawn.vzctl, "start", "101"], env: node.env)
                usleep(UInt32.random(in: 0...30_000))
                kill(p.pid, SIGKILL)
                _ = Spawn.wait(p.pid, out: p.out, err: p.err)
                usleep(200_000)
                let st = node.status("101")
                if st.hasSuffix(" running") {
                    #expect(kill(node.initPid("101")!, 0) == 0, "run \(i): status says running, init is gone")
                }
                #expect(node.vzctl("stop", "--fast", "101").status == 0, "run \(i)")
                #expect(node.eventually(5) { node.processes().isEmpty && node.cgroups("101").isEmpty }, "run \(i): left \(node.processes()) \(node.cgroups("101"))")
                let s = node.vzctl("start", "101")
                #expect(s.status == 0, "run \(i): \(s.output)")
                #expect(node.vzctl("stop", "--fast", "101").status == 0, "run \(i)")
                #expect(node.eventually(5) { node.isClean("101") }, "run \(i) left: mounts \(node.mounts()) processes \(node.processes())")
            }
        }
    }

    /// The init is killed from the host: the monitor cleans up, status is down.
    @Test func killedInitIsNoticed() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            #expect(node.vzctl("start", "101").status == 0)
            kill(node.initPid("101")!, SIGKILL)
            #expect(node.eventually(5) { node.status("101") == "CTID 101 exist unmounted down" })
            #expect(node.eventually(5) { node.isClean("101") })
        }
    }
}

func Files_exists(_ p: String) -> Bool {
    var st = stat()
    return lstat(p, &st) == 0
}
