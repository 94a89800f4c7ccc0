import Glibc
import VZConfig
import VZSystem

/// Where a node's VPS cgroups live, and which of them run.
///
/// `<hierarchy>/vz/<CTID>` for the real node; a node under VZ_SYSROOT gets
/// `<hierarchy>/vz-<8 hex digits of FNV-1a(VZ_SYSROOT)>/<CTID>`. cgroupfs is
/// a kernel interface and is not prefixed by VZ_SYSROOT, so without the tag
/// two scratch nodes (tests, migration tests, `make demo`) and the real
/// node would share CT 101's cgroup.
public struct CgroupNode: Sendable {
    public let layout: CgroupLayout
    public let sysroot: Sysroot

    public init(layout: CgroupLayout, sysroot: Sysroot) {
        self.layout = layout
        self.sysroot = sysroot
    }

    /// `vz` or `vz-1a2b3c4d`.
    public static func directoryName(_ sysroot: Sysroot) -> String {
        guard !sysroot.prefix.isEmpty else { return "vz" }
        let h = fnv1a32(sysroot.prefix)
        let hex = String(h, radix: 16)
        return "vz-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// `vz/101`: the VPS's cgroup relative to every hierarchy's root.
    public static func relativePath(_ sysroot: Sysroot, _ ctid: ContainerID) -> String {
        directoryName(sysroot) + "/" + ctid.description
    }

    /// 32-bit FNV-1a over the UTF-8 bytes: stable across runs and builds
    /// (unlike `Hasher`), and enough to keep a handful of scratch nodes apart.
    public static func fnv1a32(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811c_9dc5
        for b in s.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    public var directoryName: String { Self.directoryName(sysroot) }

    public func cgroup(for ctid: ContainerID) -> ContainerCgroup {
        ContainerCgroup(layout: layout, sysroot: sysroot, ctid: ctid)
    }

    /// The node directory (`.../vz`) in the hierarchy `ContainerCgroup`
    /// asks for membership: unified, else v1 pids, else freezer.
    var membershipDirectory: (path: String, v2: Bool)? {
        if let u = layout.unified { return (u.mountPoint + "/" + directoryName, true) }
        let h = layout.v1Hierarchy(for: "pids") ?? layout.v1Hierarchy(for: "freezer") ?? layout.v1.first
        return h.map { ($0.mountPoint + "/" + directoryName, false) }
    }

    /// CTIDs whose cgroup exists and has a task in it, ascending. One
    /// directory listing and one small read per VPS cgroup (vzlist calls
    /// this on every run): `cgroup.events` on v2 and hybrid hosts, the VPS
    /// cgroup's own `cgroup.procs` on v1 (its subtree only when that is
    /// empty, which a running VPS's seldom is).
    public func runningContainers() -> [ContainerID] {
        guard let (dir, v2) = membershipDirectory,
              let dfd = try? FileDescriptor.openDirectory(dir) else { return [] }
        var buffer = [UInt8](repeating: 0, count: 256)
        var out: [ContainerID] = []
        for e in Files.entries(ofDirectory: dfd.raw) {
            guard let id = ContainerID(e.name) else { continue }
            if v2 {
                guard let n = Files.read(e.name + "/cgroup.events", at: dfd.raw, into: &buffer) else { continue }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                if CgroupFiles.keyed(text, "populated") == "1" { out.append(id) }
            } else {
                if let n = Files.read(e.name + "/cgroup.procs", at: dfd.raw, into: &buffer),
                   buffer[0..<n].contains(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                    out.append(id)
                } else if let h = layout.v1.first(where: { dir.hasPrefix($0.mountPoint + "/") }),
                          (try? CgroupV1(hierarchy: h, relativePath: directoryName + "/" + e.name).isPopulated()) == true {
                    out.append(id)
                }
            }
        }
        return out.sorted()
    }

    /// Removes the node directory (`vz-1a2b3c4d`) on every hierarchy where
    /// it is empty; one that still has VPS cgroups is left alone
    /// (EBUSY/ENOTEMPTY are not errors). For tests and scratch nodes:
    /// the real node's `vz` is left in place between VPS runs, as it costs
    /// nothing and removing it would race with a concurrent start.
    public func removeIfEmpty() {
        var points = layout.v1.map(\.mountPoint)
        if let u = layout.unified { points.append(u.mountPoint) }
        for p in points { _ = Glibc.rmdir(p + "/" + directoryName) }
    }
}
