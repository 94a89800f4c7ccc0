import Glibc
import Testing

/// Issue 4, the enforcement side: beancounters applied at start and live,
/// checked from inside real busybox VPSes as their root (Fixtures/limitprobe.c
/// run through `vzctl exec`, which gives it the VPS's cgroups, rlimits and
/// capabilities) and from the host in the VPS's cgroup files. Failure
/// counters are read straight from the kernel (v1 `pids.events`,
/// `memory.failcnt`/`memory.oom_control`; v2 `pids.events`, `memory.events`).
@Suite(.serialized)
struct LimitsTests {
    static let probe: String = {
        let out = "/tmp/vzt-template-cache/limitprobe"
        let r = Spawn.shell("mkdir -p /tmp/vzt-template-cache && gcc -static -O2 -o '\(out).\(getpid())' '\(TestNode.repo)/Tests/IntegrationTests/Fixtures/limitprobe.c' && mv -f '\(out).\(getpid())' '\(out)'")
        precondition(r.status == 0, "building limitprobe failed: \(r.output)")
        return out
    }()

    /// A busybox VPS with the probe at /.vzt-limitprobe and `settings`
    /// saved, started; returns nothing, fails the test on any step.
    static func startVPS(_ node: TestNode, _ ctid: String, _ settings: [String]) {
        node.createBusybox(ctid)
        _ = Spawn.shell("cp '\(probe)' '\(node.privatePath(ctid))/.vzt-limitprobe'")
        if !settings.isEmpty {
            let s = node.vzctl(["set", ctid] + settings + ["--save"])
            #expect(s.status == 0, "\(s.output)")
        }
        let r = node.vzctl("start", ctid)
        #expect(r.status == 0, "\(r.output)")
    }

    /// `vzctl exec2 CTID /.vzt-limitprobe ARGS`: the probe's exit code and lines.
    static func probe(_ node: TestNode, _ ctid: String, _ args: String) -> ProcessResult {
        node.vzctl("exec2", ctid, "/.vzt-limitprobe " + args)
    }

    /// `word N RESULT` from the probe's output, for `word`.
    static func result(_ r: ProcessResult, _ word: String) -> (count: Int, what: String)? {
        for line in r.stdout.split(separator: "\n").reversed() {
            let f = line.split(separator: " ")
            if f.count >= 2, f[0] == word, let n = Int(f[1]) { return (n, f.count > 2 ? String(f[2]) : "") }
        }
        return nil
    }

    /// A controller file of the VPS's cgroup: its v1 hierarchy, else the
    /// unified one.
    static func cgroupFile(_ node: TestNode, _ ctid: String, _ controller: String, _ file: String) -> String {
        let v1 = "/sys/fs/cgroup/\(controller)/\(node.cgroupDirectory)/\(ctid)/\(file)"
        if access(v1, F_OK) == 0 { return v1 }
        return "/sys/fs/cgroup/\(node.cgroupDirectory)/\(ctid)/\(file)"
    }

    static func read(_ node: TestNode, _ ctid: String, _ controller: String, _ file: String) -> String {
        Spawn.readText(cgroupFile(node, ctid, controller, file)).trimmingNewline
    }

