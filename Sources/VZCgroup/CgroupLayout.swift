import Glibc
import VZConfig
import VZSystem

/// Which cgroup hierarchies the host has mounted, read once at run time.
///
/// Kept apart from the backends (youki's `get_cgroup_setup_with_root`, not
/// containerization's `Cgroup2Manager.load()`): `parse` is pure over a
/// mountinfo text plus a root prefix, so every host shape — pure v1, hybrid
/// as on our CI machines, pure v2 as on most users' hosts — is testable from
/// fixtures and a fake tree in a temp directory.
public struct CgroupLayout: Sendable, Equatable, CustomStringConvertible {
    public enum Mode: String, Sendable, Equatable {
        /// Controllers on v1 hierarchies only (no cgroup2 mount).
        case legacy
        /// Controllers on v1, plus a cgroup2 mount with few or none
        /// (systemd's "hybrid": `/sys/fs/cgroup/unified`).
        case hybrid
        /// One cgroup2 hierarchy carries every controller.
        case unified
    }

    /// A mounted v1 hierarchy: its controllers (`cpu`, `cpu,cpuacct`, ...)
    /// or a named one without controllers (`name=systemd`).
    public struct V1Hierarchy: Sendable, Equatable {
        public var mountPoint: String
        public var controllers: [String]
        /// `systemd` for `name=systemd`; nil for controller hierarchies.
        public var name: String?

        public init(mountPoint: String, controllers: [String], name: String? = nil) {
            self.mountPoint = mountPoint
            self.controllers = controllers
            self.name = name
        }
    }

    /// The cgroup2 mount and the controllers its root offers
    /// (`cgroup.controllers`): all of them on a pure v2 host, those no v1
    /// hierarchy has claimed on a hybrid one (here only `hugetlb`).
    public struct Unified: Sendable, Equatable {
        public var mountPoint: String
        public var controllers: [String]

        public init(mountPoint: String, controllers: [String]) {
            self.mountPoint = mountPoint
            self.controllers = controllers
        }
    }

    public var mode: Mode
    public var v1: [V1Hierarchy]
    public var unified: Unified?
    /// `/proc/self/ns/cgroup` exists: `start` can give the VPS its own
    /// cgroup namespace, so its init sees its cgroup as `/`.
    public var cgroupNamespaces: Bool

    public init(v1: [V1Hierarchy], unified: Unified?, cgroupNamespaces: Bool) {
        self.v1 = v1
        self.unified = unified
        self.cgroupNamespaces = cgroupNamespaces
        let hasV1Controllers = v1.contains { !$0.controllers.isEmpty }
        mode = hasV1Controllers ? (unified == nil ? .legacy : .hybrid) : .unified
    }

