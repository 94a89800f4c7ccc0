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
    /// fails here, before anything is written. `devices: false` leaves
    /// DEVNODES unresolved (a live limits change, which does not touch
    /// them, must not fail on a host node that has gone).
    init(_ effective: EffectiveConfig, cgroup: ContainerCgroup, node: Node, devices: Bool = true) throws(VZError) {
        let priv = effective["VE_PRIVATE"].map { node.host($0) }
        host = LimitHost.probe(cgroup, privatePath: priv)
        let config = ContainerConfig(effective)
        var plan = try LimitMapping.plan(config, host: host)
        let (rlimits, lowered) = ProcessLimits.clampedToCaller(plan.rlimits)
        plan.rlimits = rlimits
        self.plan = plan
        self.lowered = ProcessLimits.loweredWarning(lowered)
        deviceNodes = devices ? try DeviceNodes.resolve(config.devnodes) : []
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
