import VZCgroup
import VZConfig
import VZInventory
import VZSystem

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
