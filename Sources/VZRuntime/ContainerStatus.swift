import VZConfig
import VZInventory
import VZSystem

/// What `vzctl status` prints and what other commands check before acting,
/// read from the system each time rather than from a state file: a config
/// that exists, VE_ROOT being a mount point, and a running init.
public struct ContainerStatus: Equatable, Sendable {
    public var exists: Bool
    public var mounted: Bool
    public var running: Bool

    /// The exact vzctl 4.x line: `CTID 101 exist mounted running`.
    public func line(_ ctid: ContainerID) -> String {
        "CTID \(ctid) \(exists ? "exist" : "deleted") \(mounted ? "mounted" : "unmounted") \(running ? "running" : "down")"
    }

    public static func probe(_ ctid: ContainerID, node: Node) throws(VZError) -> ContainerStatus {
        let effective = try node.effective(ctid)
        // vzctl reports "exist" when the private area is there, whether or
        // not the config is (a config alone is just a prepared file).
        let exists = effective.container != nil && effective["VE_PRIVATE"].map { Files.exists(node.host($0)) } == true
        let mounted = effective["VE_ROOT"].map { isMountPoint(node.host($0)) } ?? false
        return ContainerStatus(exists: exists, mounted: mounted, running: isRunning(ctid, node: node))
    }

    /// Running = the init named by the state file is alive, with the start
    /// time and boot recorded at start (RunState.liveInit): a killed init,
    /// a crashed vzctl or a node reboot all read as down.
    static func isRunning(_ ctid: ContainerID, node: Node) -> Bool {
        RunState.runningInit(ctid, node: node) != nil
    }
}
