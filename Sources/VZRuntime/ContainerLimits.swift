import Glibc
import VZCgroup
import VZConfig
import VZInventory
import VZSystem

/// A VPS's limits as `start`, `set` and `set --reset_ub` apply them: the
/// host's facts are probed once, `LimitMapping` (pure) decides, and the
/// parts go where they belong: cgroup files (`ContainerCgroup.apply`), the
/// IPC namespace's shm sysctls, the devpts `max`, the rlimits, and the
/// DEVNODES nodes and device rules.
struct ContainerLimits {
    let host: LimitHost
    let plan: LimitPlan
    let deviceNodes: [DeviceNodeSpec]

    /// Probes the host for `cgroup` (already created) and maps `effective`.
    /// A config the mapping refuses (a RAM limit without SWAPPAGES: 28)
    /// fails here, before anything is written.
    init(_ effective: EffectiveConfig, cgroup: ContainerCgroup, node: Node) throws(VZError) {
        let priv = effective["VE_PRIVATE"].map { node.host($0) }
        host = LimitHost.probe(cgroup, privatePath: priv)
        let config = ContainerConfig(effective)
        var plan = try LimitMapping.plan(config, host: host)
        let (rlimits, lowered) = ProcessLimits.clampedToCaller(plan.rlimits)
        plan.rlimits = rlimits
        self.plan = plan
        self.lowered = ProcessLimits.loweredWarning(lowered)
        deviceNodes = try DeviceNodes.resolve(config.devnodes)
    }

    /// Rlimits lowered to vzctl's own (no CAP_SYS_RESOURCE), as a warning.
    let lowered: String?

    /// What the init stage applies itself (NUMPTY, DEVNODES, rlimits).
    var initLimits: InitLimits { InitLimits(ptyMax: plan.ptyMax, rlimits: plan.rlimits, deviceNodes: deviceNodes) }

    /// The device allowlist: DEVICES, then DEVNODES' rules, over the defaults.
    func deviceRules(_ effective: EffectiveConfig) throws(VZError) -> [DeviceAccessRule] {
        let devices = try DeviceRule.parseList(effective["DEVICES"] ?? "")
        return DeviceAllowlist.effective(devices: devices + deviceNodes.map(\.rule))
    }

    /// One line for the keys that cannot be enforced at all, one per host
    /// limitation: never a limit silently pretended.
    func report(console: Console) { ContainerLimits.report(plan, lowered: lowered, console: console) }

    static func report(_ plan: LimitPlan, lowered: String?, console: Console) {
        if let lowered { console.error(lowered) }
        if !plan.unenforced.isEmpty {
            console.error("Warning: not enforced on a stock kernel (accepted and saved only): " + plan.unenforced.joined(separator: " "))
        }
        for w in plan.warnings { console.error("Warning: \(w.message)") }
    }

    /// Start, between the init's attach to the cgroups and "go": the shm
    /// sysctls of its new IPC namespace (everything else is in the cgroup
    /// writes made before, or in `initLimits`).
    func applyToNewInit(_ initProcess: ProcessIdentity) throws(VZError) {
        guard let shm = plan.shm else { return }
        guard let pidfd = initProcess.open() else { throw VZError(.resource, "The container's init stage exited early") }
        try IPCNamespaceLimits.apply(shm, initPidfd: pidfd)
    }

    /// A running VPS: `plan` applied to it, each part only when it is there.
    /// The rlimits go first: raising one is what a host can refuse (no
    /// CAP_SYS_RESOURCE), and nothing else has changed when they fail.
    static func applyLive(_ plan: LimitPlan, cgroup: ContainerCgroup, initProcess: ProcessIdentity) throws(VZError) {
        try ProcessLimits.applyToAll(plan.rlimits, cgroup: cgroup)
        try cgroup.apply(plan.cgroup)
        guard plan.shm != nil || plan.ptyMax != nil else { return }
        guard let pidfd = initProcess.open() else { throw VZError(.notRunning, "Container is not running") }
        if let shm = plan.shm { try IPCNamespaceLimits.apply(shm, initPidfd: pidfd) }
        if let max = plan.ptyMax { try DevptsLimit.apply(max: max, initPid: initProcess.pid, pidfd: pidfd) }
    }

