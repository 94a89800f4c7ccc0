import Glibc
import VZConfig
import VZSystem

/// One VPS's cgroups on every hierarchy the host has: each v1 hierarchy
/// (plus name=systemd, as LXC does, for a systemd inside), and the unified
/// one. A pure v2 host has a single leaf.
///
/// The order `start` uses: `create()` → `setDevices(_:)` → limits
/// (`write(controller:file:value:)`) → the init stage born into the
/// cgroups through `openJoinFiles()`, and only then
/// `unshare(CLONE_NEWCGROUP)` in the child, so the VPS's cgroup becomes its
/// cgroup root. Devices come
/// before attach because a new cgroup inherits its parent's devices, and
/// on the root that is "everything".
public struct ContainerCgroup: Sendable {
    public let ctid: ContainerID
    public let layout: CgroupLayout
    /// `vz/101` (or `vz-1a2b3c4d/101` for a VZ_SYSROOT node).
    public let relativePath: String
    /// v1 hierarchies in mount order, then the unified one.
    public let backends: [any CgroupBackend]

    public init(layout: CgroupLayout, sysroot: Sysroot, ctid: ContainerID) {
        self.init(layout: layout, relativePath: CgroupNode.relativePath(sysroot, ctid), ctid: ctid)
    }

    public init(layout: CgroupLayout, relativePath: String, ctid: ContainerID,
                wantedControllers: [String] = CgroupV2.defaultControllers) {
        var b: [any CgroupBackend] = layout.v1.map { CgroupV1(hierarchy: $0, relativePath: relativePath) }
        if let u = layout.unified {
            b.append(CgroupV2(mountPoint: u.mountPoint, relativePath: relativePath, wantedControllers: wantedControllers))
        }
        self.init(ctid: ctid, layout: layout, relativePath: relativePath, backends: b)
    }

    /// Explicit backends (tests: a v2 backend with a fake-tree seam).
    init(ctid: ContainerID, layout: CgroupLayout, relativePath: String, backends: [any CgroupBackend]) {
        self.ctid = ctid
        self.layout = layout
        self.relativePath = relativePath
        self.backends = backends
    }

    /// Absolute paths of the VPS's cgroup, one per hierarchy.
    public var paths: [String] { backends.map(\.path) }

    var unified: (any CgroupBackend)? { backends.first { $0.version == .v2 } }

    /// The hierarchy that answers "which processes, is anything running":
    /// the unified one (its `populated` is recursive and every VPS process
    /// is attached there too), else v1 pids, else freezer, else the first.
    var membership: (any CgroupBackend)? {
        unified
            ?? backends.first { $0.controllers.contains("pids") }
            ?? backends.first { $0.controllers.contains("freezer") }
            ?? backends.first
    }

    /// v2 `cgroup.freeze` where the kernel has it (also on a hybrid host:
    /// the v2 freezer needs no controller), else the v1 freezer.
    var freezer: (any CgroupBackend)? {
        if let u = unified, u.canFreeze { return u }
        return backends.first { $0.version == .v1 && $0.canFreeze }
    }

    // MARK: life cycle

    /// Creates the cgroup on every hierarchy; idempotent. If one hierarchy
    /// fails, what this call made is removed again, so a failed start
    /// leaves no half-made VPS cgroup (the error is the first failure).
    public func create() throws(VZError) {
        var made: [any CgroupBackend] = []
        for b in backends {
            let existed = Files.isDirectory(b.path)
            do {
                try b.create()
            } catch {
                for m in made.reversed() { try? m.remove(until: Deadline(after: .milliseconds(200))) }
                throw error.prefixed("CT \(ctid): ")
            }
            if !existed { made.append(b) }
        }
    }

    /// Moves `pid` into the VPS's cgroup on every hierarchy (v1 and v2
    /// alike take a write of the PID to `cgroup.procs`).
    public func attach(_ pid: pid_t) throws(VZError) {
        for b in backends {
            do { try b.attach(pid) } catch { throw error.prefixed("CT \(ctid): cannot move process \(pid) into its cgroup: ") }
        }
    }

    /// What a new process needs to be born into the VPS's cgroups: see
    /// `openJoinFiles()`.
    public struct JoinFiles {
        /// `tasks` of every v1 hierarchy, opened for writing.
        public let v1Tasks: [FileDescriptor]
        /// The unified leaf's directory, for `clone3(CLONE_INTO_CGROUP)`.
        public let unified: FileDescriptor?
    }

