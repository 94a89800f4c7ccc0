import VZConfig

/// How vzlist 4.x read each config value it displays (vzctl's
/// `src/lib/config.c`, `parse()`): a value that does not parse is skipped, as
/// if the key were absent.
///
/// The parsing itself is VZConfig's; what is left here is where vzlist must
/// stay more lenient than `vzctl set`, because it shows what vzctl 4.x would
/// have used: an empty `KMEMSIZE=""` is 0, `1.5` pages is 1, a signed
/// `IOPRIO=+3` or `/+24` mask is read as strtol reads it, FEATURES only ever
/// turns bits on, and CAPABILITY keeps names as written.
enum ListValueParser {
    // MARK: - barrier:limit

    /// `parse_twoul_sfx`: `B[sfx][:L[sfx]]`, one number meaning both.
    /// `divisor` nil refuses suffixes (item counters); `allowUnlimited`
    /// false for the disk quota keys, whose parser had no "unlimited".
    static func pair(_ text: String, divisor: UInt64?, allowUnlimited: Bool = true) -> (UInt64, UInt64)? {
        ScaledNumber.parsePair(text, divisor: divisor, lenient: true, allowUnlimited: allowUnlimited)
            .map { ($0.barrier.value, $0.limit.value) }
    }

    // MARK: - scalars

    /// `yesno2id`: exactly "yes" or "no".
    static func yesNo(_ text: String) -> Bool? { ValueSyntax.readYesNo(text) }

    /// `parse_ul`: an unsigned decimal filling the whole value.
    static func unsignedLong(_ text: String) -> UInt64? { ScaledNumber.parseDecimal(text) }

    /// `parse_int`: an optionally signed decimal filling the whole value, in
    /// int range. `set` refuses the sign; 4.x's strtol read it.
    static func int(_ text: String) -> Int? {
        var digits = Substring(text)
        let negative = text.utf8.first == UInt8(ascii: "-")
        // By byte, not Character: a sign followed by a combining mark is no sign.
        if negative || text.utf8.first == UInt8(ascii: "+") { digits = text[text.utf8.index(after: text.utf8.startIndex)...] }
        // At most ten digits, as INT_MIN has. strtol would take longer
        // zero-padded forms too; refused as the listing always has.
        guard digits.utf8.count <= 10,
              let v = ScaledNumber.parseDecimal(digits, max: negative ? 1 << 31 : UInt64(Int32.max)) else { return nil }
        return negative ? -Int(v) : Int(v)
    }

    /// CPUUNITS: `parse_ul` within MINCPUUNITS..MAXCPUUNITS.
    static func cpuUnits(_ text: String) -> UInt64? {
        ScaledNumber.parseDecimal(text).flatMap { ValueSyntax.cpuUnitsRange.contains($0) ? $0 : nil }
    }

    /// `parse_cpulimit`: percent of one CPU, or `N%` of all host CPUs.
    static func cpuLimit(_ text: String, hostCPUs: Int) -> UInt64? {
        if text.hasSuffix("%") {
            guard let v = ScaledNumber.parseDecimal(text.dropLast(), max: 100) else { return nil }
            return v * UInt64(max(hostCPUs, 1))
        }
        return ScaledNumber.parseDecimal(text)
    }

    /// IOPRIO: 0..7.
    static func ioPriority(_ text: String) -> Int? {
        int(text).flatMap { (0...7).contains($0) ? $0 : nil }
    }

    /// `parse_iolimit` for a config value: bytes/s (not `set`'s megabytes),
    /// any size suffix scales it, no digits is 0, `unlimited` is 0, and
    /// everything is clamped to INT_MAX.
    static func ioLimit(_ text: String) -> Int? {
        if text == "unlimited" { return 0 }
        var digits = Substring(text)
        var mul: UInt64 = 1
        if let last = text.utf8.last, !(last >= 0x30 && last <= 0x39) {
            guard let m = ScaledNumber.multiplier(last) else { return nil }
            mul = m
            digits = text[..<text.utf8.index(before: text.utf8.endIndex)]
        }
        let intMax = UInt64(Int32.max)
        guard let v = digits.isEmpty ? 0 : ScaledNumber.parseDecimal(digits) else { return nil }
        let (bytes, overflow) = min(v, intMax).multipliedReportingOverflow(by: mul)
        return Int(overflow ? intMax : min(bytes, intMax))
    }