    /// The part of `plan` for `keys` (and keys sharing their files), with
    /// the defaults for what it leaves unset: what a live change of those
    /// keys writes.
    func live(_ keys: Set<String>) -> LimitPlan {
        plan.restricted(to: LimitMapping.related(keys), defaults: LimitMapping.defaults(host: host))
    }
}

/// `vzctl set` on a running VPS: the beancounters, CPU and I/O keys the
/// call changed (LiveSetting.swift), applied before the config is saved.
struct LimitsLiveSetting: LiveSetting {
    func apply(_ context: LiveContext) throws(VZError) {
        let changed = Set(context.changes.changedKeys).intersection(LimitMapping.keys)
        guard !changed.isEmpty else { return }
        let cgroup = try CgroupSupport.cgroup(context.ctid, node: context.node)
        let limits = try ContainerLimits(context.new, cgroup: cgroup, node: context.node)
        let change = limits.live(changed)
        for key in change.unenforced {
            let why = Beancounter(key: key).map(LimitMapping.whyNotEnforced) ?? "no equivalent"
            context.console.error("Warning: \(key) is saved but not enforced (\(why))")
        }
        for w in change.warnings { context.console.error("Warning: \(w.message)") }
        if let lowered = limits.lowered, !change.rlimits.isEmpty { context.console.error(lowered) }
        try ContainerLimits.applyLive(change, cgroup: cgroup, initProcess: context.initProcess)
    }
}

/// `vzctl set` on a running VPS: DEVICES and DEVNODES. The allowlist is
/// replaced as a whole (as at start) and new DEVNODES nodes are made in
/// the VPS's /dev; a node whose access was taken away stays, unusable.
struct DevicesLiveSetting: LiveSetting {
    func apply(_ context: LiveContext) throws(VZError) {
        let keys = context.changes.changedKeys
        guard keys.contains("DEVICES") || keys.contains("DEVNODES") else { return }
        let cgroup = try CgroupSupport.cgroup(context.ctid, node: context.node)
        let config = ContainerConfig(context.new)
        let nodes = try DeviceNodes.resolve(config.devnodes)
        let devices = try DeviceRule.parseList(context.new["DEVICES"] ?? "")
        try cgroup.setDevices(DeviceAllowlist.effective(devices: devices + nodes.map(\.rule)))
        guard keys.contains("DEVNODES"), let pidfd = context.initProcess.open() else { return }
        try DeviceNodes.create(nodes, initPid: context.initProcess.pid, pidfd: pidfd)
    }
}

/// `vzctl set CTID --reset_ub`: the saved beancounters applied again to a
/// running VPS, every beancounter file back to the config's value or to
/// the kernel's default, so what a `set` without `--save` changed is gone.
public struct ResetLimitsOperation {
    public let node: Node
    public let console: Console

    public init(node: Node, console: Console) {
        self.node = node
        self.console = console
    }

    public func run(_ ctid: ContainerID, skipLock: Bool = false) throws(VZError) {
        console.about(ctid)
        let lock = try node.lock(ctid, skip: skipLock)
        defer { lock?.release() }
        let effective = try node.effective(ctid)
        guard effective.container != nil else { throw VZError(.noContainerConfig, "Container config file does not exist") }
        guard let initProcess = RunState.runningInit(ctid, node: node) else {
            throw VZError(.notRunning, "Unable to apply UBC parameters: container is not running")
        }
        let cgroup = try CgroupSupport.cgroup(ctid, node: node)
        let limits = try ContainerLimits(effective, cgroup: cgroup, node: node)
        let change = limits.live(LimitMapping.beancounterKeys)
        ContainerLimits.report(change, lowered: change.rlimits.isEmpty ? nil : limits.lowered, console: console)
        try ContainerLimits.applyLive(change, cgroup: cgroup, initProcess: initProcess)
        console.info("UBC parameters were applied")
    }
}