    /// The files a single-threaded C child uses to join the VPS's cgroups
    /// before it execs (the start's init stage, exec's intermediate): no
    /// Swift runs between fork and exec. Permission is checked against the
    /// opener (5.16+), which is us.
    ///
    /// Why `tasks` and "0", not `cgroup.procs`: moving a whole thread group
    /// takes the kernel's `cgroup_threadgroup_rwsem` for writing, and that
    /// percpu rwsem waits for an RCU grace period whenever it is cold —
    /// 9-12 ms on this machine kind, half of a VPS start. Writing "0" to a
    /// v1 `tasks` file moves only the calling thread, which the kernel does
    /// without that lock (cgroup_procs_write_start: pid 0, no threadgroup);
    /// for a process with one thread it is the same move. The unified
    /// hierarchy has no such file for domain cgroups, so the child is
    /// created in it instead: clone3(CLONE_INTO_CGROUP) takes the rwsem
    /// only for reading. Callers fall back to `cgroup.procs` under the
    /// directory when clone3 cannot do that (kernels before 5.7).
    public func openJoinFiles() throws(VZError) -> JoinFiles {
        var tasks: [FileDescriptor] = []
        for b in backends where b.version == .v1 {
            tasks.append(try FileDescriptor.open(b.path + "/tasks", O_WRONLY | O_CLOEXEC))
        }
        let dir = try unified.map { u throws(VZError) in try FileDescriptor.open(u.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        return JoinFiles(v1Tasks: tasks, unified: dir)
    }

    /// The VPS's processes (thread-group leaders), whole subtree, each once.
    public func procs() throws(VZError) -> [pid_t] {
        try membership?.procs() ?? []
    }

    /// Whether any task is in the VPS's cgroup: v2 `populated`, v1 a PID in
    /// any `cgroup.procs` of the subtree. False when it does not exist.
    public func isPopulated() throws(VZError) -> Bool {
        try membership?.isPopulated() ?? false
    }

    public func freeze(timeout: Duration = .seconds(5)) throws(VZError) {
        guard let f = freezer else { throw VZError(.system, "CT \(ctid): this host has no cgroup freezer") }
        do {
            try f.freeze(until: Deadline(after: timeout))
        } catch {
            // Never leave a VPS half frozen because of a timeout.
            try? f.thaw(until: Deadline(after: .seconds(1)))
            throw error.prefixed("CT \(ctid): ")
        }
    }

    public func thaw(timeout: Duration = .seconds(5)) throws(VZError) {
        guard let f = freezer else { throw VZError(.system, "CT \(ctid): this host has no cgroup freezer") }
        do { try f.thaw(until: Deadline(after: timeout)) } catch { throw error.prefixed("CT \(ctid): ") }
    }

    /// Kills every process of the VPS and returns once none is left.
    ///
    /// `cgroup.kill` where the unified hierarchy has it (pure v2, and hybrid
    /// on 5.14+). Otherwise, and for anything that survived: freeze, SIGKILL
    /// each PID, thaw, wait — repeated until empty or `timeout`. Freezing
    /// first is what stops a forking process from escaping: a child forked
    /// between reading `cgroup.procs` and the kill would otherwise live on.
    /// It also keeps the PIDs valid: a frozen task cannot exit, so its PID
    /// cannot be reused by a host process between the read and the kill.
    /// PIDs are read from every hierarchy, so a process attached to only
    /// some (a start interrupted mid-attach) is found too. Throws
    /// (exit 33) with the PIDs still there when `timeout` passes.
    ///
    /// `initExit`: a pidfd of the VPS's init (PID 1 of its namespace), when
    /// the caller has one. Its exit is the end of every process of that
    /// namespace (the kernel reaps them all before PID 1 is gone), so after
    /// `cgroup.kill` the wait is one poll() on it, woken the moment it
    /// happens. (cgroup.events would do too, but the kernel sends at most
    /// one notification per file per 10 ms, which a stop right after a
    /// start runs into.)
    public func killAll(timeout: Duration = .seconds(10), initExit: FileDescriptor? = nil) throws(VZError) {
        let deadline = Deadline(after: timeout)
        if let u = unified, try u.killAllNatively() {
            // Reaping takes microseconds to milliseconds; the loop below
            // picks up whatever is left (processes outside the namespace,
            // v1 stragglers).
            let settle = deadline.capped(.milliseconds(500))
            if let initExit {
                var p = pollfd(fd: initExit.raw, events: Int16(POLLIN), revents: 0)
                while poll(&p, 1, settle.remainingMillis(cap: 500)) < 0 && errno == EINTR {}
            }
            if try settle.wait({ () throws(VZError) -> Bool in try isEmpty() }) { return }
        }
        let me = getpid()
        while true {
            let f = freezer
            // A freeze that does not complete (a task stuck in D state on
            // v1) is no reason to stop: signal what is there anyway.
            if let f { try? f.freeze(until: deadline.capped(.milliseconds(500))) }
            let pids = try allProcs()
            for pid in pids where pid > 1 && pid != me {
                _ = Glibc.kill(pid, SIGKILL)
            }
            // Frozen tasks act on SIGKILL only once thawed; the thaw gets
            // its second even past the deadline: nothing stays frozen.
            if let f { try? f.thaw(until: Deadline(after: .seconds(1))) }
            if pids.contains(me) {
                throw VZError(.stop, "CT \(ctid): vzctl's own process is in the container's cgroup; not killing it")
            }
            let settle = deadline.capped(.milliseconds(pids.isEmpty ? 50 : 500))
            if try settle.wait({ () throws(VZError) -> Bool in try isEmpty() }) { return }
            if deadline.passed {
                let left = (try? allProcs()) ?? []
                throw VZError(.stop, "CT \(ctid): processes still in the container's cgroup after \(timeout)"
                    + (left.isEmpty ? "" : ": " + left.prefix(20).map(String.init).joined(separator: " ")))
            }
        }
    }

    /// PIDs in the subtree on any hierarchy, without duplicates.
    func allProcs() throws(VZError) -> [pid_t] {
        var seen: Set<pid_t> = []
        var out: [pid_t] = []
        for b in backends where Files.isDirectory(b.path) {
            for p in try b.procs() where seen.insert(p).inserted { out.append(p) }
        }
        return out
    }

    private func isEmpty() throws(VZError) -> Bool {
        if let m = membership, try m.isPopulated() { return false }
        return try allProcs().isEmpty
    }

    /// Removes the VPS's cgroup on every hierarchy, leaf first; EBUSY while
    /// the kernel reaps just-killed tasks is retried until `timeout`.
    /// Every hierarchy is tried even when one fails; the first error is
    /// thrown. A cgroup already gone is success.
    public func remove(timeout: Duration = .seconds(2)) throws(VZError) {
        let deadline = Deadline(after: timeout)
        var first: VZError?
        for b in backends.reversed() {
            do { try b.remove(until: deadline) } catch { if first == nil { first = error.prefixed("CT \(ctid): ") } }
        }
        if let first { throw first }
    }

    // MARK: devices and limits

    /// Replaces the VPS's device allowlist (`DeviceAllowlist.effective`):
    /// on the v1 devices hierarchy when the host has one (hybrid hosts
    /// too), otherwise as a BPF device program on the unified leaf. A host
    /// with neither is an error, never a VPS with every device open.
    public func setDevices(_ rules: [DeviceAccessRule]) throws(VZError) {
        let target = backends.first { $0.version == .v1 && $0.canSetDevices } ?? unified
        guard let target else {
            throw VZError(.setDevices, "CT \(ctid): this host has no device cgroup (neither v1 devices nor cgroup2)")
        }
        do { try target.setDevices(rules) } catch { throw error.prefixed("CT \(ctid): ") }
    }

    /// The cgroup that carries `controller`: its v1 hierarchy, or the
    /// unified leaf when the unified root offers it.
    public func backend(for controller: String) -> (any CgroupBackend)? {
        if let v1 = backends.first(where: { $0.version == .v1 && $0.controllers.contains(controller) }) { return v1 }
        // On v2 only what the leaf was given: offered by the root and wanted.
        if let u = unified as? CgroupV2, layout.unified?.controllers.contains(controller) == true,
           u.wantedControllers.contains(controller) {
            return u
        }
        return nil
    }

    /// Writes one interface file of `controller` (issue 4's limits:
    /// `write(controller: "pids", file: "pids.max", value: "50")`).
    public func write(controller: String, file: String, value: String) throws(VZError) {
        guard let b = backend(for: controller) else {
            throw VZError(.system, "CT \(ctid): the \(controller) controller is not available on this host")
        }
        try b.write(file, value)
    }

    public func read(controller: String, file: String) throws(VZError) -> String? {
        try backend(for: controller)?.read(file)
    }
}
