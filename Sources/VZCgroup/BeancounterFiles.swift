import VZConfig

/// Where the kernel keeps a number for a VPS's cgroup: a file, a line of a
/// flat keyed file, or arithmetic over those. Pure: evaluation takes a
/// reader, so the table is tested against fixture texts and the real
/// reader goes through `CgroupBackend.read`.
public indirect enum CounterSource: Sendable, Equatable, CustomStringConvertible {
    /// A file holding one number (`pids.current`); `max` reads as unlimited.
    case file(String)
    /// The `key value` line of a flat keyed file (`memory.stat`, `pids.events`).
    case entry(String, key: String)
    /// a + b (v2 oomguarpages: memory plus swap).
    case sum(CounterSource, CounterSource)
    /// a − b, 0 when b ≥ a; unlimited when a is (v1 swap = memsw − memory).
    case difference(CounterSource, CounterSource)

    /// The files this source reads.
    public var files: [String] {
        switch self {
        case .file(let f), .entry(let f, _): return [f]
        case .sum(let a, let b), .difference(let a, let b): return a.files + b.files
        }
    }

    public var description: String {
        switch self {
        case .file(let f): return f
        case .entry(let f, let k): return "\(f) \(k)"
        case .sum(let a, let b): return "\(a) + \(b)"
        case .difference(let a, let b): return "\(a) - \(b)"
        }
    }

    /// The number, `ScaledNumber.unlimited` for "no limit", nil when a file
    /// or key is missing or does not parse (a kernel without it).
    public func evaluate(_ read: (String) -> String?) -> UInt64? {
        switch self {
        case .file(let f):
            return read(f).flatMap(CounterText.value)
        case .entry(let f, let k):
            return read(f).flatMap { CounterText.entry($0, key: k) }
        case .sum(let a, let b):
            guard let x = a.evaluate(read), let y = b.evaluate(read) else { return nil }
            if x == ScaledNumber.unlimited || y == ScaledNumber.unlimited { return ScaledNumber.unlimited }
            let (s, o) = x.addingReportingOverflow(y)
            return o || s > ScaledNumber.unlimited ? ScaledNumber.unlimited : s
        case .difference(let a, let b):
            guard let x = a.evaluate(read), let y = b.evaluate(read) else { return nil }
            if x == ScaledNumber.unlimited { return ScaledNumber.unlimited }
            return x > y ? x - y : 0
        }
    }
}

/// Parsing of cgroup interface file texts.
public enum CounterText {
    /// The kernel's "no limit" in v1 byte files: PAGE_COUNTER_MAX pages,
    /// 9223372036854771712 on 64-bit. Anything from there up is unlimited.
    static let v1Unlimited: UInt64 = 0x7FFF_FFFF_FFFF_F000

    /// A single-number file: `123\n`, `max\n` (v2, pids) → unlimited.
    public static func value(_ text: String) -> UInt64? {
        number(Substring(text))
    }

    /// `key value` of a flat keyed file (`memory.stat`, `memory.events`,
    /// `pids.events`, v1 `memory.oom_control`).
    public static func entry(_ text: String, key: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            guard let sp = line.firstIndex(of: " "), line[..<sp] == key else { continue }
            return number(line[line.index(after: sp)...])
        }
        return nil
    }

    static func number(_ s: Substring) -> UInt64? {
        let t = s.trimmed()
        if t == "max" { return ScaledNumber.unlimited }
        guard let v = UInt64(t) else { return nil }
        return v >= v1Unlimited ? ScaledNumber.unlimited : v
    }
}

