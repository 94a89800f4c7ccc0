import Glibc
import VZConfig
import VZSystem

/// A VPS's cgroup in the unified (cgroup2) hierarchy: the only one on a
/// pure v2 host, and on a hybrid host the one that still gives freezing,
/// `cgroup.kill` and a recursive `populated` flag even when it carries no
/// controllers.
///
/// v2 rules kept here: a cgroup with processes gets no controllers in its
/// `cgroup.subtree_control` (the "no internal processes" rule), so the VPS
/// is always a leaf below a parent that never holds a process; controllers
/// reach the leaf by being enabled in every ancestor's subtree_control.
public struct CgroupV2: CgroupBackend {
    public let mountPoint: String
    /// `vz/101`, relative to the mount point.
    public let relativePath: String
    /// Controllers enabled down to the leaf, each where the hierarchy offers
    /// it (a hybrid host's unified root offers few or none).
    public let wantedControllers: [String]
    /// Test seam, nil on a real hierarchy: the tree is a test's plain
    /// files. A fake tree's new directories are empty where the kernel
    /// fills a new cgroup with interface files, so the test fills them.
    let fakeTree: FakeTreeHooks?

    struct FakeTreeHooks: Sendable {
        var directoryCreated: @Sendable (String) -> Void
    }

    /// What the beancounter mapping needs (issue 4): memory, pids, cpu
    /// (weight, quota), cpuset (CPUMASK/NODEMASK), io (IOLIMIT/IOPSLIMIT).
    public static let defaultControllers = ["cpuset", "cpu", "io", "memory", "pids"]

    public init(mountPoint: String, relativePath: String, wantedControllers: [String] = CgroupV2.defaultControllers) {
        self.init(mountPoint: mountPoint, relativePath: relativePath, wantedControllers: wantedControllers, fakeTree: nil)
    }

    init(mountPoint: String, relativePath: String, wantedControllers: [String], fakeTree: FakeTreeHooks?) {
        self.mountPoint = mountPoint
        self.relativePath = relativePath
        self.wantedControllers = wantedControllers
        self.fakeTree = fakeTree
    }

    public var path: String { mountPoint + "/" + relativePath }
    public var version: CgroupVersion { .v2 }

    /// What the leaf has, from its own `cgroup.controllers` ([] before create).
    public var controllers: [String] {
        words((try? CgroupFiles.read(path + "/cgroup.controllers")) ?? nil)
    }

    /// `cgroup.freeze` exists from kernel 5.2 on.
    public var canFreeze: Bool { Files.exists(path + "/cgroup.freeze") }
    /// The device controller is a BPF program on v2, always available
    /// where cgroup BPF is built in (CONFIG_CGROUP_BPF).
    public var canSetDevices: Bool { true }

    private func words(_ s: String?) -> [String] {
        (s ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// Enables the wanted controllers in each ancestor, then makes the next
    /// level: root → `vz` → `vz/101`. The leaf itself gets nothing in its
    /// subtree_control, so it can hold the VPS's processes.
    public func create() throws(VZError) {
        var dir = mountPoint
        for comp in relativePath.split(separator: "/") {
            try enableControllers(in: dir)
            dir += "/" + comp
            if try CgroupFiles.makeDirectory(dir) { fakeTree?.directoryCreated(dir) }
        }
    }

    /// Adds to `dir`'s subtree_control what is wanted, offered by its
    /// `cgroup.controllers` and not yet enabled, in one write (the kernel
    /// applies all or none). A refusal names the controller: enabling can
    /// fail for reasons outside our control (EBUSY when someone put a
    /// process into `vz/` itself; `cpu` with realtime tasks outside any
    /// cgroup on older kernels), and a VPS must not run with a limit
    /// silently missing.
    func enableControllers(in dir: String) throws(VZError) {
        let offered = Set(words(try CgroupFiles.read(dir + "/cgroup.controllers")))
        let enabled = Set(words(try CgroupFiles.read(dir + "/cgroup.subtree_control")))
        let missing = wantedControllers.filter { offered.contains($0) && !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        let file = dir + "/cgroup.subtree_control"
        do {
            try CgroupFiles.write(file, missing.map { "+" + $0 }.joined(separator: " "))
        } catch {
            for c in missing {
                do {
                    try CgroupFiles.write(file, "+" + c)
                } catch {
                    throw VZError(.system, "cannot enable the \(c) controller for child cgroups",
                                  errno: error.errno, path: file)
                }
            }
        }
    }

    public func isPopulated() throws(VZError) -> Bool {
        CgroupFiles.keyed(try CgroupFiles.read(path + "/cgroup.events"), "populated") == "1"
    }

    public func remove(until deadline: Deadline) throws(VZError) {
        try CgroupFiles.removeTree(path, until: deadline, fakeTree: fakeTree != nil)
    }

    // MARK: freezer

    public func freeze(until deadline: Deadline) throws(VZError) {
        try setFrozen(true, until: deadline)
    }

    public func thaw(until deadline: Deadline) throws(VZError) {
        try setFrozen(false, until: deadline)
    }

    /// Writes `cgroup.freeze` and waits for `frozen` in `cgroup.events`,
    /// which the kernel sets only once every task below has stopped.
    private func setFrozen(_ on: Bool, until deadline: Deadline) throws(VZError) {
        try CgroupFiles.write(path + "/cgroup.freeze", on ? "1" : "0")
        let want = on ? "1" : "0"
        let reached = try deadline.wait { () throws(VZError) -> Bool in
            CgroupFiles.keyed(try CgroupFiles.read(path + "/cgroup.events"), "frozen") == want
        }
        guard reached else {
            throw VZError(.system, "cgroup did not become \(on ? "frozen" : "thawed") in time", path: path + "/cgroup.events")
        }
    }

    /// `cgroup.kill` (5.14+): SIGKILL to every task in the subtree, and
    /// forks racing with it fail, so nothing escapes.
    public func killAllNatively() throws(VZError) -> Bool {
        let file = path + "/cgroup.kill"
        guard Files.exists(file) else { return false }
        try CgroupFiles.write(file, "1", code: .stop)
        return true
    }

    // MARK: devices

    /// Replaces the BPF device program of the leaf (see `DeviceProgram`).
    public func setDevices(_ rules: [DeviceAccessRule]) throws(VZError) {
        let fd = try openDirectory()
        try DeviceProgram(allowing: rules).install(on: fd, path: path)
    }

    /// The leaf's directory, O_RDONLY|O_DIRECTORY|O_CLOEXEC: the fd that
    /// `clone3(CLONE_INTO_CGROUP)` takes, and BPF attaches to.
    public func openDirectory() throws(VZError) -> FileDescriptor {
        try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY)
    }
}