    /// `key N` in a flat keyed file (pids.events, memory.oom_control).
    static func keyed(_ text: String, _ key: String) -> Int? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key { return Int(f[1]) }
        }
        return nil
    }

    static func config(_ node: TestNode, _ ctid: String) -> String { node.read("/etc/vz/conf/\(ctid).conf") }

    // MARK: - NUMPROC

    @Test func forkBombGetsEAGAINAndEverythingStaysUsable() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--numproc", "50"])
            #expect(Self.read(node, "101", "pids", "pids.max") == "50")
            let before = Self.keyed(Self.read(node, "101", "pids", "pids.events"), "max") ?? -1

            // A counted fork loop: refused with EAGAIN at the limit (init,
            // the exec shell and the probe take a few of the 50).
            let r = Self.probe(node, "101", "forks 200")
            let forks = Self.result(r, "forks")
            #expect(forks?.what == "EAGAIN", "\(r.output)")
            #expect((40..<50).contains(forks?.count ?? -1), "\(r.output)")
            #expect((Self.keyed(Self.read(node, "101", "pids", "pids.events"), "max") ?? 0) > before, "numproc failcnt rose")
            // Afterwards the VPS works again.
            #expect(node.vzctl("exec", "101", "echo alive").stdout == "alive\n")

            // A real fork bomb: held at 50 tasks, the host keeps forking and
            // vzctl keeps control; stop takes it all down. (Its own shell
            // may be refused a fork as well, so exec's status is not checked.)
            let initPid = node.initPid("101")
            let refusedBefore = Self.keyed(Self.read(node, "101", "pids", "pids.events"), "max") ?? 0
            _ = node.vzctl("exec", "101", "b(){ b | b & }; b")
            let refused = node.eventually(10) {
                (Self.keyed(Self.read(node, "101", "pids", "pids.events"), "max") ?? 0) > refusedBefore + 20
            }
            #expect(refused, "pids.events: \(Self.read(node, "101", "pids", "pids.events"))")
            for _ in 0..<10 { #expect((Int(Self.read(node, "101", "pids", "pids.current")) ?? 99) <= 50) }
            #expect(Spawn.shell("for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true || exit 1; done").status == 0, "host forks")
            #expect(node.status("101") == "CTID 101 exist mounted running")
            #expect(node.initPid("101") == initPid)
            let stop = node.vzctl("stop", "--fast", "101")
            #expect(stop.status == 0, "\(stop.output)")
            #expect(node.isClean("101"))
        }
    }

    // MARK: - RAM and swap

    @Test func memoryHogIsKilledInsideAndInitSurvives() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--ram", "64M", "--swap", "0"])
            #expect(Self.read(node, "101", "memory", "memory.limit_in_bytes") == "67108864")
            #expect(Self.read(node, "101", "memory", "memory.memsw.limit_in_bytes") == "67108864")
            let initPid = node.initPid("101")
            let r = Self.probe(node, "101", "mem 256")
            // SIGKILL: the shell reports 137, or vzctl itself when the shell exec'd the probe.
            #expect(r.status == 128 + SIGKILL || (r.status == 3 && r.stderr.contains("Got signal 9")), "\(r.output)")
            #expect(!r.stdout.contains("ok"), "the hog got its 256 MiB: \(r.stdout)")
            let reached = Self.result(r, "mem")?.count ?? 0
            #expect(reached >= 16 && reached <= 64, "\(r.stdout)")
            // Killed by the VPS's own OOM; its init and the VPS live on.
            let oom = Self.keyed(Self.read(node, "101", "memory", "memory.oom_control"), "oom_kill") ?? 0
            let failcnt = Int(Self.read(node, "101", "memory", "memory.failcnt")) ?? 0
            #expect(oom > 0 || failcnt > 0, "oom_kill \(oom), failcnt \(failcnt)")
            #expect(node.initPid("101") == initPid)
            #expect(node.status("101") == "CTID 101 exist mounted running")
            #expect(node.vzctl("exec", "101", "echo alive").stdout == "alive\n")
            // The host is untouched: it still holds 128 MiB at once.
            #expect(Spawn.shell("head -c 134217728 /dev/zero | wc -c").stdout == "134217728\n")
        }
    }

    // MARK: - NUMFILE

    @Test func fdHogStopsAtNumfileAndVPSRootCannotRaiseIt() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--numfile", "64"])
            guard let pid = node.initPid("101") else { Issue.record("no init"); return }
            let limits = Spawn.readText("/proc/\(pid)/limits")
            #expect(limits.contains("Max open files            64                   64"), "\(limits)")
            let r = Self.probe(node, "101", "fds")
            // 0-2 are open: 61 more, then EMFILE.
            #expect(Self.result(r, "fds")?.count == 61, "\(r.output)")
            #expect(Self.result(r, "fds")?.what == "EMFILE", "\(r.output)")
            #expect(Self.result(r, "raise-self")?.what == "EPERM", "\(r.output)")
            #expect(Self.result(r, "raise-init")?.what == "EPERM", "\(r.output)")
            #expect(Spawn.readText("/proc/\(pid)/limits").contains("Max open files            64                   64"))
            // Lowered live, for every process, without a restart.
            let s = node.vzctl("set", "101", "--numfile", "20:40")
            #expect(s.status == 0, "\(s.output)")
            #expect(Spawn.readText("/proc/\(pid)/limits").contains("Max open files            20                   40"))
            let again = Self.probe(node, "101", "fds")
            #expect(Self.result(again, "fds")?.count == 17, "\(again.output)")
        }
    }

    // MARK: - Live changes, --save, --reset_ub, refusals

    @Test func liveSetTakesEffectWithoutRestartAndSavePersists() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--numproc", "100", "--ram", "256M", "--swap", "128M"])
            let initPid = node.initPid("101")
            #expect(Self.read(node, "101", "pids", "pids.max") == "100")

            // Without --save: in effect at once, the config as it was.
            var r = node.vzctl("set", "101", "--numproc", "30")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stderr.contains("Settings were not saved"))
            #expect(Self.read(node, "101", "pids", "pids.max") == "30")
            #expect((Self.result(Self.probe(node, "101", "forks 100"), "forks")?.count ?? 99) < 30)
            #expect(Self.config(node, "101").contains("NUMPROC=\"100\""))

            // --reset_ub: the saved beancounters again.
            r = node.vzctl("set", "101", "--reset_ub")
            #expect(r.status == 0, "\(r.output)")
            #expect(Self.read(node, "101", "pids", "pids.max") == "100")
            #expect(node.vzctl("set", "101", "--reset_ub", "--numproc", "5").status == 20)

            // With --save: in effect and in the config.
            r = node.vzctl("set", "101", "--numproc", "40", "--ram", "128M", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(Self.read(node, "101", "pids", "pids.max") == "40")
            #expect(Self.read(node, "101", "memory", "memory.limit_in_bytes") == "134217728")
            #expect(Self.read(node, "101", "memory", "memory.memsw.limit_in_bytes") == String(134217728 + 134217728))
            #expect(Self.config(node, "101").contains("NUMPROC=\"40\""))
            #expect(Self.config(node, "101").contains("PHYSPAGES=\"0:32768\""))
            // Raising RAM again reorders the v1 writes (memsw first).
            r = node.vzctl("set", "101", "--ram", "512M", "--swap", "512M", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(Self.read(node, "101", "memory", "memory.limit_in_bytes") == "536870912")
            #expect(Self.read(node, "101", "memory", "memory.memsw.limit_in_bytes") == "1073741824")
            // Unlimited lifts the limit.
            r = node.vzctl("set", "101", "--numproc", "unlimited", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(Self.read(node, "101", "pids", "pids.max") == "max")
            #expect(node.initPid("101") == initPid, "no restart")

            // A value the kernel refuses: CPU scheduler code 2, the reason,
            // and the saved config untouched.
            let cpus = sysconf(Int32(_SC_NPROCESSORS_CONF))
            let before = Self.config(node, "101")
            r = node.vzctl("set", "101", "--cpumask", String(cpus + 3), "--save")
            #expect(r.status == 2, "\(r.output)")
            #expect(r.stderr.contains("CPUMASK") && r.stderr.contains("cpuset.cpus"), "\(r.stderr)")
            #expect(Self.config(node, "101") == before)

            // The saved values apply at the next start.
            #expect(node.vzctl("stop", "--fast", "101").status == 0)
            #expect(node.vzctl("start", "101").status == 0)
            #expect(Self.read(node, "101", "pids", "pids.max") == "max")
            #expect(Self.read(node, "101", "memory", "memory.limit_in_bytes") == "536870912")
        }
    }

    @Test func setmodeWarnsRestartsOrIgnores() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", [])
            let initPid = node.initPid("101")
            var r = node.vzctl("set", "101", "--capability", "net_admin:on", "--save")
            #expect(r.status == 0 && r.stderr.contains("Please consider using --setmode option"), "\(r.output)")
            r = node.vzctl("set", "101", "--capability", "net_admin:off", "--setmode", "ignore", "--save")
            #expect(r.status == 0 && !r.stderr.contains("--setmode"), "\(r.output)")
            #expect(node.initPid("101") == initPid)
            #expect(node.vzctl("set", "101", "--capability", "net_admin:on", "--setmode", "restart").status == 21)
            #expect(node.vzctl("set", "101", "--numproc", "9", "--setmode", "sometimes").status == 21)
            r = node.vzctl("set", "101", "--capability", "net_admin:on", "--setmode", "restart", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.status("101") == "CTID 101 exist mounted running")
            #expect(node.initPid("101") != initPid, "restarted")
        }
    }

    // MARK: - NUMPTY, SHMPAGES, DEVNODES

    @Test func ptysAndShmAtStartAndLive() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--numpty", "3", "--shmpages", "1024"])
            #expect(node.vzctl("exec", "101", "grep /dev/pts /proc/mounts").stdout.contains("max=3"))
            var r = Self.probe(node, "101", "ptys 10")
            #expect(Self.result(r, "ptys")?.count == 3 && Self.result(r, "ptys")?.what == "ENOSPC", "\(r.output)")
            #expect(node.vzctl("exec", "101", "cat /proc/sys/kernel/shmall /proc/sys/kernel/shmmax").stdout == "1024\n4194304\n")
            // VPS root cannot raise them.
            #expect(node.vzctl("exec2", "101", "echo 999999 > /proc/sys/kernel/shmall").status != 0)
            #expect(node.vzctl("exec2", "101", "mount -o remount,max=100 /dev/pts").status != 0)
            // The host's namespace is not the VPS's.
            #expect(Spawn.readText("/proc/sys/kernel/shmall") != "1024\n")

            r = node.vzctl("set", "101", "--numpty", "5", "--shmpages", "2048")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.vzctl("exec", "101", "grep /dev/pts /proc/mounts").stdout.contains("max=5"))
            #expect(Self.result(Self.probe(node, "101", "ptys 10"), "ptys")?.count == 5)
            #expect(node.vzctl("exec", "101", "cat /proc/sys/kernel/shmall").stdout == "2048\n")
            // devpts keeps its other options through the live change.
            #expect(node.vzctl("exec", "101", "grep /dev/pts /proc/mounts").stdout.contains("ptmxmode=666"))
        }
    }

    @Test(.enabled(if: access("/dev/net/tun", F_OK) == 0, "needs /dev/net/tun on the host"))
    func devnodesAreCreatedAndAllowed() {
        TestNode.withRunning { node in
            Self.startVPS(node, "101", ["--devnodes", "net/tun:rw"])
            let ls = node.vzctl("exec", "101", "ls -l /dev/net/tun")
            #expect(ls.stdout.hasPrefix("c") && ls.stdout.contains("10,") && ls.stdout.contains("200"), "\(ls.output)")
            #expect(node.vzctl("exec2", "101", "exec 3<>/dev/net/tun && echo opened").stdout == "opened\n")
            // Taken away live: still there, no longer openable.
            let r = node.vzctl("set", "101", "--devnodes", "net/tun:none", "--save")
            #expect(r.status == 0, "\(r.output)")
            #expect(node.vzctl("exec2", "101", "exec 3<>/dev/net/tun && echo opened").stdout != "opened\n")
            // Given live to a second VPS that started without it.
            Self.startVPS(node, "102", [])
            #expect(node.vzctl("exec2", "102", "test -e /dev/net/tun").status != 0)
            #expect(node.vzctl("set", "102", "--devnodes", "net/tun:rw").status == 0)
            #expect(node.vzctl("exec2", "102", "exec 3<>/dev/net/tun && echo opened").stdout == "opened\n")
            // A name that is no device on the host: 86, config untouched.
            let bad = node.vzctl("set", "102", "--devnodes", "no-such-node:rw", "--save")
            #expect(bad.status == 86, "\(bad.output)")
            #expect(!Self.config(node, "102").contains("no-such-node"))
        }
    }

    // MARK: - CPU, I/O and what is not enforced

    @Test func cpuKeysAndHonestWarnings() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            var r = node.vzctl("set", "101", "--cpuunits", "2000", "--cpulimit", "50", "--cpus", "1", "--cpumask", "0",
                               "--ioprio", "7", "--iolimit", "10M", "--numtcpsock", "360", "--kmemsize", "14372700:14790164",
                               "--avnumproc", "180", "--save")
            #expect(r.status == 0, "\(r.output)")
            r = node.vzctl("start", "101")
            #expect(r.status == 0, "\(r.output)")
            #expect(Self.read(node, "101", "cpu", "cpu.shares") == "2048")
            #expect(Self.read(node, "101", "cpu", "cpu.cfs_period_us") == "100000")
            #expect(Self.read(node, "101", "cpu", "cpu.cfs_quota_us") == "50000")
            #expect(Self.read(node, "101", "cpuset", "cpuset.cpus") == "0")
            // Said once at start, never pretended.
            #expect(r.stderr.contains("not enforced on a stock kernel (accepted and saved only): KMEMSIZE NUMTCPSOCK"), "\(r.stderr)")
            #expect(!r.stderr.contains("AVNUMPROC"))
            // The scratch node's VE_PRIVATE is on tmpfs: no block device to throttle.
            #expect(r.stderr.contains("IOLIMIT and IOPSLIMIT are not enforced: VE_PRIVATE is not on a block device"), "\(r.stderr)")
            // Live: CPULIMIT off leaves the CPUS quota; CPUMASK all gives every CPU back.
            r = node.vzctl("set", "101", "--cpulimit", "0", "--cpumask", "all", "--numtcpsock", "400")
            #expect(r.status == 0, "\(r.output)")
            #expect(r.stderr.contains("NUMTCPSOCK is saved but not enforced"), "\(r.stderr)")
            #expect(Self.read(node, "101", "cpu", "cpu.cfs_quota_us") == "100000")
            #expect(Self.read(node, "101", "cpuset", "cpuset.cpus") == Spawn.readText("/sys/fs/cgroup/cpuset/cpuset.cpus").trimmingNewline)
        }
    }

    @Test func ramWithoutSwapIsRefusedAtStart() {
        TestNode.withRunning { node in
            node.createBusybox("101")
            _ = Spawn.shell("sed -i '/^SWAPPAGES=/d' '\(node.root)/etc/vz/conf/101.conf'")
            let r = node.vzctl("start", "101")
            #expect(r.status == 28, "\(r.output)")
            #expect(r.stderr.contains("swappages"))
            #expect(node.isClean("101"))
        }
    }
}
