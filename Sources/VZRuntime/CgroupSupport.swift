import Glibc
import VZCgroup
import VZConfig
import VZInventory
import VZSystem

/// The VPS's cgroups as start/stop/status use them (VZCgroup does the work).
enum CgroupSupport {
    /// The host's cgroup layout, read once per process.
    nonisolated(unsafe) private static var cachedLayout: CgroupLayout?

    static func cgroup(_ ctid: ContainerID, node: Node) throws(VZError) -> ContainerCgroup {
        let layout: CgroupLayout
        if let cachedLayout {
            layout = cachedLayout
        } else {
            layout = try CgroupLayout.detect()
            cachedLayout = layout
        }
        return ContainerCgroup(layout: layout, sysroot: node.sysroot, ctid: ctid)
    }

    /// Whether `pid` is in the VPS's cgroup (see RunState.isInCgroup).
    static func contains(_ pid: pid_t, ctid: ContainerID, node: Node) -> Bool {
        RunState.isInCgroup(pid, ctid: ctid, sysroot: node.sysroot)
    }
}
