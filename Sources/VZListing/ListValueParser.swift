import Glibc

/// How vzlist 4.x read each config value it displays (vzctl's
/// `src/lib/config.c`, `parse()`): a value that does not parse is skipped, as
/// if the key were absent. Kept in one place so it can later be swapped for
/// VZConfig's parameter table once that settles; the listing must keep
/// vzctl's lenient reading (an empty `KMEMSIZE=""` is `0`, `1.5` pages is 1)
/// because it shows what vzctl would have used, not what `set` accepts.
enum ListValueParser {
    static let pageSize: UInt64 = 4096
    /// LONG_MAX: "unlimited".
    static let unlimited: UInt64 = 9_223_372_036_854_775_807
    static let intMax = 2_147_483_647

    // MARK: - barrier:limit

    /// `parse_twoul_sfx`: `B[sfx][:L[sfx]]`, one number meaning both.
    /// `divisor` nil refuses suffixes (item counters).
    static func pair(_ text: String, divisor: UInt64?, allowUnlimited: Bool = true) -> (UInt64, UInt64)? {
        var text = text
        return text.withUTF8 { pair($0, divisor: divisor, allowUnlimited: allowUnlimited) }
    }

    private static func pair(_ u: UnsafeBufferPointer<UInt8>, divisor: UInt64?, allowUnlimited: Bool) -> (UInt64, UInt64)? {
        var i = 0
        guard let first = scaled(u, &i, divisor: divisor, allowUnlimited: allowUnlimited) else { return nil }
        if i == u.count { return (first, first) }
        guard u[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let second = scaled(u, &i, divisor: divisor, allowUnlimited: allowUnlimited), i == u.count else {
            return nil
        }
        return (first, second)
    }

    /// `parse_ul_sfx` plus the LONG_MAX clamp of its caller. Stops at ':' or
    /// the end; strtoull semantics mean an empty number reads as 0.
    private static func scaled(_ u: UnsafeBufferPointer<UInt8>, _ i: inout Int, divisor: UInt64?, allowUnlimited: Bool) -> UInt64? {
        if allowUnlimited, u.count - i >= 9, u[i] == UInt8(ascii: "u"), u[i..<(i + 9)].elementsEqual("unlimited".utf8) {
            i += 9
            return unlimited
        }
        let start = i
        var whole: UInt64 = 0
        while i < u.count, isDigit(u[i]) {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(u[i] - 0x30))
            if o1 || o2 { return nil }  // ERANGE
            whole = a
            i += 1
        }
        var value = LongDouble(whole)
        var result = whole
        if i < u.count, u[i] == UInt8(ascii: ".") {
            // strtold over the same text: "2.2" stays fractional until scaled.
            i += 1
            while i < u.count, isDigit(u[i]) { i += 1 }
            guard let v = LongDouble(String(decoding: UnsafeBufferPointer(rebasing: u[start..<i]), as: UTF8.self)) else { return nil }
            value = v
            result = v >= LongDouble(UInt64.max) ? UInt64.max : UInt64(v)
        }
        if i < u.count, u[i] != UInt8(ascii: ":") {
            guard let divisor, divisor > 0, let mul = multiplier(u[i]) else { return nil }
            let v = value * LongDouble(mul) / LongDouble(divisor)
            result = v > LongDouble(unlimited) ? unlimited + 1 : UInt64(v)
            i += 1
        }
        return min(result, unlimited)
    }

    /// vzctl's `get_mul`.
    static func multiplier(_ c: UInt8) -> UInt64? {
        switch c | 0x20 {
        case UInt8(ascii: "t"): return 1 << 40
        case UInt8(ascii: "g"): return 1 << 30
        case UInt8(ascii: "m"): return 1 << 20
        case UInt8(ascii: "k"): return 1 << 10
        case UInt8(ascii: "p"): return pageSize
        case UInt8(ascii: "b"): return 1
        default: return nil
        }
    }

