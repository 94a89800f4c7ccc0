/// The unit a numeric key is kept in. It decides what a size suffix divides
/// by (compat §2.4): page keys turn `5M` into 1280 pages, byte keys into
/// bytes, DISKSPACE into KB, and item keys take no suffix at all.
public enum ResourceUnit: Sendable, Hashable {
    case pages, bytes, kilobytes, items

    /// What a suffixed number is divided by; nil when suffixes are refused.
    public var divisor: UInt64? {
        switch self {
        case .pages: return ScaledNumber.pageSize
        case .bytes: return 1
        case .kilobytes: return 1024
        case .items: return nil
        }
    }
}

/// A `barrier[:limit]` pair: beancounters (`KMEMSIZE="14372700:14790164"`)
/// and the `soft[:hard]` disk quota keys, which share vzctl's parser.
/// One number means barrier = limit.
public struct ResourceValue: Sendable, Hashable, CustomStringConvertible {
    public var barrier: UInt64
    public var limit: UInt64

    public init(barrier: UInt64, limit: UInt64) {
        self.barrier = barrier
        self.limit = limit
    }

    public init(_ both: UInt64) { self.init(barrier: both, limit: both) }

    public static let unlimited = ResourceValue(ScaledNumber.unlimited)

    public var isBarrierUnlimited: Bool { barrier == ScaledNumber.unlimited }
    public var isLimitUnlimited: Bool { limit == ScaledNumber.unlimited }

    /// Parses `B[:L]`. `truncated` is set when a number above LONG_MAX was
    /// clamped to unlimited (vzctl warns and goes on).
    public static func parseReportingTruncation(_ text: String, unit: ResourceUnit) -> (value: ResourceValue, truncated: Bool)? {
        guard let (b, l) = ScaledNumber.parsePair(text, divisor: unit.divisor) else { return nil }
        return (ResourceValue(barrier: b.value, limit: l.value), b.truncated || l.truncated)
    }

    /// Lenient read of a config value: nil when it does not parse, which the
    /// caller treats as vzctl does (warning, key skipped).
    public static func parse(_ text: String, unit: ResourceUnit) -> ResourceValue? {
        parseReportingTruncation(text, unit: unit)?.value
    }

    /// Strict parse for a command-line value; 21 on a malformed one.
    public static func parse(_ text: String, unit: ResourceUnit, option: String) throws(VZError) -> ResourceValue {
        guard let v = parse(text, unit: unit) else {
            throw VZError(.invalidValue, "Invalid value for --\(option): \(text)")
        }
        return v
    }

    /// `--ram`/`--swap`: one byte size (suffix allowed), rounded up to whole
    /// pages, stored as `0:pages` (vzctl `parse_vswap`).
    public static func vswap(_ text: String, option: String) throws(VZError) -> ResourceValue {
        guard let r = ScaledNumber.parse(text, divisor: 1) else {
            throw VZError(.invalidValue, "Invalid value for --\(option): \(text)")
        }
        if r.value == ScaledNumber.unlimited { return ResourceValue(barrier: 0, limit: ScaledNumber.unlimited) }
        let pages = r.value / ScaledNumber.pageSize + (r.value % ScaledNumber.pageSize == 0 ? 0 : 1)
        return ResourceValue(barrier: 0, limit: pages)
    }

    /// Beancounter form (`ubcstr`): one number when barrier == limit, and
    /// `unlimited` for LONG_MAX.
    public var description: String {
        let b = ScaledNumber.format(barrier)
        return barrier == limit ? b : b + ":" + ScaledNumber.format(limit)
    }

    /// Disk quota form (`store_dq`): always `soft:hard`, plain numbers.
    public var pairDescription: String { "\(barrier):\(limit)" }

    /// Bytes for a value in `unit`, saturating at LONG_MAX; nil for items.
    public static func bytes(_ v: UInt64, unit: ResourceUnit) -> UInt64? {
        if v == ScaledNumber.unlimited { return v }
        let mul: UInt64
        switch unit {
        case .pages: mul = ScaledNumber.pageSize
        case .kilobytes: mul = 1024
        case .bytes: mul = 1
        case .items: return nil
        }
        let (r, o) = v.multipliedReportingOverflow(by: mul)
        return o || r > ScaledNumber.unlimited ? ScaledNumber.unlimited : r
    }
}