/// Which cgroup files give each beancounter's held, maxheld and failcnt,
/// and the limit the kernel actually enforces, on cgroup v1 and v2
/// (compat §2.4). The one table of the accounting side: `vzubc`, `vzlist`
/// and the README's table all come from it.
///
/// A missing source (nil) says the kernel keeps no such number for a
/// cgroup; it is shown as such, never invented: `memory.stat` entries have
/// no peak, rlimits and devpts `max=` count no refusals, and a row without
/// a stock-kernel counter (privvmpages, the socket rows, numfile,
/// numsiginfo, ...) has no source at all.
public struct BeancounterFiles: Sendable, Equatable {
    /// The controller whose cgroup holds the files.
    public let controller: String
    public let held: CounterSource?
    public let maxheld: CounterSource?
    public let failcnt: CounterSource?
    /// The limit the kernel enforces for the row.
    public let limit: CounterSource?
    /// NUMPROC's barrier and limit are one number in the kernel (pids.max),
    /// so both are the kernel's. Memory rows keep the configured barrier
    /// (vswap's physpages barrier is 0 and means nothing to the kernel).
    public let limitIsAlsoBarrier: Bool
    /// Bytes per unit of the row when the files count bytes (4096 for the
    /// page rows), 1 when they count the row's own unit.
    public let scale: UInt64

    init(_ controller: String, held: CounterSource?, maxheld: CounterSource? = nil, failcnt: CounterSource? = nil,
         limit: CounterSource? = nil, limitIsAlsoBarrier: Bool = false, scale: UInt64 = 1) {
        self.controller = controller
        self.held = held
        self.maxheld = maxheld
        self.failcnt = failcnt
        self.limit = limit
        self.limitIsAlsoBarrier = limitIsAlsoBarrier
        self.scale = scale
    }

    public func source(_ column: BeancounterColumns) -> CounterSource? {
        switch column {
        case .held: return held
        case .maxheld: return maxheld
        case .failcnt: return failcnt
        case .limit: return limit
        case .barrier: return limitIsAlsoBarrier ? limit : nil
        default: return nil
        }
    }

    /// The controller a row is read from, nil for rows no cgroup counts
    /// (numpty is counted in the VPS's devpts instance instead).
    public static func controller(of bc: Beancounter) -> String? {
        switch bc {
        case .numproc: return "pids"
        case .kmemsize, .lockedpages, .shmpages, .physpages, .oomguarpages, .swappages: return "memory"
        default: return nil
        }
    }

    /// The files of `bc` in a cgroup of `version` on `kernel` (nil:
    /// unknown, taken as recent), nil when the kernel counts nothing for it.
    public static func of(_ bc: Beancounter, _ version: CgroupVersion, kernel: KernelRelease? = nil) -> BeancounterFiles? {
        guard version == .v1 else { return v2(bc) }
        guard var f = v1(bc) else { return nil }
        // Since 6.13 a v1 memory cgroup counts failures on its memory
        // counter only (`memory.track_failcnt`): memory.memsw.failcnt and
        // memory.kmem.failcnt exist but stay 0 whatever is refused, so
        // they are not shown as counts (seen on 6.18: a RAM+swap limit
        // that OOM-kills leaves both at 0).
        if (bc == .swappages || bc == .kmemsize), kernel.map({ $0 >= KernelRelease(6, 13) }) ?? true {
            f = BeancounterFiles(f.controller, held: f.held, maxheld: f.maxheld, failcnt: nil, limit: f.limit,
                                 limitIsAlsoBarrier: f.limitIsAlsoBarrier, scale: f.scale)
        }
        return f
    }

    private static let page = ScaledNumber.pageSize

