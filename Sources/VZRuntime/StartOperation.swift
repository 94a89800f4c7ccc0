import CVZShim
import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `vzctl start CTID [--force] [--skip-remount] [--wait]` (compat §9; the
/// handshake is drawn in StartProtocol.swift).
///
/// `start` always returns after the init stage has either exec'd the VPS's
/// init (EOF on the error pipe) or failed (its message and code), so the
/// exit code is true without `--wait`; `--wait` then waits for the init to
/// finish booting (BootWait; 133 when it does not) and says `Container
/// started successfully`, as 4.x did after its runlevel FIFO.
public struct StartOperation {
    public let node: Node
    public let console: Console

    public struct Options: Sendable {
        public var force = false
        public var skipRemount = false
        public var wait = false
        /// No init of the VPS's: an idle shell as PID 1 (runscript).
        public var bare = false
        public init(force: Bool = false, skipRemount: Bool = false, wait: Bool = false, bare: Bool = false) {
            self.force = force
            self.skipRemount = skipRemount
            self.wait = wait
            self.bare = bare
        }
    }

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    public func run(_ ctid: ContainerID, options: Options = Options(), skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        var leftover: ProcessIdentity?
        do throws(VZError) {
            let lock = try node.lock(ctid, skip: skipLock)
            defer { lock?.release() }
            CrashPoint.reached("start.locked")
            try startLocked(ctid, options: options, failedMonitor: &leftover)
        } catch {
            // The failed start's monitor runs `__reap`, which finds nothing
            // to do once the lock is free; let it finish so that nothing of
            // this start is left when we return.
            if let leftover, let fd = leftover.open() { _ = ProcessIdentity.waitExit(fd, seconds: 5) }
            throw error
        }
        // --wait: after the lock is released, so a boot that takes long
        // (or never ends) holds up no stop or set. The VPS is up either
        // way: a boot that does not finish is reported (133), not undone,
        // as in 4.x.
        if options.wait {
            guard let initID = RunState.runningInit(ctid, node: node) else {
                throw VZError(.waitFailed, "Container init exited during start")
            }
            try BootWait(ctid: ctid, node: node, initProcess: initID).run()
            console.info("Container started successfully")
        }
    }

    /// The start itself; the caller holds the CT lock (`__reap` restarting
    /// a VPS rebooted from inside calls this too).
    func startLocked(_ ctid: ContainerID, options: Options, failedMonitor: inout ProcessIdentity?) throws(VZError) {
        let effective = try node.effective(ctid)
        guard effective.container != nil else {
            throw VZError(.noContainerConfig, "Container config file does not exist")
        }
        let paths = try MountOperation.paths(effective, node: node)
        if (effective["DISABLED"] ?? "no").lowercased() == "yes" && !options.force {
            throw VZError(.startDisabled, "Container start disabled")
        }
        if RunState.runningInit(ctid, node: node) != nil {
            throw VZError(.running, "Container is already running")
        }
        console.info("Starting container...")

        var undo: [() -> Void] = []
        func rollback() { for step in undo.reversed() { step() } }
        do throws(VZError) {
            // A state file naming a dead init is a leftover (killed vzctl,
            // node reboot): the kernel says the VPS is down.
            RunState.remove(ctid, node: node)
            if isMountPoint(paths.hostRoot) && !options.skipRemount {
                try MountOperation.unmount(paths.hostRoot)
            }
            if !isMountPoint(paths.hostRoot) {
                try MountOperation.mount(paths)
                undo.append { try? MountOperation.unmount(paths.hostRoot) }
                console.info("Container is mounted")
            }
            CrashPoint.reached("start.mounted")

            // The VPS's cgroups on every hierarchy, devices before attach
            // (a new cgroup inherits its parent's "everything").
            let cgroup = try CgroupSupport.cgroup(ctid, node: node)
            try cgroup.create()
            undo.append { try? cgroup.killAll(); try? cgroup.remove() }
            // Limits (issue 4): cgroup files now, before any VPS process
            // exists; the rest by the init stage and after the attach.
            let limits = try ContainerLimits(effective, cgroup: cgroup, node: node)
            limits.report(console: console)
            try cgroup.setDevices(limits.deviceRules(effective))
            try cgroup.apply(limits.plan.cgroup)
            CrashPoint.reached("start.cgroup")
            let caps = Capabilities.mask(config: effective["CAPABILITY"], deviceCgroup: true)
            for w in caps.warnings { console.error(w) }

            let log = try openConsoleLog(ctid)
            let cgroupNS = access("/proc/self/ns/cgroup", F_OK) == 0
            var initArgs = StartProtocol.InitArguments(
                root: paths.hostRoot, hostname: effective["HOSTNAME"] ?? "", capabilities: caps.mask, newCgroupNamespace: cgroupNS,
                bare: options.bare)
            initArgs.limits = limits.initLimits
            // The init stage's fixed tables (initstage.h): more is refused
            // here with the DEVNODES code, not by a monitor that cannot say why.
            guard initArgs.limits.deviceNodes.count <= 64, initArgs.limits.rlimits.count <= 16 else {
                throw VZError(.setDevices, "At most 64 DEVNODES entries can be given to a container")
            }
            let flags = VZ_CLONE_NEWNS | VZ_CLONE_NEWPID | VZ_CLONE_NEWUTS | VZ_CLONE_NEWIPC | VZ_CLONE_NEWNET
            // The init stage is born into the cgroups (see openJoinFiles):
            // everything the VPS ever forks is counted, and its cgroup
            // namespace is rooted there.
            let join = try cgroup.openJoinFiles()
            // The monitor makes its console socket there (root only).
            try Files.makeDirectories(RunState.directory(node.sysroot), mode: 0o700)
            let m = try MonitorLauncher.spawn(ctid: ctid, cloneFlags: Int32(flags), initArgs: initArgs,
                                              consoleLog: log, cgroups: join,
                                              lockPath: ContainerLock.path(lockDir: node.lockDir(), name: ctid.description),
                                              sysroot: node.sysroot)
            let monitor = ProcessIdentity.current(m.pid)
            failedMonitor = monitor
            CrashPoint.reached("start.spawned")

            let report = String(decoding: MonitorLauncher.readToEnd(m.report), as: UTF8.self)
            guard let pid = pid_t(report.split(separator: "\n").first ?? ""), pid > 0, let monitor else {
                // The monitor ended without a child: reap it ourselves.
                var st: Int32 = 0
                _ = waitpid(m.pid, &st, 0)
                failedMonitor = nil
                throw VZError(.resource, "Unable to start the container: monitor said \(report.isEmpty ? "nothing" : report)")
            }
            guard let initID = ProcessIdentity.current(pid) else {
                // The child died before "go" (it could not join its
                // cgroups): its reason is on the error pipe. The monitor
                // now waits for the CT lock we hold, so it is waited for
                // (failedMonitor) only once the lock is released.
                // (The monitor closed its copy of the error pipe at the
                // clone, so this read ends with the child.)
                let text = MonitorLauncher.readToEnd(m.errors)
                throw text.isEmpty ? VZError(.resource, "Unable to start the container: its init stage ended at once")
                                   : StartProtocol.decode(text)
            }
            undo.append {
                if let fd = initID.open() {
                    _ = vz_pidfd_send_signal(fd.raw, SIGKILL)
                    _ = ProcessIdentity.waitExit(fd, seconds: 10)
                }
            }
            // Before "go" (the init stage waits for it): the shm limits
            // of its IPC namespace.
            try limits.applyToNewInit(initID)

            let state = RunState(initProcess: initID, monitor: monitor, bootID: RunState.currentBootID())
            try state.save(ctid, node: node)
            undo.append { RunState.remove(ctid, node: node) }
            CrashPoint.reached("start.state")

            // The VPS's init starts with its network up and its hostname
            // and resolver files written (NetworkLifecycle).
            undo.append(try NetworkLifecycle.start(ctid, effective: effective, initProcess: initID, hostRoot: paths.hostRoot,
                                                   node: node, console: console))

            var go = StartProtocol.go
            // EPIPE: the child failed before reading it (joining its
            // cgroups); its message is on the error pipe.
            let released = sysResult { write(m.go.raw, &go, 1) }
            CrashPoint.reached("start.go")
            let errorText = MonitorLauncher.readToEnd(m.errors)
            if case .failure(let e) = released, errorText.isEmpty {
                throw VZError(.resource, "Unable to release the init stage", errno: e.rawValue)
            }
            if !errorText.isEmpty {
                throw StartProtocol.decode(errorText)
            }
            guard initID.isAlive else {
                throw VZError(.badTemplate, "Unable to start init, probably incorrect template (init exited at once)")
            }
        } catch {
            console.error("Container start failed")
            rollback()
            throw error
        }
        failedMonitor = nil
        if !options.wait { console.info("Container start in progress...") }
    }

    /// `/var/log/vzctl/CTID.console` under VZ_SYSROOT, emptied at each start.
    private func openConsoleLog(_ ctid: ContainerID) throws(VZError) -> FileDescriptor {
        let dir = node.host("/var/log/vzctl")
        try Files.makeDirectories(dir, mode: 0o750)
        return try FileDescriptor.open("\(dir)/\(ctid).console", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW, mode: 0o600)
    }

    public static func consoleLogPath(_ ctid: ContainerID, node: Node) -> String {
        node.host("/var/log/vzctl/\(ctid).console")
    }
}
