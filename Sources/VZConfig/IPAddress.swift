/// An IPv4 or IPv6 address, parsed as glibc's `inet_pton` does and printed
/// as its `inet_ntop` does, since vzctl stored `canon_ip()` output
/// (`inet_ntop` text plus `/N`). Scripts compare these strings, so
/// `2001:DB8:0::1` must be saved as `2001:db8::1`.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case v4, v6 }

    /// 4 or 16 bytes in network order.
    public let bytes: [UInt8]
    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    public init?(_ text: String) {
        // vzctl's get_addr_family: a colon means IPv6.
        if text.utf8.contains(UInt8(ascii: ":")) {
            guard let b = IPAddress.parse6(Array(text.utf8)) else { return nil }
            bytes = b
        } else {
            guard let b = IPAddress.parse4(text.utf8) else { return nil }
            bytes = b
        }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// `0.0.0.0` or `::`, which `--ipadd` skips silently as vzctl does.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    public var description: String {
        family == .v4 ? IPAddress.format4(bytes[...]) : IPAddress.format6(bytes)
    }

    /// An address with an optional CIDR prefix length, as `--ipadd` takes it.
    public struct Masked: Sendable, Hashable, CustomStringConvertible {
        public let address: IPAddress
        public let prefixLength: Int?

        public init?(_ text: String) {
            var addr = Substring(text)
            var prefix: Int? = nil
            if let slash = text.firstIndex(of: "/") {
                addr = text[..<slash]
                let maskText = text[text.index(after: slash)...]
                guard let m = ScaledNumber.parseDecimal(maskText, max: 128) else { return nil }
                prefix = Int(m)
            }
            guard let a = IPAddress(String(addr)) else { return nil }
            if let prefix, prefix > (a.family == .v4 ? 32 : 128) { return nil }
            address = a
            prefixLength = prefix
        }

        public var description: String {
            guard let prefixLength else { return address.description }
            return "\(address)/\(prefixLength)"
        }
    }

    // MARK: - inet_pton

    /// Whether `u` is an IPv4 address as glibc's `inet_pton(AF_INET)` reads it.
    public static func isDottedQuad<S: Sequence<UInt8>>(_ u: S) -> Bool { parse4(u) != nil }

    /// glibc `inet_pton4`: exactly four decimal octets, no leading zeros.
    static func parse4<S: Sequence<UInt8>>(_ u: S) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        var cur = 0
        var digits = 0
        for c in u {
            if c >= 0x30 && c <= 0x39 {
                if digits > 0 && cur == 0 { return nil }
                cur = cur * 10 + Int(c - 0x30)
                digits += 1
                if cur > 255 { return nil }
            } else if c == UInt8(ascii: ".") {
                guard digits > 0, out.count < 3 else { return nil }
                out.append(UInt8(cur))
                cur = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(cur))
        return out
    }

    /// glibc `inet_pton6`, transcribed: hex groups, one `::`, optional
    /// trailing dotted IPv4.
    static func parse6(_ u: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 16)
        var tp = 0
        var colonp: Int? = nil
        var i = 0
        guard !u.isEmpty else { return nil }
        if u[0] == UInt8(ascii: ":") {
            i = 1
            guard i < u.count, u[i] == UInt8(ascii: ":") else { return nil }
        }
        var curtok = i
        var xdigits = 0
        var val = 0
        while i < u.count {
            let c = u[i]
            i += 1
            if let d = ValueSyntax.hexDigit(c) {
                if xdigits == 4 { return nil }
                val = val << 4 | Int(d)
                xdigits += 1
                continue
            }
            if c == UInt8(ascii: ":") {
                curtok = i
                if xdigits == 0 {
                    if colonp != nil { return nil }
                    colonp = tp
                    continue
                } else if i == u.count {
                    return nil
                }
                guard tp + 2 <= 16 else { return nil }
                out[tp] = UInt8(val >> 8); out[tp + 1] = UInt8(val & 0xFF)
                tp += 2
                xdigits = 0; val = 0
                continue
            }
            if c == UInt8(ascii: "."), tp + 4 <= 16, let v4 = parse4(u[curtok...]) {
                out[tp] = v4[0]; out[tp + 1] = v4[1]; out[tp + 2] = v4[2]; out[tp + 3] = v4[3]
                tp += 4
                xdigits = 0
                break
            }
            return nil
        }
        if xdigits > 0 {
            guard tp + 2 <= 16 else { return nil }
            out[tp] = UInt8(val >> 8); out[tp + 1] = UInt8(val & 0xFF)
            tp += 2
        }
        if let colonp {
            // `::` must stand for at least one zero group.
            if tp == 16 { return nil }
            let n = tp - colonp
            for k in 0..<n { out[15 - k] = out[tp - 1 - k] }
            for k in colonp..<(16 - n) { out[k] = 0 }
            tp = 16
        }
        return tp == 16 ? out : nil
    }

    // MARK: - inet_ntop

    static func format4(_ b: ArraySlice<UInt8>) -> String {
        b.map { String($0) }.joined(separator: ".")
    }

    /// glibc `inet_ntop6`: the first longest run of two or more zero words
    /// becomes `::`; `::a.b.c.d` and `::ffff:a.b.c.d` keep the IPv4 tail.
    static func format6(_ b: [UInt8]) -> String {
        var words = [Int](repeating: 0, count: 8)
        for k in 0..<8 { words[k] = Int(b[2 * k]) << 8 | Int(b[2 * k + 1]) }
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for k in 0..<8 {
            if words[k] == 0 {
                if curBase == -1 { curBase = k; curLen = 1 } else { curLen += 1 }
            } else if curBase != -1 {
                if bestBase == -1 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase != -1, bestBase == -1 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
        if bestBase != -1 && bestLen < 2 { bestBase = -1 }
        var s = ""
        var k = 0
        while k < 8 {
            if bestBase != -1 && k >= bestBase && k < bestBase + bestLen {
                if k == bestBase { s += ":" }
                k += 1
                continue
            }
            if k != 0 { s += ":" }
            if k == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF)) {
                s += format4(b[12..<16])
                break
            }
            s += String(words[k], radix: 16)
            k += 1
        }
        if bestBase != -1 && bestBase + bestLen == 8 { s += ":" }
        return s
    }
}
