import Glibc
import VZConfig
import VZSystem

/// A VPS's cgroup in one cgroup v1 hierarchy (`cpu`, `memory`, `pids`,
/// `freezer`, `devices`, ..., or `name=systemd`).
public struct CgroupV1: CgroupBackend {
    public let hierarchy: CgroupLayout.V1Hierarchy
    /// `vz/101`, relative to the hierarchy's mount point.
    public let relativePath: String

    public init(hierarchy: CgroupLayout.V1Hierarchy, relativePath: String) {
        self.hierarchy = hierarchy
        self.relativePath = relativePath
    }

    public var path: String { hierarchy.mountPoint + "/" + relativePath }
    public var version: CgroupVersion { .v1 }
    public var controllers: [String] { hierarchy.controllers }
    public var canFreeze: Bool { hierarchy.controllers.contains("freezer") }
    public var canSetDevices: Bool { hierarchy.controllers.contains("devices") }

    public func create() throws(VZError) {
        let isCpuset = hierarchy.controllers.contains("cpuset")
        var parent = hierarchy.mountPoint
        for comp in relativePath.split(separator: "/") {
            let dir = parent + "/" + comp
            _ = try CgroupFiles.makeDirectory(dir)
            // A new v1 cpuset starts with no CPUs and no memory nodes, and
            // attaching a task to it fails with ENOSPC until both are set
            // (LXC's cpuset_fixup). Copied whenever empty, not only when
            // just made, so a create interrupted between mkdir and the copy
            // is repaired by the next one.
            if isCpuset {
                try inheritCpuset("cpuset.cpus", parent: parent, dir: dir)
                try inheritCpuset("cpuset.mems", parent: parent, dir: dir)
            }
            parent = dir
        }
    }

    private func inheritCpuset(_ file: String, parent: String, dir: String) throws(VZError) {
        let mine = try CgroupFiles.read(dir + "/" + file)?.trimmed() ?? ""
        guard mine.isEmpty else { return }
        let theirs = try CgroupFiles.read(parent + "/" + file)?.trimmed() ?? ""
        guard !theirs.isEmpty else {
            throw VZError(.system, "cannot set up the cpuset cgroup: the parent has an empty \(file)", path: parent)
        }
        try CgroupFiles.write(dir + "/" + file, theirs)
    }

    public func isPopulated() throws(VZError) -> Bool {
        // The VPS's own cgroup first: that answers for a running VPS at
        // the cost of one read; the subtree is walked only when it is empty.
        if !CgroupFiles.pids(try CgroupFiles.read(path + "/cgroup.procs")).isEmpty { return true }
        for d in CgroupFiles.subtree(path).dropFirst()
        where !CgroupFiles.pids(try CgroupFiles.read(d + "/cgroup.procs")).isEmpty {
            return true
        }
        return false
    }

    // MARK: freezer

    public func freeze(until deadline: Deadline) throws(VZError) {
        try setFreezerState("FROZEN", until: deadline)
    }

    public func thaw(until deadline: Deadline) throws(VZError) {
        try setFreezerState("THAWED", until: deadline)
    }

    /// Writes the state and waits for the kernel to report it: FROZEN only
    /// once every task in the subtree is frozen (FREEZING until then), so
    /// a process that forks cannot have a child outside the freeze.
    private func setFreezerState(_ state: String, until deadline: Deadline) throws(VZError) {
        guard canFreeze else {
            throw VZError(.system, "not a freezer hierarchy", path: hierarchy.mountPoint)
        }
        let file = path + "/freezer.state"
        try CgroupFiles.write(file, state)
        var last = ""
        let reached = try deadline.wait { () throws(VZError) -> Bool in
            last = try CgroupFiles.read(file)?.trimmed() ?? ""
            return last == state
        }
        guard reached else {
            throw VZError(.system, "cgroup did not reach \(state) in time (still \(last.isEmpty ? "unknown" : last))", path: file)
        }
    }

    /// v1 has no kernel-side kill; `ContainerCgroup` freezes and signals.
    public func killAllNatively() throws(VZError) -> Bool { false }

    // MARK: devices

    /// `devices.deny a` then one `devices.allow` write per rule: from then
    /// on only the listed devices can be opened or created. `a` is refused
    /// (EINVAL) once the cgroup has children, as a VPS's systemd makes; the
    /// list is then changed rule by rule instead, denying first so access
    /// never widens in between (a deny also reaches the children; an
    /// allow reaches only this cgroup, as v1's hierarchy rules have it).
    public func setDevices(_ rules: [DeviceAccessRule]) throws(VZError) {
        guard canSetDevices else {
            throw VZError(.setDevices, "not a devices hierarchy", path: hierarchy.mountPoint)
        }
        let deny = path + "/devices.deny", allow = path + "/devices.allow"
        do {
            try CgroupFiles.write(deny, "a", code: .setDevices)
        } catch where error.errno == EINVAL {
            let current = try deviceList()
            let wanted = Set(rules)
            let stale = current.filter { !wanted.contains($0) }
            if !stale.isEmpty { try CgroupFiles.writeEach(deny, stale.map(\.description), code: .setDevices) }
        }
        try CgroupFiles.writeEach(allow, rules.map(\.description), code: .setDevices)
    }

    /// The live list as the kernel keeps it (`devices.list`).
    public func deviceList() throws(VZError) -> [DeviceAccessRule] {
        (try CgroupFiles.read(path + "/devices.list") ?? "").split(separator: "\n").compactMap(DeviceAccessRule.init(line:))
    }
}
