/// Device access as DEVICES keeps it: `b|c:MAJOR:MINOR|all:[r][w][q]|none`
/// (compat §2.3), e.g. `c:10:200:rw` for /dev/net/tun.
public struct DeviceRule: Sendable, Hashable, CustomStringConvertible {
    public enum DeviceType: Character, Sendable, Hashable { case block = "b", char = "c" }

    public struct Access: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let read = Access(rawValue: 1)
        public static let write = Access(rawValue: 2)
        /// vzctl's `q`: quota management on the device (simfs era).
        public static let quota = Access(rawValue: 4)

        /// `none`, or any of `r`, `w`, `q` (vzctl `parse_dev_perm`).
        public init?(_ text: Substring) {
            if text == "none" { self = []; return }
            guard !text.isEmpty, text.utf8.count <= 5 else { return nil }
            var a: Access = []
            for c in text {
                switch c {
                case "r": a.insert(.read)
                case "w": a.insert(.write)
                case "q": a.insert(.quota)
                default: return nil
                }
            }
            self = a
        }

        /// `rwq` order as vzctl's `devperm2str`; `none` rather than vzctl's
        /// empty string, which its own parser would then refuse.
        public var description: String {
            if isEmpty { return "none" }
            var s = ""
            if contains(.read) { s += "r" }
            if contains(.write) { s += "w" }
            if contains(.quota) { s += "q" }
            return s
        }
    }

    public var type: DeviceType
    public var major: UInt32
    /// nil = every minor of `major` (`all`).
    public var minor: UInt32?
    public var access: Access

    public static let maxMajor: UInt32 = (1 << 12) - 1
    public static let maxMinor: UInt32 = (1 << 20) - 1

    public init(type: DeviceType, major: UInt32, minor: UInt32?, access: Access) {
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    public init(_ token: String) throws(VZError) {
        let f = token.split(separator: ":", omittingEmptySubsequences: false)
        func bad(_ why: String) -> VZError {
            VZError(.invalidValue, "Invalid value for --devices: \(token.debugDescription) (\(why))")
        }
        guard f.count == 4 else { throw bad("expected b|c:major:minor|all:[r][w][q]|none") }
        switch f[0] {
        case "b": type = .block
        case "c": type = .char
        default: throw bad("type must be b or c")
        }
        guard let maj = ScaledNumber.parseDecimal(f[1], max: UInt64(DeviceRule.maxMajor)) else { throw bad("bad major") }
        // Loop devices give a VPS a way to mount arbitrary images (vzctl `dev_major_denied`).
        guard maj != 7 else { throw bad("loop devices (major 7) cannot be assigned") }
        major = UInt32(maj)
        if f[2] == "all" {
            minor = nil
        } else {
            guard let m = ScaledNumber.parseDecimal(f[2], max: UInt64(DeviceRule.maxMinor)) else { throw bad("bad minor") }
            minor = UInt32(m)
        }
        guard let a = Access(f[3]) else { throw bad("access must be none or a combination of r, w, q") }
        access = a
    }

    public var description: String {
        "\(type.rawValue):\(major):\(minor.map(String.init) ?? "all"):\(access)"
    }

    /// Identity for merging: a new rule for the same device replaces the old.
    public var device: String { "\(type.rawValue):\(major):\(minor.map(String.init) ?? "all")" }

    public static func parseList(_ value: String) throws(VZError) -> [DeviceRule] {
        var out: [DeviceRule] = []
        for t in ValueSyntax.tokens(value) { out.append(try DeviceRule(t)) }
        return out
    }
}

/// DEVNODES: `name:[r][w][q]|none`, a node under /dev (`net/tun`) that is
/// both allowed and created in the VPS. Checking that the node exists on
/// the host is the runtime's job; this only keeps the name a plain
/// relative path under /dev.
public struct DeviceNode: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var access: DeviceRule.Access

    public init(name: String, access: DeviceRule.Access) {
        self.name = name
        self.access = access
    }

    public init(_ token: String) throws(VZError) {
        func bad(_ why: String) -> VZError {
            VZError(.invalidValue, "Invalid value for --devnodes: \(token.debugDescription) (\(why))")
        }
        guard let colon = token.lastIndex(of: ":") else { throw bad("expected name:[r][w][q]|none") }
        var n = String(token[..<colon])
        if n.hasPrefix("/dev/") { n.removeFirst(5) }
        let parts = n.split(separator: "/", omittingEmptySubsequences: false)
        guard !n.isEmpty, n.utf8.count <= 255,
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              n.utf8.allSatisfy({ c in
                  (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
                      || c == UInt8(ascii: "/") || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                      || c == UInt8(ascii: ".") || c == UInt8(ascii: "+")
              })
        else { throw bad("the name must be a relative path under /dev") }
        guard let a = DeviceRule.Access(token[token.index(after: colon)...]) else {
            throw bad("access must be none or a combination of r, w, q")
        }
        name = n
        access = a
    }

    public var description: String { "\(name):\(access)" }

    public static func parseList(_ value: String) throws(VZError) -> [DeviceNode] {
        var out: [DeviceNode] = []
        for t in ValueSyntax.tokens(value) { out.append(try DeviceNode(t)) }
        return out
    }
}
