import VZConfig

/// The beancounters vzlist knows, in 4.x's `FOR_ALL_UBC` order (which is
/// the order of `-L` and of the JSON keys). avnumproc is config-only and has
/// no column.
public enum ListedBeancounter: Int, Sendable, Hashable, CaseIterable {
    case kmemsize, lockedpages, privvmpages, shmpages, numproc, physpages
    case vmguarpages, oomguarpages, numtcpsock, numflock, numpty, numsiginfo
    case tcpsndbuf, tcprcvbuf, othersockbuf, dgramrcvbuf, numothersock
    case dcachesize, numfile, numiptent, swappages

    /// VZConfig's beancounter: same order, avnumproc excluded.
    public var beancounter: Beancounter { ListedBeancounter.beancounters[rawValue] }

    private static let beancounters = ListedBeancounter.allCases.map { Beancounter.allCases[$0.rawValue] }

    public var name: String { beancounter.rawValue }

    /// The listed counterpart of a beancounter; nil for the config-only avnumproc.
    public init?(_ bc: Beancounter) {
        guard let i = Beancounter.allCases.firstIndex(of: bc) else { return nil }
        self.init(rawValue: i)
    }

    /// Column header (4.x abbreviations).
    public var header: String {
        switch self {
        case .kmemsize: return "KMEMSIZE"
        case .lockedpages: return "LOCKEDP"
        case .privvmpages: return "PRIVVMP"
        case .shmpages: return "SHMP"
        case .numproc: return "NPROC"
        case .physpages: return "PHYSP"
        case .vmguarpages: return "VMGUARP"
        case .oomguarpages: return "OOMGUARP"
        case .numtcpsock: return "NTCPSOCK"
        case .numflock: return "NFLOCK"
        case .numpty: return "NPTY"
        case .numsiginfo: return "NSIGINFO"
        case .tcpsndbuf: return "TCPSNDB"
        case .tcprcvbuf: return "TCPRCVB"
        case .othersockbuf: return "OTHSOCKB"
        case .dgramrcvbuf: return "DGRAMRB"
        case .numothersock: return "NOTHSOCK"
        case .dcachesize: return "DCACHESZ"
        case .numfile: return "NFILE"
        case .numiptent: return "NIPTENT"
        case .swappages: return "SWAPP"
        }
    }

    /// The config keys, the first being canonical; the others are the
    /// aliases vzctl's config table accepts.
    public var configKeys: [String] { [beancounter.key] + beancounter.legacyKeys }

    /// What a size suffix divides by: the page size for page counters, 1 for
    /// byte counters, nil (suffix refused) for item counters, as vzctl's
    /// `parse()` passes to `parse_ub`.
    var suffixDivisor: UInt64? { beancounter.unit.divisor }
}

/// The five numbers of a beancounter, in 4.x's field-table index order.
public enum BeancounterColumn: Int, Sendable, Hashable, CaseIterable {
    case held = 0, maxheld, barrier, limit, failcnt

    var fieldSuffix: String { ["", ".m", ".b", ".l", ".f"][rawValue] }
    var headerSuffix: String { ["", ".M", ".B", ".L", ".F"][rawValue] }

    /// The reader's name for this column.
    var columns: BeancounterColumns { [.held, .maxheld, .barrier, .limit, .failcnt][rawValue] }
}

/// Disk quota numbers: usage, then the soft and hard limits.
public enum QuotaColumn: Int, Sendable, Hashable, CaseIterable {
    case usage = 0, soft, hard

    var fieldSuffix: String { ["", ".s", ".h"][rawValue] }
    var headerSuffix: String { ["", ".S", ".H"][rawValue] }
}

public enum FieldKind: Sendable, Hashable {
    case ctid, privateArea, root, mountOpts, originSample, hostname, name, smartName
    case description, ostemplate, ip, nameserver, searchdomain, status
    case beancounter(ListedBeancounter, BeancounterColumn)
    case diskspace(QuotaColumn), diskinodes(QuotaColumn)
    case laverage, uptime, cpulimit, cpuunits, cpus, ioprio, iolimit, iopslimit
    case onboot, bootorder, layout, features, vswap, disabled, vmOvercommit
    case netfilter, capability
}