    /// IOPSLIMIT: a non-negative int.
    static func iopsLimit(_ text: String) -> Int? {
        int(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `sscanf("%f")`: the longest leading float, as a C float. (`set`
    /// only writes plain decimals; hand-edited configs may hold more.)
    static func float(_ text: String) -> Float? {
        let u = Array(text.utf8)
        var i = 0
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        let start = i
        if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        let mantissa = i
        while i < u.count, isDigit(u[i]) { i += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count, isDigit(u[i]) { i += 1 }
        }
        guard i > mantissa, !(i == mantissa + 1 && u[mantissa] == UInt8(ascii: ".")) else { return nil }
        if i < u.count, u[i] | 0x20 == UInt8(ascii: "e") {
            var j = i + 1
            if j < u.count, u[j] == UInt8(ascii: "-") || u[j] == UInt8(ascii: "+") { j += 1 }
            let digits = j
            while j < u.count, isDigit(u[j]) { j += 1 }
            if j > digits { i = j }
        }
        return Float(String(decoding: u[start..<i], as: UTF8.self))
    }

    // MARK: - lists

    /// A space/tab separated list (NAMESERVER, SEARCHDOMAIN); empty → nil.
    static func words(_ text: String) -> [String]? {
        let w = ValueSyntax.tokens(text)
        return w.isEmpty ? nil : w
    }

    /// IP_ADDRESS as `parse_ip` builds it: addresses canonicalised
    /// (`canon_ip`), unspecified ones dropped, duplicates removed; an invalid
    /// address ends the list (vzctl returns an error there, keeping what it
    /// had added).
    static func ipAddresses(_ text: String) -> [String]? {
        var out: [String] = []
        for token in ValueSyntax.tokens(text) {
            // Dropped by spelling, as `parse_ip` compared them: `0::0` stays.
            if token == "0.0.0.0" || token == "::" || token == "::0" { continue }
            guard let ip = canonicalIP(token) else { break }
            if !out.contains(ip) { out.append(ip) }
        }
        return out.isEmpty ? nil : out
    }

    /// `canon_ip`: `IPAddress.Masked` but for the mask, which is read by
    /// `parse_int` (so `/+24` is `/24`).
    static func canonicalIP(_ text: String) -> String? {
        guard let slash = text.firstIndex(of: "/") else { return IPAddress(text)?.description }
        guard let address = IPAddress(String(text[..<slash])),
              let mask = int(String(text[text.index(after: slash)...])),
              mask >= 0, mask <= (address.family == .v4 ? 32 : 128) else { return nil }
        return "\(address)/\(mask)"
    }

    /// glibc `inet_pton(AF_INET)`: four decimal octets ≤ 255, no leading zeros.
    static func isDottedQuad<S: Collection>(_ u: S) -> Bool where S.Element == UInt8 {
        IPAddress.isDottedQuad(u)
    }

    // MARK: - on/off sets

    /// vzctl's feature table, in its order (that of the output too).
    static let featureNames = OnOffSettings.featureNames

    /// FEATURES: `name:on|off` tokens; unknown ones are skipped with a warning
    /// in vzctl. Returns (on, known) bit masks over `featureNames`.
    static func features(_ text: String) -> (mask: UInt32, known: UInt32) {
        var mask: UInt32 = 0
        var known: UInt32 = 0
        for (bit, on) in OnOffSettings.knownTokens(text, kind: .feature) {
            // vzctl only ever sets bits here, so a later "off" does not undo an
            // "on" (`OnOffSettings` lets the last one win).
            known |= 1 << bit
            if on { mask |= 1 << bit }
        }
        return (mask, known)
    }

    /// CAPABILITY: `name:on|off` tokens, in file order, later ones winning,
    /// names as written and not checked against the table (vzlist shows
    /// what the file says). nil when the value is malformed (vzctl refuses
    /// the whole key).
    static func capabilities(_ text: String) -> [(name: String, on: Bool)]? {
        var out: [(name: String, on: Bool)] = []
        for token in OnOffSettings.tokens(text) {
            guard let (name, on) = OnOffSettings.splitToken(token), !name.isEmpty else { return nil }
            let n = String(name)
            if let i = out.firstIndex(where: { $0.name == n }) { out.remove(at: i) }
            out.append((n, on))
        }
        return out.isEmpty ? nil : out
    }

    /// NETFILTER's four modes.
    static func netfilter(_ text: String) -> String? {
        ValueSyntax.netfilterModes.contains(text) ? text : nil
    }

    /// NAME characters vzctl's `check_name` allows, at any length.
    static func isValidName(_ text: String) -> Bool {
        ValueSyntax.isValidContainerName(text, lenient: true)
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
