import VZConfig

/// The state vzlist prints in its STATUS column. The raw values are vzlist
/// 4.x's own ordering (`VE_RUNNING`..`VE_SUSPENDED`), which `-s status` sorts by.
public enum ListStatus: Int, Sendable, Hashable, Comparable, CaseIterable {
    case running = 0, stopped, mounted, suspended

    public var text: String {
        switch self {
        case .running: return "running"
        case .stopped: return "stopped"
        case .mounted: return "mounted"
        case .suspended: return "suspended"
        }
    }

    public static func < (a: ListStatus, b: ListStatus) -> Bool { a.rawValue < b.rawValue }
}

/// How the private area is stored. Raw values follow vzctl's
/// `VE_LAYOUT_SIMFS`/`VE_LAYOUT_PLOOP`, which `-s layout` sorts by.
public enum PrivateLayout: Int, Sendable, Hashable {
    case simfs = 1, ploop = 2

    public var text: String { self == .simfs ? "simfs" : "ploop" }
}

// BeancounterReading (held/maxheld/failcnt, the kernel's barrier/limit)
// is VZConfig's, shared with the cgroup reader and vzubc.

/// Disk usage of the private area: KB and inodes in use.
public struct DiskUsage: Sendable, Hashable {
    public var kilobytes: UInt64
    public var inodes: UInt64

    public init(kilobytes: UInt64, inodes: UInt64) {
        self.kilobytes = kilobytes
        self.inodes = inodes
    }
}

/// What only a live system can tell: vzlist 4.x read these from the kernel
/// (/proc/bc, /proc/vz/*, ioctls). Everything is optional so a runtime that
/// cannot measure something leaves it out and the config value (or `-`) is
/// shown instead, as 4.x did for stopped containers.
public struct RuntimeReadings: Sendable {
    public var beancounters: [ListedBeancounter: BeancounterReading] = [:]
    public var loadAverage: (Double, Double, Double)?
    /// Seconds since the container started.
    public var uptime: Double?
    public var diskUsage: DiskUsage?
    /// Addresses actually configured, which 4.x preferred over IP_ADDRESS.
    public var ipAddresses: [String]?
    public var cpus: Int?
    public var cpuLimit: UInt64?
    public var cpuUnits: UInt64?
    public var ioLimit: Int?
    public var iopsLimit: Int?

    public init() {}
}

/// One container as the inventory hands it to the listing.
///
/// `values`/`config` hold the config values vzlist displays (keys it does
/// not display are dropped). vzlist 4.x parsed only CTID.conf for them
/// (`read_ves_param` never merges vz.conf into a container), falling back
/// to vz.conf just for VE_ROOT and VE_PRIVATE, with `$VEID` substituted;
/// the inventory builds them that way.
public struct ListRecord: Sendable {
    public var ctid: ContainerID
    /// The values, as the listing keeps them (only keys it displays).
    public var values: ListConfig
    /// The values as `KEY → value`.
    public var config: [String: String] {
        get { values.dictionary }
        set { values = ListConfig(newValue) }
    }
    public var status: ListStatus
    public var layout: PrivateLayout
    /// 4.x silently hides a stopped container whose VE_PRIVATE is missing,
    /// even one named on the command line; the listing applies that rule,
    /// after the "Container(s) not found" check which counts every
    /// configured one.
    public var privateExists: Bool
    /// 4.x shows NAME only when the names registry agrees with it; false
    /// when `/etc/vz/names/NAME` points at another existing container.
    public var nameRegistered: Bool
    /// nil for containers that are not running.
    public var runtime: RuntimeReadings?

    public init(
        ctid: ContainerID, config: [String: String], status: ListStatus = .stopped,
        layout: PrivateLayout = .simfs, privateExists: Bool = true, nameRegistered: Bool = true,
        runtime: RuntimeReadings? = nil
    ) {
        self.init(ctid: ctid, values: ListConfig(config), status: status, layout: layout,
                  privateExists: privateExists, nameRegistered: nameRegistered, runtime: runtime)
    }

    public init(
        ctid: ContainerID, values: ListConfig, status: ListStatus = .stopped,
        layout: PrivateLayout = .simfs, privateExists: Bool = true, nameRegistered: Bool = true,
        runtime: RuntimeReadings? = nil
    ) {
        self.ctid = ctid
        self.values = values
        self.status = status
        self.layout = layout
        self.privateExists = privateExists
        self.nameRegistered = nameRegistered
        self.runtime = runtime
    }
}
