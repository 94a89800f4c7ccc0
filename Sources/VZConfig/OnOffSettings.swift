/// `name:on|off` lists: CAPABILITY (`CHOWN:on NET_ADMIN:off`) and FEATURES
/// (`nfs:on sysfs:off`). A `--capability`/`--features` argument is merged
/// into what the config already holds, name by name, and the result is
/// written in table order as vzctl's `build_cap_str`/`features_mask2str` did.
public struct OnOffSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case capability, feature

        /// Spellings as written to the config.
        public var names: [String] {
            switch self {
            case .capability: return OnOffSettings.capabilityNames
            case .feature: return OnOffSettings.featureNames
            }
        }

        var option: String { self == .capability ? "capability" : "features" }
    }

    /// vzctl 4.11 `cap_names[]` (its numbering: 29 AUDIT_WRITE, 30 VE_ADMIN,
    /// 31 SETFCAP), then the kernel capabilities added since, then vzctl's
    /// older SETVEID. The runtime maps these onto the real bounding set.
    public static let capabilityNames: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "VE_ADMIN", "SETFCAP",
        "AUDIT_CONTROL", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND",
        "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
        "SETVEID",
    ]

    /// vzctl 4.11 `features[]`.
    public static let featureNames: [String] = ["sysfs", "nfs", "sit", "ipip", "ppp", "ipgre", "bridge", "nfsd"]

    public let kind: Kind
    /// Index into `kind.names` → on/off.
    public private(set) var states: [Int: Bool] = [:]

    public init(kind: Kind) { self.kind = kind }

    /// Parses a config value or an option argument (tokens separated by
    /// blanks or commas). Unknown names and malformed tokens are errors
    /// (21); a config reader that wants vzctl's "warn and skip" uses
    /// `parseLenient`.
    public init(_ text: String, kind: Kind) throws(VZError) {
        self.kind = kind
        for token in OnOffSettings.tokens(text) {
            guard let (index, on) = OnOffSettings.parseToken(token, kind: kind) else {
                throw VZError(.invalidValue, "Invalid value for --\(kind.option): \(token.debugDescription) (expected name:on or name:off with a known name)")
            }
            states[index] = on
        }
    }

    public static func parseLenient(_ text: String, kind: Kind) -> OnOffSettings {
        var s = OnOffSettings(kind: kind)
        for (index, on) in knownTokens(text, kind: kind) { s.states[index] = on }
        return s
    }

    /// The well-formed tokens with known names, in the order written
    /// (repeats included), the others skipped: for readers that fold them
    /// differently from `parseLenient`, as vzlist does for FEATURES.
    public static func knownTokens(_ text: String, kind: Kind) -> [(index: Int, on: Bool)] {
        tokens(text).compactMap { parseToken($0, kind: kind) }
    }

    /// A value's tokens: separated by blanks or commas.
    public static func tokens(_ text: String) -> [String] {
        ValueSyntax.tokens(text, separators: " \t,")
    }

    /// `name:on` or `name:off`, split at the last colon; the name unchecked.
    public static func splitToken(_ token: String) -> (name: Substring, on: Bool)? {
        guard let colon = token.lastIndex(of: ":") else { return nil }
        switch token[token.index(after: colon)...] {
        case "on": return (token[..<colon], true)
        case "off": return (token[..<colon], false)
        default: return nil
        }
    }

    private static func parseToken(_ token: String, kind: Kind) -> (index: Int, on: Bool)? {
        guard let (name, on) = splitToken(token) else { return nil }
        // vzctl matched capability names with strcasecmp; feature names exactly.
        let index: Int?
        switch kind {
        case .capability:
            index = capabilityNames.firstIndex(of: ValueSyntax.asciiUppercased(name))
        case .feature:
            index = featureNames.firstIndex(of: String(name))
        }
        guard let index else { return nil }
        return (index, on)
    }

    /// `other`'s settings override ours name by name.
    public func merging(_ other: OnOffSettings) -> OnOffSettings {
        var s = self
        for (k, v) in other.states { s.states[k] = v }
        return s
    }

    public func isOn(_ name: String) -> Bool? {
        guard let i = kind.names.firstIndex(of: name) else { return nil }
        return states[i]
    }

    /// `(name, on)` in table order.
    public var entries: [(name: String, on: Bool)] {
        states.keys.sorted().map { (kind.names[$0], states[$0]!) }
    }

    public var description: String {
        entries.map { "\($0.name):\($0.on ? "on" : "off")" }.joined(separator: " ")
    }
}
