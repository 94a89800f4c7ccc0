/// CPUMASK / NODEMASK: a cpuset-style list (`0-2,7`), `all`, or `auto`
/// (placement left to the runtime, as VZ7 allowed). vzctl kept a bitmap of
/// 4096 CPUs (1024 nodes) and printed it back as merged ranges, or `all`
/// when every bit was set; this keeps sorted ranges instead of a bitmap so
/// `4000-4095` costs two numbers.
public enum CPUMask: Sendable, Hashable, CustomStringConvertible {
    case all
    case auto
    /// Sorted, merged, non-adjacent ranges.
    case list([ClosedRange<Int>])

    public static let cpuBits = 4096
    public static let nodeBits = 1024

    /// nil when malformed or a number is `>= bits`.
    public init?(_ text: String, bits: Int = CPUMask.cpuBits) {
        if text == "all" { self = .all; return }
        if text == "auto" { self = .auto; return }
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let lo = ScaledNumber.parseDecimal(ends[0], max: UInt64(bits - 1)) else { return nil }
            var hi = lo
            if ends.count == 2 {
                guard let h = ScaledNumber.parseDecimal(ends[1], max: UInt64(bits - 1)), h >= lo else { return nil }
                hi = h
            }
            ranges.append(Int(lo)...Int(hi))
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int>] = []
        for r in ranges {
            if let last = merged.last, r.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        if merged.count == 1, merged[0] == 0...(bits - 1) { self = .all; return }
        self = .list(merged)
    }

    public static func parse(_ text: String, option: String, bits: Int) throws(VZError) -> CPUMask {
        guard let m = CPUMask(text, bits: bits) else {
            throw VZError(.invalidValue, "Invalid value for --\(option): \(text.debugDescription) (expected a list like 0-2,7, all or auto)")
        }
        return m
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .auto: return "auto"
        case .list(let rs):
            return rs.map { $0.lowerBound == $0.upperBound ? String($0.lowerBound) : "\($0.lowerBound)-\($0.upperBound)" }
                .joined(separator: ",")
        }
    }

    /// Whether `cpu` is in the mask; `auto` contains everything.
    public func contains(_ cpu: Int) -> Bool {
        switch self {
        case .all, .auto: return true
        case .list(let rs): return rs.contains { $0.contains(cpu) }
        }
    }
}