    // MARK: - scalars

    /// `yesno2id`: exactly "yes" or "no".
    static func yesNo(_ text: String) -> Bool? {
        switch text {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    /// `parse_ul`: an unsigned decimal filling the whole value.
    static func unsignedLong(_ text: String) -> UInt64? {
        var v: UInt64 = 0
        var any = false
        for c in text.utf8 {
            guard isDigit(c) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 { return nil }
            v = a
            any = true
        }
        return any ? v : nil
    }

    /// `parse_int`: an optionally signed decimal filling the whole value, in int range.
    static func int(_ text: String) -> Int? {
        var u = Substring(text).utf8[...]
        var negative = false
        if let f = u.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            u = u.dropFirst()
        }
        guard !u.isEmpty, u.count <= 10 else { return nil }
        var v = 0
        for c in u {
            guard isDigit(c) else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        v = negative ? -v : v
        return (-intMax - 1...intMax).contains(v) ? v : nil
    }

    /// CPUUNITS: `parse_ul` within MINCPUUNITS..MAXCPUUNITS.
    static func cpuUnits(_ text: String) -> UInt64? {
        guard let v = unsignedLong(text), (8...500_000).contains(v) else { return nil }
        return v
    }

    /// `parse_cpulimit`: percent of one CPU, or `N%` of all host CPUs.
    static func cpuLimit(_ text: String, hostCPUs: Int) -> UInt64? {
        if text.hasSuffix("%") {
            guard let v = unsignedLong(String(text.dropLast())), v <= 100 else { return nil }
            return v * UInt64(max(hostCPUs, 1))
        }
        return unsignedLong(text)
    }

    /// IOPRIO: 0..7.
    static func ioPriority(_ text: String) -> Int? {
        guard let v = int(text), (0...7).contains(v) else { return nil }
        return v
    }

    /// `parse_iolimit` for a config value: bytes/s, a suffix scales it,
    /// `unlimited` is 0, everything clamped to INT_MAX.
    static func ioLimit(_ text: String) -> Int? {
        if text == "unlimited" { return 0 }
        let u = Array(text.utf8)
        var i = 0
        var v: UInt64 = 0
        while i < u.count, isDigit(u[i]) {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(u[i] - 0x30))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        v = min(v, UInt64(intMax))
        if i < u.count {
            guard i == u.count - 1, let mul = multiplier(u[i]) else { return nil }
            v = v * mul
        }
        return Int(min(v, UInt64(intMax)))
    }

    /// IOPSLIMIT: a non-negative int.
    static func iopsLimit(_ text: String) -> Int? {
        guard let v = int(text), v >= 0 else { return nil }
        return v
    }

    /// `sscanf("%f")`: the longest leading float, as a C float.
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
        let w = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return w.isEmpty ? nil : w
    }

    /// IP_ADDRESS as `parse_ip` builds it: addresses canonicalised
    /// (`canon_ip`), unspecified ones dropped, duplicates removed; an invalid
    /// address ends the list (vzctl returns an error there, keeping what it
    /// had added).
    static func ipAddresses(_ text: String) -> [String]? {
        var out: [String] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            if token == "0.0.0.0" || token == "::" || token == "::0" { continue }
            guard let ip = canonicalIP(String(token)) else { break }
            if !out.contains(ip) { out.append(ip) }
        }
        return out.isEmpty ? nil : out
    }

