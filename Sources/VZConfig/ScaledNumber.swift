/// Numbers as vzctl 4.x reads them (`parse_ul_sfx` in src/lib/config.c):
/// `N`, `N.F` with a size suffix (`2.2G`), or `unlimited`. A suffix scales
/// the number by its byte multiplier and divides by the unit of the key
/// (1 for bytes, 1024 for DISKSPACE's KB, 4096 for pages); a bare number is
/// already in the key's unit and is never divided.
///
/// Stricter than vzctl where vzctl silently produced nonsense: an empty
/// string or a trailing `:` is refused instead of being read as 0, and a
/// fraction needs a suffix (`1.5` bytes or items means nothing).
public enum ScaledNumber {
    /// `LONG_MAX` on 64-bit: the kernel's and vzctl's "unlimited".
    public static let unlimited: UInt64 = 9_223_372_036_854_775_807
    public static let pageSize: UInt64 = 4096

    public struct Result: Sendable, Equatable {
        public var value: UInt64
        /// The number exceeded `unlimited` and was clamped to it, which vzctl
        /// reports as "too large value ..., truncated" rather than an error.
        public var truncated: Bool
    }

    /// The byte multiplier of a suffix letter, case-insensitive as in vzctl's `get_mul`.
    public static func multiplier(_ c: UInt8) -> UInt64? {
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

    /// Parses one number. `divisor` is the key's unit in bytes, or nil when
    /// the key takes no suffix (items, inodes). Returns nil when malformed.
    public static func parse<S: StringProtocol>(_ text: S, divisor: UInt64?) -> Result? {
        let u = Array(text.utf8)
        if u.elementsEqual("unlimited".utf8) { return Result(value: unlimited, truncated: false) }
        var i = 0
        var whole: UInt64 = 0
        while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(u[i] - 0x30))
            // strtoull's ERANGE: vzctl refuses these outright.
            if o1 || o2 { return nil }
            whole = a
            i += 1
        }
        guard i > 0 else { return nil }
        // Fraction digits beyond 15 cannot change the result by a whole unit
        // for any suffix we know, and keep the arithmetic within UInt128.
        var frac: UInt128 = 0
        var scale: UInt128 = 1
        var hasFraction = false
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if i - start < 15 {
                    frac = frac * 10 + UInt128(u[i] - 0x30)
                    scale *= 10
                }
                i += 1
            }
            guard i > start else { return nil }
            hasFraction = true
        }
        if i == u.count {
            if hasFraction { return nil }
            return clamp(UInt128(whole))
        }
        guard let divisor, divisor > 0, i == u.count - 1, let mul = multiplier(u[i]) else { return nil }
        // whole * mul fits: < 2^64 * 2^40. Bail out early when already past
        // LONG_MAX so the scaled sum below cannot overflow UInt128.
        let scaledWhole = UInt128(whole) * UInt128(mul)
        if scaledWhole / UInt128(divisor) > UInt128(unlimited) {
            return Result(value: unlimited, truncated: true)
        }
        let numerator = scaledWhole * scale + frac * UInt128(mul)
        return clamp(numerator / (scale * UInt128(divisor)))
    }

    private static func clamp(_ v: UInt128) -> Result {
        if v > UInt128(unlimited) { return Result(value: unlimited, truncated: true) }
        return Result(value: UInt64(v), truncated: false)
    }

    /// A plain unsigned decimal (`parse_ul`): digits only, no sign, no
    /// spaces, no overflow. Leading zeros are accepted and dropped on write.
    public static func parseDecimal<S: StringProtocol>(_ text: S, max: UInt64 = .max) -> UInt64? {
        var v: UInt64 = 0
        var any = false
        for c in text.utf8 {
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 { return nil }
            v = a
            any = true
        }
        guard any, v <= max else { return nil }
        return v
    }

    /// Formats a value the way vzctl's `ubcstr` does: LONG_MAX as `unlimited`.
    public static func format(_ v: UInt64) -> String {
        v == unlimited ? "unlimited" : String(v)
    }
}
