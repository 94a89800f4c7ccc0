import VZConfig
import VZInventory
import VZSystem

/// RunState (VZInventory) addressed through a Node, as the operations hold one.
extension RunState {
    public static func path(_ ctid: ContainerID, node: Node) -> String { path(ctid, sysroot: node.sysroot) }
    public static func load(_ ctid: ContainerID, node: Node) -> RunState? { load(ctid, sysroot: node.sysroot) }
    public func save(_ ctid: ContainerID, node: Node) throws(VZError) { try save(ctid, sysroot: node.sysroot) }
    public static func remove(_ ctid: ContainerID, node: Node) { remove(ctid, sysroot: node.sysroot) }
    public func liveInit(_ ctid: ContainerID, node: Node) -> ProcessIdentity? { liveInit(ctid, sysroot: node.sysroot) }
    public static func runningInit(_ ctid: ContainerID, node: Node) -> ProcessIdentity? {
        runningInit(ctid, sysroot: node.sysroot)
    }
}
