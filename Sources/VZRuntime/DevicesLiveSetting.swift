import VZCgroup
import VZConfig
import VZSystem

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
