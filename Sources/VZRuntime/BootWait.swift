import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZInventory
import VZSystem

/// `vzctl start --wait`: return once the VPS's init has finished booting.
///
/// vzctl 4.x added a `once` line to the VPS's inittab that opened a FIFO
/// it waited on. We do not edit the VPS's files; the host watches instead,
/// per init:
/// - systemd: `systemctl is-system-running --wait` run inside (exec3),
///   which returns once the boot transaction is over (running/degraded).
/// - sysvinit: the RUN_LVL record in the VPS's utmp names a multi-user
///   runlevel and no `rc`/`startpar` runner of it is left.
/// - busybox init and others without runlevels: the boot scripts (`rcS`,
///   `rc`) have come and gone; an init that starts none within a second of
///   its exec has nothing to wait for.
/// The init dying, or `timeout` passing, is exit 133 as in 4.x.
struct BootWait {
    let ctid: ContainerID
    let node: Node
    let initProcess: ProcessIdentity
    var timeout: Duration = .seconds(600)

    static let runners: Set<String> = ["rc", "rcS", "startpar"]

    func run() throws(VZError) {
        let deadline = Deadline(after: timeout)
        let exe = Files.readLink("/proc/\(initProcess.pid)/exe") ?? ""
        if Files.basename(exe) == "systemd" {
            try waitForSystemd(deadline)
            return
        }
        var sawRunner = false
        let started = Deadline(after: .seconds(1))
        while true {
            guard initProcess.isAlive else { throw VZError(.waitFailed, "Container init exited during start") }
            let runnerNow = try runnerRunning()
            sawRunner = sawRunner || runnerNow
            if !runnerNow && (sawRunner || started.passed) && runlevelReached() { return }
            if deadline.passed { throw VZError(.waitFailed, "Container did not finish booting within \(timeout)") }
            usleep(20_000)
        }
    }

    /// A boot-script runner among the VPS's processes (its cgroup; comm
    /// names as the kernel keeps them).
    private func runnerRunning() throws(VZError) -> Bool {
        for pid in try CgroupSupport.cgroup(ctid, node: node).procs() where pid != initProcess.pid {
            let comm = ((try? Files.readString("/proc/\(pid)/comm")) ?? nil)?.filter { $0 != "\n" } ?? ""
            if BootWait.runners.contains(comm) { return true }
        }
        return false
    }

    /// sysvinit's runlevel from the VPS's utmp: true once it names 2-5, or
    /// when there is no utmp (busybox) or no RUN_LVL record at all.
    private func runlevelReached() -> Bool {
        guard let records = utmp() else { return true }
        var level: UInt8?
        // struct utmp: 384 bytes, ut_type (short) at 0, ut_pid at 4; for
        // RUN_LVL (1) the pid field's low byte is the runlevel character.
        var o = 0
        while o + 384 <= records.count {
            if records[o] == 1 && records[o + 1] == 0 { level = records[o + 4] }
            o += 384
        }
        guard let level else { return true }
        return (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(level)
    }

    /// The VPS's /run/utmp (or /var/run/utmp), read through its own root:
    /// RESOLVE_IN_ROOT keeps any symlink inside the VPS's tree, O_NONBLOCK
    /// and the regular-file check keep a FIFO from holding us up.
    private func utmp() -> [UInt8]? {
        guard let root = try? FileDescriptor.open("/proc/\(initProcess.pid)/root", Int32(VZ_O_PATH) | O_DIRECTORY) else { return nil }
        for path in ["run/utmp", "var/run/utmp"] {
            let flags = UInt64(O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
            guard case .success(let fd) = sysResult({ vz_openat2(root.raw, path, flags, 0, VZ_RESOLVE_IN_ROOT | VZ_RESOLVE_NO_MAGICLINKS) })
            else { continue }
            let file = FileDescriptor(owning: fd)
            guard let st = try? file.stat(), (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 1 << 20,
                  !file.isKernelStateFile else { return nil }
            return try? file.readAll()
        }
        return nil
    }

    private func waitForSystemd(_ deadline: Deadline) throws(VZError) {
        // systemctl is the VPS's binary: it may never return; the deadline
        // kills it.
        guard let outcome = try ExecOperation(node: node).runQuietly(ctid, ["systemctl", "is-system-running", "--wait"],
                                                                      until: deadline) else {
            throw VZError(.waitFailed, "Container did not finish booting within \(timeout)")
        }
        // 0: running; 1: degraded and the like, still a finished boot. Only
        // a command that could not run or a killed one is a failed wait.
        guard case .exited(let code) = outcome, code <= 1 else {
            throw VZError(.waitFailed, "Waiting for the container's boot failed (systemctl is-system-running: \(outcome))")
        }
    }
}