    static func canonicalIP(_ text: String) -> String? {
        var addr = Substring(text)
        var mask: Int? = nil
        if let slash = text.firstIndex(of: "/") {
            addr = text[..<slash]
            guard let m = int(String(text[text.index(after: slash)...])) else { return nil }
            mask = m
        }
        if !addr.contains(":") {
            // glibc's inet_pton takes only the canonical dotted quad (no
            // leading zeros), so the text is its own canonical form.
            guard isDottedQuad(addr.utf8) else { return nil }
            var out = String(addr)
            if let mask {
                guard mask >= 0, mask <= 32 else { return nil }
                out += "/\(mask)"
            }
            return out
        }
        // IPv6: inet_pton, then inet_ntop's canonical text (2001:DB8:0:0::1 → 2001:db8::1).
        var bin: (UInt64, UInt64) = (0, 0)
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = String(addr).withCString { src in
            withUnsafeMutableBytes(of: &bin) { inet_pton(AF_INET6, src, $0.baseAddress) } == 1
        }
        guard parsed else { return nil }
        let printed: String? = withUnsafeBytes(of: &bin) { b in
            withUnsafeMutableBytes(of: &buf) { raw in
                let dst = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                return inet_ntop(AF_INET6, b.baseAddress, dst, socklen_t(raw.count)).map { String(cString: $0) }
            }
        }
        guard var out = printed else { return nil }
        if let mask {
            guard mask >= 0, mask <= 128 else { return nil }
            out += "/\(mask)"
        }
        return out
    }

    /// glibc `inet_pton(AF_INET)`: four decimal octets ≤ 255, no leading zeros.
    static func isDottedQuad<S: Collection>(_ u: S) -> Bool where S.Element == UInt8 {
        var parts = 0
        var value = 0
        var digits = 0
        var leadingZero = false
        for c in u {
            if c == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return false }
                parts += 1
                value = 0
                digits = 0
                leadingZero = false
            } else if isDigit(c) {
                if leadingZero { return false }
                if digits == 0 && c == 0x30 { leadingZero = true }
                value = value * 10 + Int(c - 0x30)
                digits += 1
                if value > 255 { return false }
            } else {
                return false
            }
        }
        return parts == 3 && digits > 0
    }

    // MARK: - on/off sets

    /// vzctl's feature table, in its order (that of the output too).
    static let featureNames = ["sysfs", "nfs", "sit", "ipip", "ppp", "ipgre", "bridge", "nfsd"]

    /// FEATURES: `name:on|off` tokens; unknown ones are skipped with a warning
    /// in vzctl. Returns (on, known) bit masks over `featureNames`.
    static func features(_ text: String) -> (mask: UInt32, known: UInt32) {
        var mask: UInt32 = 0
        var known: UInt32 = 0
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
            guard let colon = token.lastIndex(of: ":"),
                  let bit = featureNames.firstIndex(of: String(token[..<colon])) else { continue }
            let state = token[token.index(after: colon)...]
            guard state == "on" || state == "off" else { continue }
            // vzctl only ever sets bits here, so a later "off" does not undo an "on".
            known |= 1 << bit
            if state == "on" { mask |= 1 << bit }
        }
        return (mask, known)
    }

    /// CAPABILITY: `name:on|off` tokens, in file order, later ones winning.
    /// nil when the value is malformed (vzctl refuses the whole key).
    static func capabilities(_ text: String) -> [(name: String, on: Bool)]? {
        var out: [(name: String, on: Bool)] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
            guard let colon = token.lastIndex(of: ":") else { return nil }
            let name = String(token[..<colon])
            let state = token[token.index(after: colon)...]
            guard !name.isEmpty, state == "on" || state == "off" else { return nil }
            if let i = out.firstIndex(where: { $0.name == name }) { out.remove(at: i) }
            out.append((name, state == "on"))
        }
        return out.isEmpty ? nil : out
    }

    /// NETFILTER's four modes.
    static func netfilter(_ text: String) -> String? {
        ["disabled", "stateless", "stateful", "full"].contains(text) ? text : nil
    }

    /// NAME characters vzctl's `check_name` allows.
    static func isValidName(_ text: String) -> Bool {
        text.utf8.allSatisfy { c in
            isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: ".")
        }
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}

// vzctl did this arithmetic in C's long double; x86-64 has it natively.
#if arch(x86_64) || arch(i386)
typealias LongDouble = Float80
#else
typealias LongDouble = Double
#endif
