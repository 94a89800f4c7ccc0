/// One beancounter of a running VPS as the kernel counts it, in the
/// beancounter's own unit (pages, bytes or items; compat §2.4).
///
/// nil never means 0: it means the kernel keeps no such number for a
/// cgroup (no peak for `memory.stat` entries, no refusal count for an
/// rlimit), or the row has no stock-kernel counter at all (privvmpages,
/// the socket rows), or this kernel lacks the file (`memory.peak` before
/// 5.19). Listings show `-`/`n/a`/null for it, never a made-up number.
public struct BeancounterReading: Sendable, Hashable {
    public var held: UInt64?
    public var maxheld: UInt64?
    public var failcnt: UInt64?
    /// The kernel's own barrier and limit where it enforces the row
    /// (pids.max, memory.max, ...): they win over the configured values,
    /// so a limit the kernel does not actually hold is visible. nil: the
    /// configured value is what there is.
    public var barrier: UInt64?
    public var limit: UInt64?

    public init(held: UInt64? = nil, maxheld: UInt64? = nil, failcnt: UInt64? = nil,
                barrier: UInt64? = nil, limit: UInt64? = nil) {
        self.held = held
        self.maxheld = maxheld
        self.failcnt = failcnt
        self.barrier = barrier
        self.limit = limit
    }
}

/// Which of a beancounter's five numbers a listing needs, so a reader
/// opens only the files behind them (`vzlist -o numproc` reads
/// `pids.current` and nothing else).
public struct BeancounterColumns: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let held = BeancounterColumns(rawValue: 1)
    public static let maxheld = BeancounterColumns(rawValue: 2)
    public static let barrier = BeancounterColumns(rawValue: 4)
    public static let limit = BeancounterColumns(rawValue: 8)
    public static let failcnt = BeancounterColumns(rawValue: 16)
    public static let all: BeancounterColumns = [.held, .maxheld, .barrier, .limit, .failcnt]
}

/// The beancounters a listing shows and, for each, the columns it needs.
public struct BeancounterQuery: Sendable, Hashable {
    public private(set) var columns: [Beancounter: BeancounterColumns] = [:]

    public init() {}

    public init(_ columns: [Beancounter: BeancounterColumns]) {
        self.columns = columns.filter { !$0.value.isEmpty }
    }

    /// Every row of /proc/user_beancounters with every column (vzubc).
    public static let everything = BeancounterQuery(
        Dictionary(uniqueKeysWithValues: Beancounter.allCases.filter { $0 != .avnumproc }.map { ($0, BeancounterColumns.all) }))

    public var isEmpty: Bool { columns.isEmpty }

    public mutating func add(_ bc: Beancounter, _ c: BeancounterColumns) {
        guard !c.isEmpty else { return }
        columns[bc, default: []].formUnion(c)
    }

    public subscript(_ bc: Beancounter) -> BeancounterColumns { columns[bc] ?? [] }
}
