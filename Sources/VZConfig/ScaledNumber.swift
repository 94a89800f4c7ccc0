/// Numbers as vzctl 4.x reads them (`parse_ul_sfx` in src/lib/config.c):
/// `N`, `N.F` with a size suffix (`2.2G`), or `unlimited`. A suffix scales
/// the number by its byte multiplier and divides by the unit of the key
/// (1 for bytes, 1024 for DISKSPACE's KB, 4096 for pages); a bare number is
/// already in the key's unit and is never divided.
///
/// Stricter than vzctl where vzctl silently produced nonsense: an empty
/// string or a trailing `:` is refused instead of being read as 0, and a
/// fraction needs a suffix (`1.5` bytes or items means nothing). `lenient:`
/// reads those as vzctl did, for vzlist, which shows what vzctl 4.x would
/// have used rather than what `set` accepts.
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
    ///
    /// `lenient` reads as vzctl's strtoull/strtold did: no digits is 0
    /// (`""`, `"K"`), either side of the point may be empty (`5.`, `.5K`)
    /// but not both, and a fraction without a suffix is truncated (`1.5` →
    /// 1). `allowUnlimited: false` refuses the word, as vzctl's disk quota
    /// keys did.
    public static func parse<S: StringProtocol>(
        _ text: S, divisor: UInt64?, lenient: Bool = false, allowUnlimited: Bool = true
    ) -> Result? {
        withBytes(text) { parse($0, 0, $0.count, divisor: divisor, lenient: lenient, allowUnlimited: allowUnlimited) }
    }

    /// `B[:L]` (`parse_twoul_sfx`), one number meaning both; each half is
    /// read as `parse` reads it.
    public static func parsePair<S: StringProtocol>(
        _ text: S, divisor: UInt64?, lenient: Bool = false, allowUnlimited: Bool = true
    ) -> (barrier: Result, limit: Result)? {
        withBytes(text) { u in
            var colon = 0
            while colon < u.count, u[colon] != UInt8(ascii: ":") { colon += 1 }
            guard let b = parse(u, 0, colon, divisor: divisor, lenient: lenient, allowUnlimited: allowUnlimited) else { return nil }
            if colon == u.count { return (b, b) }
            guard let l = parse(u, colon + 1, u.count, divisor: divisor, lenient: lenient, allowUnlimited: allowUnlimited) else {
                return nil
            }
            return (b, l)
        }
    }

    /// The text's UTF-8 without a copy when it is stored contiguously, as
    /// native strings are: vzlist parses a few values for each of 1,000
    /// containers.
    @inline(__always)
    private static func withBytes<S: StringProtocol, R>(_ text: S, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = text.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// The number in `u[start..<end]`.
    private static func parse(
        _ u: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        divisor: UInt64?, lenient: Bool, allowUnlimited: Bool
    ) -> Result? {
        if allowUnlimited, end - start == 9, UnsafeBufferPointer(rebasing: u[start..<end]).elementsEqual("unlimited".utf8) {
            return Result(value: unlimited, truncated: false)
        }
        var i = start
        var whole: UInt64 = 0
        while i < end, u[i] >= 0x30, u[i] <= 0x39 {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(u[i] - 0x30))
            // strtoull's ERANGE: vzctl refuses these outright.
            if o1 || o2 { return nil }
            whole = a
            i += 1
        }
        let wholeDigits = i - start
        guard wholeDigits > 0 || lenient else { return nil }
        // Fraction digits beyond 15 cannot change the result by a whole unit
        // for any suffix we know, and keep the arithmetic within UInt128.
        var frac: UInt128 = 0
        var scale: UInt128 = 1
        var hasFraction = false
        if i < end, u[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < end, u[i] >= 0x30, u[i] <= 0x39 {
                if i - fracStart < 15 {
                    frac = frac * 10 + UInt128(u[i] - 0x30)
                    scale *= 10
                }
                i += 1
            }
            // strtold takes `5.` and `.5` but not a lone `.`.
            guard i > fracStart || (lenient && wholeDigits > 0) else { return nil }
            hasFraction = true
        }
        if i == end {
            // strtoull stopped at the point: the fraction is dropped.
            if hasFraction && !lenient { return nil }
            return clamp(UInt128(whole))
        }
        guard let divisor, divisor > 0, i == end - 1, let mul = multiplier(u[i]) else { return nil }
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
