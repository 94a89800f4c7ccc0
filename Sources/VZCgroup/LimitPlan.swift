import VZConfig

/// What a VPS's configuration asks of the kernel (issue 4), as decided by
/// `LimitMapping` from the config and the host's facts: cgroup interface
/// files, process resource limits, the devpts `max`, the IPC namespace's
/// shm sysctls, and what cannot be enforced here. Plain data: start and
/// `vzctl set` apply it, tests read it.
public struct LimitPlan: Sendable, Equatable {
    /// In the order they are to be written (see `ContainerCgroup.apply`
    /// for the one reordering v1 memory needs).
    public var cgroup: [CgroupWrite] = []
    /// setrlimit of the VPS's init and of every process `exec` starts.
    public var rlimits: [ProcessLimit] = []
    /// The `max=` of the VPS's devpts instance; nil = devpts' own default.
    public var ptyMax: UInt64?
    /// kernel.shmall/shmmax in the VPS's IPC namespace; nil = the defaults
    /// a new IPC namespace has.
    public var shm: ShmLimit?
    /// Configured keys with a finite value and no stock-kernel equivalent:
    /// accepted, saved and shown, never enforced.
    public var unenforced: [String] = []
    /// Keys this host cannot enforce (no swap accounting, no block device
    /// under VE_PRIVATE, ...).
    public var warnings: [LimitWarning] = []

    public init() {}

    /// The config key of every part of the plan (for "which limits does
    /// this change touch").
    public var keys: Set<String> {
        var s = Set(cgroup.map(\.key))
        for r in rlimits { s.insert(r.key) }
        if ptyMax != nil { s.insert("NUMPTY") }
        if shm != nil { s.insert("SHMPAGES") }
        return s
    }

    /// The part of this plan that sets `keys`, for a running VPS whose
    /// current values are not known (a `vzctl set` without `--save` may
    /// have changed them): every file of those keys gets this plan's value
    /// or, when the plan leaves it alone, its default from `defaults`
    /// (`LimitMapping.defaults`), so a limit that is no longer asked for is
    /// lifted. The devpts max and shm sysctls likewise fall back to the
    /// kernel's defaults. `keys` should already hold the keys that share a
    /// file (`LimitMapping.related`).
    public func restricted(to keys: Set<String>, defaults: [CgroupWrite]) -> LimitPlan {
        var p = LimitPlan()
        p.cgroup = cgroup.filter { keys.contains($0.key) }
        for d in defaults where keys.contains(d.key) && !p.cgroup.contains(where: { $0.target == d.target }) {
            p.cgroup.append(d.resetting)
        }
        p.rlimits = rlimits.filter { keys.contains($0.key) }
        if keys.contains("NUMPTY") { p.ptyMax = ptyMax ?? LimitPlan.devptsDefaultMax }
        if keys.contains("SHMPAGES") { p.shm = shm ?? ShmLimit.namespaceDefault }
        p.unenforced = unenforced.filter { keys.contains($0) }
        p.warnings = warnings.filter { !$0.keys.isDisjoint(with: keys) }
        return p
    }

    /// devpts' limit when mounted without `max=` (NR_UNIX98_PTY_MAX, 1 << 20).
    public static let devptsDefaultMax: UInt64 = 1 << 20
}

/// Why some configured keys have no effect on this host.
public struct LimitWarning: Sendable, Hashable, CustomStringConvertible {
    public var keys: Set<String>
    public var message: String

    public init(_ keys: Set<String>, _ message: String) {
        self.keys = keys
        self.message = message
    }

    public var description: String { message }
}

/// One write of a cgroup interface file of the VPS's own cgroup.
public struct CgroupWrite: Sendable, Hashable, CustomStringConvertible {
    /// The config key it comes from (`PHYSPAGES`), for messages and exit codes.
    public var key: String
    /// The controller whose hierarchy holds the file (`memory`, `blkio`, `io`).
    public var controller: String
    public var file: String
    public var value: String
    /// The value a new cgroup has, written when the key stops asking for a limit.
    public var reset: String

    public init(_ key: String, _ controller: String, _ file: String, _ value: String, reset: String) {
        self.key = key
        self.controller = controller
        self.file = file
        self.value = value
        self.reset = reset
    }

    /// Which file this write sets (two writes with the same target replace
    /// each other).
    public var target: String { controller + "/" + file }

    public var resetting: CgroupWrite {
        var w = self
        w.value = reset
        return w
    }

    public var description: String { "\(file)=\(value)" }
}

/// A process resource limit (setrlimit/prlimit).
public struct ProcessLimit: Sendable, Hashable, CustomStringConvertible {
    /// The Linux resource numbers (asm-generic/resource.h).
    public enum Resource: Int32, Sendable, Hashable {
        case nofile = 7
        case memlock = 8
        case sigpending = 11

        /// The beancounter it enforces.
        public var key: String {
            switch self {
            case .nofile: return "NUMFILE"
            case .memlock: return "LOCKEDPAGES"
            case .sigpending: return "NUMSIGINFO"
            }
        }

        public var name: String {
            switch self {
            case .nofile: return "RLIMIT_NOFILE"
            case .memlock: return "RLIMIT_MEMLOCK"
            case .sigpending: return "RLIMIT_SIGPENDING"
            }
        }
    }

    /// RLIM_INFINITY.
    public static let infinity = UInt64.max

    public var key: String
    public var resource: Resource
    public var soft: UInt64
    public var hard: UInt64

    public init(_ key: String, _ resource: Resource, soft: UInt64, hard: UInt64) {
        self.key = key
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }

    public var description: String {
        func f(_ v: UInt64) -> String { v == ProcessLimit.infinity ? "unlimited" : String(v) }
        return "\(resource.name)=\(f(soft)):\(f(hard))"
    }
}

/// The System V shared memory limits of one IPC namespace.
public struct ShmLimit: Sendable, Hashable {
    /// kernel.shmall: pages of shared memory in the namespace.
    public var shmall: UInt64
    /// kernel.shmmax: bytes in one segment.
    public var shmmax: UInt64

    public init(shmall: UInt64, shmmax: UInt64) {
        self.shmall = shmall
        self.shmmax = shmmax
    }

    /// What a new IPC namespace starts with (SHMALL = SHMMAX = ULONG_MAX - 2^24).
    public static let namespaceDefault = ShmLimit(shmall: UInt64.max - (1 << 24), shmmax: UInt64.max - (1 << 24))
}
