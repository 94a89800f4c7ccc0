import VZConfig

/// One allow rule of the device cgroup, in the kernel's own terms: type
/// (`a`, `b`, `c`), major and minor (nil = `*`) and access `r`, `w`, `m`.
///
/// `DeviceRule` (VZConfig) is what DEVICES holds — `b|c:MAJ:MIN|all:[r][w][q]`
/// — and cannot say `*` for a major or `m` (mknod), which the default
/// allowlist needs (`c *:* m`), nor carries `q`, which has no cgroup
/// meaning. So the cgroup layer speaks this type, and `DeviceAllowlist`
/// turns a VPS's DEVICES into it.
public struct DeviceAccessRule: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Character, Sendable, Hashable {
        case all = "a", block = "b", char = "c"
    }

    public struct Access: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let read = Access(rawValue: 1)
        public static let write = Access(rawValue: 2)
        public static let mknod = Access(rawValue: 4)
        public static let rwm: Access = [.read, .write, .mknod]

        /// `rwm` order, as the kernel prints them in `devices.list`.
        public var description: String {
            (contains(.read) ? "r" : "") + (contains(.write) ? "w" : "") + (contains(.mknod) ? "m" : "")
        }
    }

    public var kind: Kind
    /// nil = every major (`*`).
    public var major: UInt32?
    /// nil = every minor (`*`).
    public var minor: UInt32?
    public var access: Access

    public init(_ kind: Kind, _ major: UInt32?, _ minor: UInt32?, _ access: Access) {
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The v1 `devices.allow` line, which is also how `devices.list` shows
    /// it: `c 1:3 rwm`, `b *:* m`, `a *:* rwm`.
    public var description: String {
        "\(kind.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// Parses one `devices.list` line back (for reading a live cgroup).
    public init?(line: Substring) {
        let f = line.split(separator: " ")
        guard f.count == 3, let k = f[0].first.flatMap(Kind.init(rawValue:)), f[0].count == 1 else { return nil }
        let mm = f[1].split(separator: ":", omittingEmptySubsequences: false)
        guard mm.count == 2 else { return nil }
        func num(_ s: Substring) -> UInt32?? { s == "*" ? .some(nil) : UInt32(s).map { .some($0) } }
        guard let maj = num(mm[0]), let min = num(mm[1]) else { return nil }
        var a: Access = []
        for c in f[2] {
            switch c {
            case "r": a.insert(.read)
            case "w": a.insert(.write)
            case "m": a.insert(.mknod)
            default: return nil
            }
        }
        self.init(k, maj, min, a)
    }

    /// Whether this rule matches a device of `kind` major:minor (used to
    /// decide which defaults a DEVICES entry overrides).
    func covers(_ other: DeviceAccessRule) -> Bool {
        (kind == .all || kind == other.kind)
            && (major == nil || major == other.major)
            && (minor == nil || minor == other.minor)
    }
}
