/// Syntax checks for the free-form values of `vzctl set`, each throwing the
/// exit code vzctl used for it (compat §5: 70 hostname, 71 IP, 72
/// nameserver, 73 search domain, 21 everything else). Every accepted value
/// also passes `ConfigValue.checkWritable`, so nothing here can end up as
/// shell code in a config file.
public enum ValueSyntax {
    /// RFC 1123 host name: labels of letters, digits and `-`, 1...63 bytes,
    /// not starting or ending with `-`, at most 253 bytes in all. A bad one
    /// is refused rather than half-written into the VPS's /etc/hosts.
    public static func isValidHostname(_ name: String) -> Bool {
        let u = name.utf8
        guard !u.isEmpty, u.count <= 253 else { return false }
        var labelLength = 0
        var prev: UInt8 = UInt8(ascii: ".")
        for c in u {
            if c == UInt8(ascii: ".") {
                guard labelLength > 0, prev != UInt8(ascii: "-") else { return false }
                labelLength = 0
            } else {
                let alnum = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
                guard alnum || c == UInt8(ascii: "-") else { return false }
                if labelLength == 0 && c == UInt8(ascii: "-") { return false }
                labelLength += 1
                guard labelLength <= 63 else { return false }
            }
            prev = c
        }
        return labelLength > 0 && prev != UInt8(ascii: "-")
    }

    public static func hostname(_ name: String) throws(VZError) -> String {
        guard isValidHostname(name) else {
            throw VZError(.badHostname, "Invalid hostname: \(name.debugDescription)")
        }
        return name
    }

    /// `--nameserver`: an IPv4/IPv6 address (no mask) or `inherit`.
    public static func nameserver(_ token: String) throws(VZError) -> String {
        if token == "inherit" { return token }
        guard let a = IPAddress(token) else {
            throw VZError(.badNameserver, "Invalid nameserver address: \(token.debugDescription)")
        }
        return a.description
    }

    /// `--searchdomain`: a domain name by the host name rules, or `inherit`.
    public static func searchDomain(_ token: String) throws(VZError) -> String {
        if token == "inherit" { return token }
        guard isValidHostname(token) else {
            throw VZError(.badSearchDomain, "Invalid search domain: \(token.debugDescription)")
        }
        return token
    }

    /// `--ipadd`/`--ipdel` token: address with optional `/prefix`, printed
    /// canonically.
    public static func ipAddress(_ token: String) throws(VZError) -> IPAddress.Masked {
        guard let a = IPAddress.Masked(token) else {
            throw VZError(.badIP, "Invalid IP address: \(token.debugDescription)")
        }
        return a
    }

    /// `--name`: vzctl's `check_name`, letters, digits and ` -+_.`. Empty is
    /// allowed: `--name ''` removes the name (vzmigrate does this). At most
    /// 255 bytes, since the name becomes a file in the names registry;
    /// `lenient` drops that bound, as vzctl 4.x (and so vzlist) had none.
    public static func isValidContainerName(_ name: String, lenient: Bool = false) -> Bool {
        (lenient || name.utf8.count <= 255) && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
                || c == UInt8(ascii: " ") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
    }

    public static func containerName(_ name: String) throws(VZError) -> String {
        guard isValidContainerName(name) else {
            throw VZError(.invalidValue, "Invalid container name \(name.debugDescription): only letters, digits and \" -+_.\" are allowed")
        }
        return name
    }

    /// A Linux network interface name (`dev_valid_name`), further kept free
    /// of the NETIF delimiters `,;=` and of anything a shell would mind.
    public static func isValidInterfaceName(_ name: String) -> Bool {
        let u = name.utf8
        guard !u.isEmpty, u.count <= 15, name != ".", name != ".." else { return false }
        return u.allSatisfy { c in
            c > 0x20 && c < 0x7F && c != UInt8(ascii: "/") && c != UInt8(ascii: ":")
                && c != UInt8(ascii: ",") && c != UInt8(ascii: ";") && c != UInt8(ascii: "=")
                && c != UInt8(ascii: "\"") && c != UInt8(ascii: "$") && c != UInt8(ascii: "`")
                && c != UInt8(ascii: "\\") && c != UInt8(ascii: "'")
        }
    }