/// One entry of vzlist's field table: the name accepted by `-o`/`-s`, the
/// header and its printf width (negative = left-aligned, as in `%-32s`).
public struct ListField: Sendable, Hashable {
    public let name: String
    public let header: String
    public let headerWidth: Int
    public let kind: FieldKind
    /// Fields with a suffix (`.m`, `.s`, ...) are 4.x's "index != 0" ones:
    /// refused with -j and left out of the default JSON object.
    public let isSuffixed: Bool

    init(_ name: String, _ header: String, _ headerWidth: Int, _ kind: FieldKind, suffixed: Bool = false) {
        self.name = name
        self.header = header
        self.headerWidth = headerWidth
        self.kind = kind
        self.isSuffixed = suffixed
    }

    /// The field table in 4.x order (that of `-L` and of `-j` without `-o`).
    public static let all: [ListField] = {
        var t: [ListField] = [
            ListField("ctid", "CTID", 10, .ctid),
            // veid and vpsid are 4.x's backward-compatible aliases.
            ListField("veid", "CTID", 10, .ctid),
            ListField("vpsid", "CTID", 10, .ctid),
            ListField("private", "PRIVATE", -32, .privateArea),
            ListField("root", "ROOT", -32, .root),
            ListField("mount_opts", "MOUNT_OPTS", -16, .mountOpts),
            // 4.x right-aligns this header although the values are left-aligned.
            ListField("origin_sample", "ORIGIN_SAMPLE", 32, .originSample),
            ListField("hostname", "HOSTNAME", -32, .hostname),
            ListField("name", "NAME", -32, .name),
            ListField("smart_name", "SMARTNAME", 10, .smartName),
            ListField("description", "DESCRIPTION", -32, .description),
            ListField("ostemplate", "OSTEMPLATE", -32, .ostemplate),
            ListField("ip", "IP_ADDR", -15, .ip),
            ListField("nameserver", "NAMESERVER", -15, .nameserver),
            ListField("searchdomain", "SEARCHDOMAIN", -15, .searchdomain),
            ListField("status", "STATUS", -9, .status),
        ]
        for bc in ListedBeancounter.allCases {
            for col in BeancounterColumn.allCases {
                t.append(ListField(bc.name + col.fieldSuffix, bc.header + col.headerSuffix, 10,
                                   .beancounter(bc, col), suffixed: col != .held))
            }
        }
        for col in QuotaColumn.allCases {
            t.append(ListField("diskspace" + col.fieldSuffix, "DSPACE" + col.headerSuffix, 10,
                               .diskspace(col), suffixed: col != .usage))
        }
        for col in QuotaColumn.allCases {
            t.append(ListField("diskinodes" + col.fieldSuffix, "DINODES" + col.headerSuffix, 10,
                               .diskinodes(col), suffixed: col != .usage))
        }
        t += [
            ListField("laverage", "LAVERAGE", 14, .laverage),
            ListField("uptime", "UPTIME", 15, .uptime),
            ListField("cpulimit", "CPULIM", 7, .cpulimit),
            ListField("cpuunits", "CPUUNI", 7, .cpuunits),
            ListField("cpus", "CPUS", 5, .cpus),
            ListField("ioprio", "IOP", 3, .ioprio),
            ListField("iolimit", "IOLIMIT", 10, .iolimit),
            ListField("iopslimit", "IOPS", 4, .iopslimit),
            ListField("onboot", "ONBOOT", 6, .onboot),
            ListField("bootorder", "BOOTORDER", 10, .bootorder),
            ListField("layout", "LAYOUT", 6, .layout),
            ListField("features", "FEATURES", -15, .features),
            ListField("vswap", "VSWAP", 5, .vswap),
            ListField("disabled", "DISABL", 6, .disabled),
            ListField("vm_overcommit", "VM_OVC", 6, .vmOvercommit),
            // Not in vzlist 4.x: this project lists the two keys that the
            // modern runtime maps onto nftables policy and the bounding set,
            // appended after 4.x's last field so 4.x's order is unchanged.
            ListField("netfilter", "NETFILTER", -9, .netfilter),
            ListField("capability", "CAPABILITY", -15, .capability),
        ]
        return t
    }()

    private static let byName: [String: ListField] = {
        var d: [String: ListField] = [:]
        for f in all where d[f.name] == nil { d[f.name] = f }
        return d
    }()

    public static func named(_ name: String) -> ListField? { byName[name] }

    /// 4.x's default columns, and those of `-n`.
    public static let defaultFields = "ctid,numproc,status,ip,hostname"
    public static let defaultNameFields = "smart_name,numproc,status,ip,hostname"
}
