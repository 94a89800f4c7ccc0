import Glibc
import VZConfig
import VZSystem

/// One VPS's cgroup in one hierarchy: a v1 hierarchy (`CgroupV1`) or the
/// unified one (`CgroupV2`). `ContainerCgroup` holds one per hierarchy the
/// host has and decides which does what (freezing, killing, devices), so
/// the backends stay small and each is testable on its own: `CgroupV2`
/// against a fake tree, `CgroupV1` against this machine's kernel.
///
/// Every operation covers the whole subtree below the VPS's cgroup:
/// systemd inside a VPS makes child cgroups in what it is delegated.
public protocol CgroupBackend: Sendable {
    /// Absolute path of the VPS's cgroup in this hierarchy.
    var path: String { get }
    var version: CgroupVersion { get }
    /// Controllers this cgroup has: a v1 hierarchy's, or those a v2 leaf
    /// gets from its parent's `cgroup.subtree_control`.
    var controllers: [String] { get }

    /// Makes the cgroup and any missing parent; existing ones are kept.
    func create() throws(VZError)
    /// Moves a process (all its threads) in; 0 = the writer itself.
    func attach(_ pid: pid_t) throws(VZError)
    /// Every process in the subtree (thread-group leaders).
    func procs() throws(VZError) -> [pid_t]
    /// Whether any task is in the subtree.
    func isPopulated() throws(VZError) -> Bool

    /// This hierarchy can freeze the subtree (v1 freezer, v2 cgroup.freeze).
    var canFreeze: Bool { get }
    /// Freezes and waits until the kernel reports the subtree frozen.
    func freeze(until deadline: Deadline) throws(VZError)
    func thaw(until deadline: Deadline) throws(VZError)
    /// Asks the kernel to SIGKILL the whole subtree at once (v2
    /// `cgroup.kill`, 5.14+); false when this hierarchy cannot.
    func killAllNatively() throws(VZError) -> Bool

    /// This hierarchy carries the device controller.
    var canSetDevices: Bool { get }
    /// Replaces the device allowlist: everything not listed is denied.
    func setDevices(_ rules: [DeviceAccessRule]) throws(VZError)

    /// Removes the subtree, leaf first.
    func remove(until deadline: Deadline) throws(VZError)

    /// A controller's interface file in the VPS's cgroup (`pids.max`,
    /// `memory.max`): the seam the beancounter mapping writes through.
    func write(_ file: String, _ value: String) throws(VZError)
    func read(_ file: String) throws(VZError) -> String?
}

public enum CgroupVersion: Sendable, Equatable {
    case v1, v2
}

extension CgroupBackend {
    public func write(_ file: String, _ value: String) throws(VZError) {
        try CgroupFiles.write(path + "/" + file, value)
    }

    public func read(_ file: String) throws(VZError) -> String? {
        try CgroupFiles.read(path + "/" + file)
    }

    public func remove(until deadline: Deadline) throws(VZError) {
        try CgroupFiles.removeTree(path, until: deadline)
    }

    /// `cgroup.procs` of every cgroup in the subtree.
    public func procs() throws(VZError) -> [pid_t] {
        var out: [pid_t] = []
        for d in CgroupFiles.subtree(path) {
            out.append(contentsOf: CgroupFiles.pids(try CgroupFiles.read(d + "/cgroup.procs")))
        }
        return out
    }

    public func attach(_ pid: pid_t) throws(VZError) {
        try CgroupFiles.write(path + "/cgroup.procs", String(pid))
    }
}
