import VZConfig

/// One row of a beancounter table: what /proc/user_beancounters showed on
/// an OpenVZ kernel, or what this project reads from the cgroups.
public struct UBCRow: Sendable, Equatable {
    /// `kmemsize`, `numproc`, ... (`dummy` rows are never kept).
    public var name: String
    /// nil: not measured, or not kept by the kernel (never a made-up 0).
    public var held: UInt64?
    public var maxheld: UInt64?
    public var barrier: UInt64
    public var limit: UInt64
    public var failcnt: UInt64?
    /// How a stock kernel enforces the row; nil for rows read from an
    /// OpenVZ file (`-f`), where the kernel enforced every row itself.
    public var enforcement: BeancounterEnforcement?

    public init(name: String, held: UInt64?, maxheld: UInt64?, barrier: UInt64, limit: UInt64, failcnt: UInt64?,
                enforcement: BeancounterEnforcement? = nil) {
        self.name = name
        self.held = held
        self.maxheld = maxheld
        self.barrier = barrier
        self.limit = limit
        self.failcnt = failcnt
        self.enforcement = enforcement
    }

    /// A running VPS's row: the kernel's numbers, its barrier and limit
    /// where it enforces the row, else the configured ones, else unlimited
    /// (an unset beancounter limits nothing, as on OpenVZ). A limit the
    /// kernel holds for an unset key is its barrier too, as one value
    /// means both in vzctl's syntax.
    public init(_ bc: Beancounter, configured: ResourceValue?, reading: BeancounterReading?) {
        self.init(name: bc.rawValue, held: reading?.held, maxheld: reading?.maxheld,
                  barrier: reading?.barrier ?? configured?.barrier ?? reading?.limit ?? ScaledNumber.unlimited,
                  limit: reading?.limit ?? configured?.limit ?? ScaledNumber.unlimited,
                  failcnt: reading?.failcnt, enforcement: bc.enforcement)
    }

    /// Page rows are shown in bytes by the report (vzubc's `/pages$/`).
    var isPages: Bool { name.hasSuffix("pages") }
}

/// One container's rows, in the kernel's order.
public struct UBCBlock: Sendable, Equatable {
    /// The CTID (0 is the host on OpenVZ); nil when the input did not say
    /// (a `/proc/bc/CTID/resources` text has no uid column).
    public var id: Int64?
    public var rows: [UBCRow]

    public init(id: Int64?, rows: [UBCRow]) {
        self.id = id
        self.rows = rows
    }

    /// A running VPS's block: every beancounter of /proc/bc/resources
    /// (the 20 of /proc/user_beancounters without dummies, then swappages).
    public init(ctid: ContainerID, configured: [Beancounter: ResourceValue],
                readings: [Beancounter: BeancounterReading]) {
        self.init(id: Int64(ctid.value), rows: UBCBlock.kernelOrder.map {
            UBCRow($0, configured: configured[$0], reading: readings[$0])
        })
    }

    /// /proc/bc/resources order: Beancounter's, without the config-only avnumproc.
    public static let kernelOrder: [Beancounter] = Beancounter.allCases.filter { $0 != .avnumproc }
}

extension BeancounterEnforcement {
    /// The mechanism as vzubc's table names it.
    public var label: String {
        switch self {
        case .memoryCgroup: return "memory cgroup"
        case .pidsCgroup: return "pids cgroup"
        case .rlimit: return "rlimit"
        case .devpts: return "devpts max"
        case .ipcNamespace: return "shm sysctls"
        case .notEnforced: return "not enforced"
        case .configOnly: return "config only"
        }
    }

    /// The same for JSON.
    public var key: String {
        switch self {
        case .memoryCgroup: return "memory-cgroup"
        case .pidsCgroup: return "pids-cgroup"
        case .rlimit: return "rlimit"
        case .devpts: return "devpts"
        case .ipcNamespace: return "ipc-namespace"
        case .notEnforced: return "none"
        case .configOnly: return "config-only"
        }
    }

    public var isEnforced: Bool { self != .notEnforced && self != .configOnly }
}