    public static func interfaceName(_ name: String, what: String = "interface name") throws(VZError) -> String {
        guard isValidInterfaceName(name) else {
            throw VZError(.invalidValue, "Invalid \(what) \(name.debugDescription): 1 to 15 characters, no '/', ':', ',', ';', '=' or blanks")
        }
        return name
    }

    /// OSTEMPLATE is a cache tarball's basename and selects dist scripts by
    /// name, so it must not contain a path or blanks.
    public static func osTemplate(_ name: String) throws(VZError) -> String {
        let u = name.utf8
        let ok = !u.isEmpty && u.count <= 255 && name != "." && name != ".." && u.first != UInt8(ascii: "-")
            && u.allSatisfy { c in c > 0x20 && c < 0x7F && c != UInt8(ascii: "/") }
        guard ok else { throw VZError(.invalidValue, "Invalid OS template name \(name.debugDescription)") }
        try ConfigValue.checkWritable(name, key: "OSTEMPLATE")
        return name
    }

    /// VE_ROOT / VE_PRIVATE: absolute, `$VEID` allowed, normalised (no
    /// trailing or doubled `/`). `.`/`..` components and `/` itself are
    /// refused: destroy removes this directory.
    public static func containerPath(_ path: String, key: String) throws(VZError) -> String {
        guard path.hasPrefix("/") else {
            throw VZError(.invalidValue, "Invalid \(key) \(path.debugDescription): must be an absolute path")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty else {
            throw VZError(.invalidValue, "Invalid \(key) \(path.debugDescription): must not be /")
        }
        for p in parts where p == "." || p == ".." {
            throw VZError(.invalidValue, "Invalid \(key) \(path.debugDescription): '.' and '..' are not allowed")
        }
        let normalised = "/" + parts.joined(separator: "/")
        try ConfigValue.checkWritable(normalised, key: key)
        for c in normalised.utf8 where c == 0x20 {
            throw VZError(.invalidValue, "Invalid \(key) \(path.debugDescription): blanks are not allowed")
        }
        return normalised
    }

    /// NETFILTER's modes (vzctl 4.x `netfilter_names`).
    public static let netfilterModes = ["disabled", "stateless", "stateful", "full"]

    /// CPUUNITS bounds (vzctl `MINCPUUNITS`...`MAXCPUUNITS`).
    public static let cpuUnitsRange: ClosedRange<UInt64> = 8...500_000

    /// `yes`/`no`, exactly (vzctl `yesno2id`).
    public static func yesNo(_ v: String, option: String) throws(VZError) -> String {
        guard v == "yes" || v == "no" else {
            throw VZError(.invalidValue, "Invalid value for --\(option): \(v.debugDescription) (expected yes or no)")
        }
        return v
    }

    /// `on`/`off`, exactly.
    public static func onOff(_ v: String, option: String) throws(VZError) -> Bool {
        switch v {
        case "on": return true
        case "off": return false
        default: throw VZError(.invalidValue, "Invalid value for --\(option): \(v.debugDescription) (expected on or off)")
        }
    }

    /// Unsigned decimal within `range`, written back without leading zeros.
    public static func decimal(_ v: String, option: String, range: ClosedRange<UInt64> = 0...UInt64.max) throws(VZError) -> UInt64 {
        guard let n = ScaledNumber.parseDecimal(v), range.contains(n) else {
            let bounds = range.upperBound == .max ? "" : " (\(range.lowerBound)..\(range.upperBound))"
            throw VZError(.invalidValue, "Invalid value for --\(option): \(v.debugDescription)\(bounds)")
        }
        return n
    }

    /// `yes`/`no` of a config value; anything else reads as unset.
    public static func readYesNo(_ v: String?) -> Bool? {
        switch v {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// ASCII-only upper case: config keys and capability names are ASCII,
    /// and the stdlib's Unicode mapping would turn `ß` into `SS`.
    static func asciiUppercased<S: StringProtocol>(_ s: S) -> String {
        String(decoding: s.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// Splits a list argument the way vzctl's strtok(" \t") does.
    public static func tokens(_ s: String, separators: String = " \t") -> [String] {
        // A scan of the (two or three) separators rather than a Set: vzlist
        // splits a few values of each of 1,000 containers.
        s.utf8.split(whereSeparator: { separators.utf8.contains($0) }).map { String(decoding: $0, as: UTF8.self) }
    }
}