    /// v1: every number is the VPS cgroup's own, hierarchical where the
    /// kernel offers both (`total_*` in memory.stat).
    private static func v1(_ bc: Beancounter) -> BeancounterFiles? {
        switch bc {
        case .kmemsize:
            // Still accounted on v1 in 6.x, but its limit file no longer
            // limits (deprecated in 5.16; 6.18 accepts a write and keeps
            // "unlimited"), so no kernel limit is claimed.
            return BeancounterFiles("memory", held: .file("memory.kmem.usage_in_bytes"),
                                    maxheld: .file("memory.kmem.max_usage_in_bytes"),
                                    failcnt: .file("memory.kmem.failcnt"))
        case .lockedpages:
            // mlock()ed pages sit on the unevictable LRU (with ramfs and
            // SHM_LOCK pages, which VZ counted elsewhere): the closest count.
            return BeancounterFiles("memory", held: .entry("memory.stat", key: "total_unevictable"), scale: page)
        case .shmpages:
            return BeancounterFiles("memory", held: .entry("memory.stat", key: "total_shmem"), scale: page)
        case .numproc:
            return BeancounterFiles("pids", held: .file("pids.current"), maxheld: .file("pids.peak"),
                                    failcnt: .entry("pids.events", key: "max"), limit: .file("pids.max"),
                                    limitIsAlsoBarrier: true)
        case .physpages:
            // memory.failcnt counts refusals at the RAM limit. A charge is
            // tried against memory+swap first, so where that limit is the
            // same (no swap allowed) the refusal happens there, which 6.13+
            // does not count (see `of`): then only oomguarpages' OOM kills
            // show that the limit bit.
            return BeancounterFiles("memory", held: .file("memory.usage_in_bytes"),
                                    maxheld: .file("memory.max_usage_in_bytes"), failcnt: .file("memory.failcnt"),
                                    limit: .file("memory.limit_in_bytes"), scale: page)
        case .oomguarpages:
            // RAM + swap in use, and OOM kills as the count of guarantees that
            // did not hold (what VZ8's emulation did too).
            return BeancounterFiles("memory", held: .file("memory.memsw.usage_in_bytes"),
                                    maxheld: .file("memory.memsw.max_usage_in_bytes"),
                                    failcnt: .entry("memory.oom_control", key: "oom_kill"), scale: page)
        case .swappages:
            // v1 has memory+swap (memsw) and memory: swap is the difference.
            // Its peak cannot be derived (the two peaks need not coincide).
            let mem = CounterSource.file("memory.usage_in_bytes")
            return BeancounterFiles("memory", held: .difference(.file("memory.memsw.usage_in_bytes"), mem),
                                    failcnt: .file("memory.memsw.failcnt"),
                                    limit: .difference(.file("memory.memsw.limit_in_bytes"), .file("memory.limit_in_bytes")),
                                    scale: page)
        default:
            return nil
        }
    }

    /// v2: every file covers the subtree (a VPS's systemd makes children).
    private static func v2(_ bc: Beancounter) -> BeancounterFiles? {
        switch bc {
        case .kmemsize:
            // `kernel` (5.18+): slab, stacks, page tables, ... of the subtree.
            return BeancounterFiles("memory", held: .entry("memory.stat", key: "kernel"))
        case .lockedpages:
            return BeancounterFiles("memory", held: .entry("memory.stat", key: "unevictable"), scale: page)
        case .shmpages:
            return BeancounterFiles("memory", held: .entry("memory.stat", key: "shmem"), scale: page)
        case .numproc:
            return BeancounterFiles("pids", held: .file("pids.current"), maxheld: .file("pids.peak"),
                                    failcnt: .entry("pids.events", key: "max"), limit: .file("pids.max"),
                                    limitIsAlsoBarrier: true)
        case .physpages:
            // `max` events: the times usage hit memory.max (v1's failcnt).
            return BeancounterFiles("memory", held: .file("memory.current"), maxheld: .file("memory.peak"),
                                    failcnt: .entry("memory.events", key: "max"), limit: .file("memory.max"), scale: page)
        case .oomguarpages:
            return BeancounterFiles("memory", held: .sum(.file("memory.current"), .file("memory.swap.current")),
                                    failcnt: .entry("memory.events", key: "oom_kill"), scale: page)
        case .swappages:
            return BeancounterFiles("memory", held: .file("memory.swap.current"), maxheld: .file("memory.swap.peak"),
                                    failcnt: .entry("memory.swap.events", key: "max"), limit: .file("memory.swap.max"),
                                    scale: page)
        default:
            return nil
        }
    }
}

/// A kernel release (`6.18.44-fc-v657` → 6.18), for counters whose meaning
/// changed between releases.
public struct KernelRelease: Sendable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `/proc/sys/kernel/osrelease` (uname -r).
    public init?(_ release: String) {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2, release.first?.isNumber == true else { return nil }
        self.init(parts[0], parts[1])
    }

    public static func < (a: KernelRelease, b: KernelRelease) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    public var description: String { "\(major).\(minor)" }
}
