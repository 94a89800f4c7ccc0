import VZCgroup
import VZConfig
import VZSystem

/// `vzctl set` on a running VPS: the beancounters, CPU and I/O keys the
/// call changed (LiveSetting.swift), applied before the config is saved.
struct LimitsLiveSetting: LiveSetting {
    func apply(_ context: LiveContext) throws(VZError) {
        let changed = Set(context.changes.changedKeys).intersection(LimitMapping.keys)
        guard !changed.isEmpty else { return }
        let cgroup = try CgroupSupport.cgroup(context.ctid, node: context.node)
        let limits = try ContainerLimits(context.new, cgroup: cgroup, node: context.node, devices: false)
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
