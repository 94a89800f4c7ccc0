import CVZShim
import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `vzctl stop CTID [--fast]`: ask the VPS's init to shut down the way that
/// init expects, wait up to STOP_TIMEOUT, then kill everything, unmount and
/// forget the state.
public struct StopOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    /// How to ask an init to power off, from what the kernel says it is.
    enum ShutdownRequest: Equatable {
        case signal(Int32)
        case none

        /// busybox init: SIGUSR2 = poweroff (SIGTERM would reboot).
        /// systemd: SIGRTMIN+3 = halt.target. sysvinit: SIGPWR, which the
        /// Debian template maps to `init 0` (powerfail); an init that does
        /// not catch SIGPWR ignores it as PID 1 and is killed at the timeout.
        static func detect(_ pid: pid_t) -> ShutdownRequest {
            let exe = Files.readLink("/proc/\(pid)/exe") ?? ""
            let name = Files.basename(exe.hasSuffix(" (deleted)") ? String(exe.dropLast(10)) : exe)
            if name == "busybox" { return .signal(SIGUSR2) }
            if name == "systemd" { return .signal(__libc_current_sigrtmin() + 3) }
            return .signal(SIGPWR)
        }
    }

    /// `skipUmount`: leave VE_ROOT mounted (4.x `--skip-umount`, used by
    /// vzmigrate to copy a stopped container's files).
    public func run(_ ctid: ContainerID, fast: Bool = false, skipUmount: Bool = false, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        var monitor: ProcessIdentity?
        do {
            let lock = try node.lock(ctid, skip: skipLock)
            defer { lock?.release() }
            monitor = try stopLocked(ctid, fast: fast, skipUmount: skipUmount)
        }
        // The monitor (now `__reap`) waits for the lock we just released and
        // finds nothing to do; let it go so no process of the VPS is left.
        if let monitor, let fd = monitor.open() { _ = ProcessIdentity.waitExit(fd, seconds: 5) }
    }

    /// Returns the monitor to wait for once the lock is released.
    func stopLocked(_ ctid: ContainerID, fast: Bool, skipUmount: Bool = false) throws(VZError) -> ProcessIdentity? {
        let effective = try node.effective(ctid)
        let state = RunState.load(ctid, node: node)
        guard let state, let initID = state.liveInit(ctid, node: node), let pidfd = initID.open() else {
            console.info("Unable to stop: container is not running")
            // A dead init's leftovers (killed vzctl, node reboot): clear the
            // claim and the cgroups so nothing reads them again. The mount
            // stays, as 4.x's did.
            RunState.remove(ctid, node: node)
            NetworkLifecycle.stop(ctid, effective: effective, node: node, console: console, ran: false)
            if let cgroup = try? CgroupSupport.cgroup(ctid, node: node) {
                if (try? cgroup.isPopulated()) == true { try? cgroup.killAll() }
                try? cgroup.remove()
            }
            return nil
        }
        console.info("Stopping container ...")
        var stopped = false
        if !fast, case .signal(let sig) = ShutdownRequest.detect(initID.pid) {
            let timeout = Double(effective["STOP_TIMEOUT"].flatMap { Int($0) } ?? 120)
            if vz_pidfd_send_signal(pidfd.raw, sig) == 0 {
                stopped = ProcessIdentity.waitExit(pidfd, seconds: timeout)
            }
        }
        if !stopped {
            if !fast { console.info("Killing container ...") }
            // Freeze, SIGKILL everything in the VPS's cgroups, verify empty.
            // SIGKILL to the PID namespace's init as well: the kernel then
            // kills every process of the namespace, and init's exit waits
            // for them all (zap_pid_ns_processes), cgroup or not.
            let cgroupError: VZError?
            do { try CgroupSupport.cgroup(ctid, node: node).killAll(initExit: pidfd); cgroupError = nil } catch { cgroupError = error }
            _ = vz_pidfd_send_signal(pidfd.raw, SIGKILL)
            if let cgroupError { console.error("Warning: \(cgroupError.description)") }
            guard ProcessIdentity.waitExit(pidfd, seconds: 30) else {
                throw VZError(.stop, "Unable to stop container: init \(initID.pid) did not die")
            }
        }
        console.info("Container was stopped")
        try cleanUp(ctid, effective: effective, unmount: !skipUmount)
        return state.monitor
    }

    /// What a stopped VPS leaves: host network objects, the mount, cgroups, the state file.
    func cleanUp(_ ctid: ContainerID, effective: EffectiveConfig, unmount: Bool = true) throws(VZError) {
        let network = NetworkLifecycle.stop(ctid, effective: effective, node: node, console: console)
        defer { withExtendedLifetime(network) {} }
        let cgroup = try CgroupSupport.cgroup(ctid, node: node)
        // Anything left after init's end (there should be nothing: the PID
        // namespace died with it) is killed before the cgroups go.
        if (try? cgroup.isPopulated()) == true { try cgroup.killAll() }
        try cgroup.remove()
        RunState.remove(ctid, node: node)
        // The monitor removes its console socket when the init ends; a
        // killed monitor's stays, and would refuse the next attach.
        _ = unlink(ConsoleOperation.socketPath(ctid, sysroot: node.sysroot))
        if unmount, let root = effective["VE_ROOT"], !root.isEmpty, isMountPoint(node.host(root)) {
            try MountOperation.unmount(node.host(root))
            console.info("Container is unmounted")
        }
    }
}

/// `vzctl __reap CTID STATUS`: what the monitor execs when the VPS's init
/// has ended. It acts only while the state file still names this process
/// (the monitor's pid and start time, which exec keeps): a `stop` or a
/// failed `start` has already cleaned up and removed the file.
public enum ReapStage {
    public static func main(_ argv: [String], sysroot: Sysroot) -> Int32 {
        guard argv.count == 2, let ctid = ContainerID(argv[0]), let status = Int32(argv[1]) else { return 2 }
        guard let me = ProcessIdentity.current(getpid()) else { return 1 }
        func mine(_ node: Node) -> Bool { RunState.load(ctid, node: node)?.monitor == me }
        do {
            let node = try Node.load(sysroot: sysroot)
            // Cheap check first: most of the time a stop already cleaned up.
            guard mine(node) else { return 0 }
            let console = Console(quiet: true, node: node)
            console.about(ctid)
            // A stop holds the lock while init shuts down: wait for it
            // (blocking flock, woken when the holder lets go).
            let lock = try ContainerLock.acquire(lockDir: node.lockDir(), name: ctid.description, wait: true)
            defer { lock.release() }
            guard mine(node) else { return 0 }
            let end = StartProtocol.InitEnd(waitStatus: status)
            let effective = try node.effective(ctid)
            try StopOperation(node: node, console: console).cleanUp(ctid, effective: effective)
            if end == .reboot {
                console.info("Container rebooted from inside; starting it again")
                var leftover: ProcessIdentity?
                try StartOperation(node: node, console: console).startLocked(ctid, options: .init(force: true), failedMonitor: &leftover)
            } else {
                console.info("Container stopped from inside")
            }
            return 0
        } catch {
            return error.code.rawValue
        }
    }
}