    /// v1 controllers the kernel knows. Super options of a v1 mount mix
    /// these with plain options (`rw`, `xattr`, `clone_children`,
    /// `release_agent=...`), which must not be taken for controllers.
    static let knownV1Controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
    ]

    /// Reads the running host: `/proc/self/mountinfo`, the unified root's
    /// `cgroup.controllers` and `/proc/self/ns/cgroup`.
    public static func detect() throws(VZError) -> CgroupLayout {
        guard let text = try Files.readString("/proc/self/mountinfo") else {
            throw VZError(.system, "cannot read /proc/self/mountinfo (is /proc mounted?)")
        }
        let layout = parse(mountinfo: text, root: "", cgroupNamespaces: Files.exists("/proc/self/ns/cgroup"))
        guard let layout else {
            throw VZError(.system, "no cgroup file system is mounted (neither cgroup v1 nor cgroup2 in /proc/self/mountinfo)")
        }
        return layout
    }

    /// The layout a mountinfo text describes, nil when it has no cgroup
    /// mount at all. `root` prefixes every mount point (a fake tree in a
    /// temp dir stands in for `/`); it is used both for the paths the
    /// layout hands out and to read the unified root's `cgroup.controllers`.
    public static func parse(mountinfo: String, root: String = "", cgroupNamespaces: Bool) -> CgroupLayout? {
        struct Mount { var root: String; var point: String; var fstype: String; var superOptions: [Substring] }
        var mounts: [Mount] = []
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10, let dash = f.firstIndex(of: "-"), dash >= 6, dash + 3 < f.count else { continue }
            let fstype = f[dash + 1]
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            mounts.append(Mount(
                root: unescape(f[3]), point: unescape(f[4]), fstype: String(fstype),
                superOptions: f[dash + 3].split(separator: ",")))
        }
        // A hierarchy can be mounted more than once (bind mounts, a
        // subtree bind-mounted by a container manager): take the mount of
        // the hierarchy's root first, then the first mount in table order.
        let ordered = mounts.filter { $0.root == "/" } + mounts.filter { $0.root != "/" }

        var v1: [V1Hierarchy] = []
        var unified: Unified?
        var seen: Set<String> = []
        for m in ordered {
            let point = root + (m.point == "/" ? "" : m.point)
            if m.fstype == "cgroup2" {
                guard unified == nil else { continue }
                // An unreadable root means no controllers, not no hierarchy:
                // freeze, kill and membership still work without any.
                let text = (try? Files.readString(point + "/cgroup.controllers")) ?? nil
                let ctl = text.map { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) } ?? []
                unified = Unified(mountPoint: point, controllers: ctl)
                continue
            }
            var controllers: [String] = []
            var name: String?
            for o in m.superOptions {
                if o.hasPrefix("name=") {
                    name = String(o.dropFirst(5))
                } else if knownV1Controllers.contains(String(o)) {
                    controllers.append(String(o))
                }
            }
            // Named hierarchies other than systemd's belong to someone else
            // (and carry no resources); name=systemd is joined as LXC does,
            // so systemd inside a VPS on a v1 host finds its own subtree.
            if controllers.isEmpty && name != "systemd" { continue }
            let key = controllers.sorted().joined(separator: ",") + (name.map { "|name=" + $0 } ?? "")
            guard seen.insert(key).inserted else { continue }
            v1.append(V1Hierarchy(mountPoint: point, controllers: controllers, name: controllers.isEmpty ? name : nil))
        }
        guard !v1.isEmpty || unified != nil else { return nil }
        // Only name=systemd on v1 and no cgroup2: nothing to run resources on.
        if unified == nil && !v1.contains(where: { !$0.controllers.isEmpty }) { return nil }
        return CgroupLayout(v1: v1, unified: unified, cgroupNamespaces: cgroupNamespaces)
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = octal(b[i + 1], b[i + 2], b[i + 3]) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8? {
        let d = [a, b, c].map { Int($0) - 0x30 }
        guard d.allSatisfy({ $0 >= 0 && $0 <= 7 }) else { return nil }
        let v = d[0] * 64 + d[1] * 8 + d[2]
        return v <= 255 ? UInt8(v) : nil
    }

    /// The v1 hierarchy that carries `controller`.
    public func v1Hierarchy(for controller: String) -> V1Hierarchy? {
        v1.first { $0.controllers.contains(controller) }
    }

    /// Where a controller lives on this host: on its v1 hierarchy, else on
    /// the unified one when that offers it, else nowhere.
    public func hasController(_ controller: String) -> Bool {
        v1Hierarchy(for: controller) != nil || (unified?.controllers.contains(controller) ?? false)
    }

    public var description: String {
        var parts = ["mode=\(mode.rawValue)"]
        for h in v1 {
            parts.append("v1[\(h.controllers.isEmpty ? "name=" + (h.name ?? "") : h.controllers.joined(separator: ","))]=\(h.mountPoint)")
        }
        if let u = unified { parts.append("v2[\(u.controllers.joined(separator: ","))]=\(u.mountPoint)") }
        parts.append("cgroupns=\(cgroupNamespaces ? "yes" : "no")")
        return parts.joined(separator: " ")
    }
}
