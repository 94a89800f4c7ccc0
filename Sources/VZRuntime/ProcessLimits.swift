import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZSystem

/// NUMFILE, LOCKEDPAGES and NUMSIGINFO as process resource limits
/// (RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_SIGPENDING). The kernel keeps
/// them per process, so a VPS gets them three ways: its init at start (the
/// init stage sets them before it execs, `InitLimits`), every process
/// `exec`/`enter`/`runscript` starts (copied from the init, `PayloadLimits`),
/// and every process of a running VPS on `vzctl set` (`applyToAll`). VPS
/// root has no CAP_SYS_RESOURCE (`Capabilities.never`), so it can lower
/// a hard limit but never raise one.
enum ProcessLimits {
    /// The resources the beancounters map to.
    static let managed: [ProcessLimit.Resource] = [.nofile, .memlock, .sigpending]

    /// prlimit(2) of one process (0 = this one).
    static func set(_ l: ProcessLimit, pid: pid_t) throws(VZError) {
        var r = rlimit(rlim_cur: rlim_t(l.soft), rlim_max: rlim_t(l.hard))
        _ = try sys("Unable to set \(l.key) (\(l.resource.name) \(l.soft):\(l.hard)) of process \(pid)", code: .setUBC) {
            vz_prlimit(pid, l.resource.rawValue, &r, nil)
        }
    }

    /// The managed limits of a process as they are now (nil when it is gone).
    static func current(pid: pid_t) -> [ProcessLimit]? {
        var out: [ProcessLimit] = []
        for res in managed {
            var r = rlimit()
            guard vz_prlimit(pid, res.rawValue, nil, &r) == 0 else { return nil }
            out.append(ProcessLimit(res.key, res, soft: UInt64(r.rlim_cur), hard: UInt64(r.rlim_max)))
        }
        return out
    }

    /// Whether this process may raise hard limits (CAP_SYS_RESOURCE). A
    /// root vzctl has it, except where its own caller withheld it (a
    /// container manager running vzctl inside a container, as on the CI
    /// machine): there no limit can be raised above vzctl's own.
    static let canRaise: Bool = {
        guard let text = (try? Files.readString("/proc/self/status")) ?? nil,
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst(7).filter { !$0.isWhitespace }, radix: 16) else { return false }
        return mask & (1 << 24) != 0
    }()

    /// `limits`, each lowered to this process's own hard limit when it
    /// cannot raise past it (`canRaise`), and the keys that were lowered.
    static func clampedToCaller(_ limits: [ProcessLimit]) -> (limits: [ProcessLimit], lowered: [ProcessLimit]) {
        guard !canRaise, let own = current(pid: 0) else { return (limits, []) }
        var out: [ProcessLimit] = [], lowered: [ProcessLimit] = []
        for var l in limits {
            if let mine = own.first(where: { $0.resource == l.resource }), l.hard > mine.hard {
                l.hard = mine.hard
                l.soft = min(l.soft, mine.hard)
                lowered.append(l)
            }
            out.append(l)
        }
        return (out, lowered)
    }

    /// The warning for limits `clampedToCaller` lowered.
    static func loweredWarning(_ lowered: [ProcessLimit]) -> String? {
        guard !lowered.isEmpty else { return nil }
        return "Warning: vzctl runs without CAP_SYS_RESOURCE and cannot raise a limit above its own: "
            + lowered.map { "\($0.key) lowered to \($0.soft):\($0.hard)" }.joined(separator: ", ")
    }

    /// Sets `limits` on every process of a running VPS. The VPS is frozen
    /// meanwhile: a frozen task cannot exit, so no PID read from its
    /// cgroup can be reused by a host process before the prlimit reaches
    /// it (the reason `ContainerCgroup.killAll` freezes too).
    static func applyToAll(_ limits: [ProcessLimit], cgroup: ContainerCgroup) throws(VZError) {
        guard !limits.isEmpty else { return }
        try cgroup.freeze()
        var failure: VZError?
        do throws(VZError) {
            for pid in try cgroup.procs() {
                for l in limits {
                    var r = rlimit(rlim_cur: rlim_t(l.soft), rlim_max: rlim_t(l.hard))
                    // ESRCH: a zombie that had already exited.
                    if vz_prlimit(pid, l.resource.rawValue, &r, nil) != 0 && errno != ESRCH {
                        let e = errno
                        throw VZError(.setUBC, "Unable to set \(l.key) (\(l.resource.name) \(l.soft):\(l.hard)) of process \(pid)", errno: e)
                    }
                }
            }
        } catch {
            failure = error
        }
        try cgroup.thaw()
        if let failure { throw failure }
    }
}

/// The init's NUMFILE/LOCKEDPAGES/NUMSIGINFO limits for a payload of
/// exec/enter/runscript, in the form the C side sets them (`vz_enter_args`
/// `rlimit_res`/`rlimits`): the payload calls setrlimit itself, in the VPS,
/// before it drops its capabilities, so vzctl's own limits never change.
/// Copying from the init rather than the config keeps every process of the
/// VPS alike, also after a `vzctl set` without `--save`. VPS root may have
/// lowered the init's limits; it cannot have raised them.
final class PayloadLimits {
    let count: Int32
    let resources: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<rlimit>

    /// The init was verified by the caller through `pidfd`; what was read
    /// counts only if it still lives afterwards.
    init(initPid: pid_t, pidfd: FileDescriptor) throws(VZError) {
        guard let read = ProcessLimits.current(pid: initPid), vz_pidfd_send_signal(pidfd.raw, 0) == 0 else {
            throw VZError(.notRunning, "Container is not running")
        }
        let limits = ProcessLimits.clampedToCaller(read).limits
        count = Int32(limits.count)
        resources = .allocate(capacity: max(1, limits.count))
        values = .allocate(capacity: max(1, limits.count))
        for (i, l) in limits.enumerated() {
            resources[i] = l.resource.rawValue
            values[i] = rlimit(rlim_cur: rlim_t(l.soft), rlim_max: rlim_t(l.hard))
        }
    }

    deinit {
        resources.deallocate()
        values.deallocate()
    }
}
