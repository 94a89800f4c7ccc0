/// A config key vzlist reads, as an index into `ListConfig`.
public struct ListConfigKey: Hashable, Sendable {
    public let index: Int

    /// Every key the listing reads. Beancounters sit at `ubcBase +
    /// ListedBeancounter.rawValue`, their legacy aliases after them.
    public static let names: [String] = [
        "VE_PRIVATE", "VE_ROOT", "MOUNT_OPTS", "ORIGIN_SAMPLE", "HOSTNAME", "NAME", "DESCRIPTION", "OSTEMPLATE",
        "IP_ADDRESS", "NAMESERVER", "SEARCHDOMAIN", "DISKSPACE", "DISKINODES", "CPULIMIT", "CPUUNITS", "CPUS",
        "IOPRIO", "IOLIMIT", "IOPSLIMIT", "ONBOOT", "BOOTORDER", "VE_LAYOUT", "FEATURES", "DISABLED",
        "VM_OVERCOMMIT", "NETFILTER", "CAPABILITY",
    ] + ListedBeancounter.allCases.map { $0.beancounter.key } + ["DCACHE", "IPTENTRIES"]

    static let vePrivate = ListConfigKey(index: 0)
    static let veRoot = ListConfigKey(index: 1)
    static let mountOpts = ListConfigKey(index: 2)
    static let originSample = ListConfigKey(index: 3)
    static let hostname = ListConfigKey(index: 4)
    static let name = ListConfigKey(index: 5)
    static let description = ListConfigKey(index: 6)
    static let ostemplate = ListConfigKey(index: 7)
    static let ipAddress = ListConfigKey(index: 8)
    static let nameserver = ListConfigKey(index: 9)
    static let searchdomain = ListConfigKey(index: 10)
    static let diskspace = ListConfigKey(index: 11)
    static let diskinodes = ListConfigKey(index: 12)
    static let cpulimit = ListConfigKey(index: 13)
    static let cpuunits = ListConfigKey(index: 14)
    static let cpus = ListConfigKey(index: 15)
    static let ioprio = ListConfigKey(index: 16)
    static let iolimit = ListConfigKey(index: 17)
    static let iopslimit = ListConfigKey(index: 18)
    static let onboot = ListConfigKey(index: 19)
    static let bootorder = ListConfigKey(index: 20)
    static let veLayout = ListConfigKey(index: 21)
    static let features = ListConfigKey(index: 22)
    static let disabled = ListConfigKey(index: 23)
    static let vmOvercommit = ListConfigKey(index: 24)
    static let netfilter = ListConfigKey(index: 25)
    static let capability = ListConfigKey(index: 26)
    static let ubcBase = 27

    /// The canonical key, then its alias if any (vzctl's config table).
    static func beancounter(_ bc: ListedBeancounter) -> [ListConfigKey] {
        let main = ListConfigKey(index: ubcBase + bc.rawValue)
        let aliasBase = ubcBase + ListedBeancounter.allCases.count
        switch bc {
        case .dcachesize: return [main, ListConfigKey(index: aliasBase)]
        case .numiptent: return [main, ListConfigKey(index: aliasBase + 1)]
        default: return [main]
        }
    }

    private static let byName: [String: ListConfigKey] = {
        var d: [String: ListConfigKey] = [:]
        for (i, n) in names.enumerated() { d[n] = ListConfigKey(index: i) }
        return d
    }()

    public init?(_ name: String) {
        guard let k = ListConfigKey.byName[name] else { return nil }
        self = k
    }

    init(index: Int) { self.index = index }

    public var name: String { ListConfigKey.names[index] }
}

/// The config values of one container that vzlist reads, in a fixed table
/// rather than a dictionary: 1,000 containers cost no hashing. Keys vzlist
/// does not display are not kept.
public struct ListConfig: Sendable, Equatable {
    var values: [String?]

    public init() { values = Array(repeating: nil, count: ListConfigKey.names.count) }

    public init(_ dictionary: [String: String]) {
        self.init()
        for (k, v) in dictionary { self[k] = v }
    }

    public subscript(key: ListConfigKey) -> String? {
        get { values[key.index] }
        set { values[key.index] = newValue }
    }

    /// By key name; unknown names read nil and are not stored.
    public subscript(name: String) -> String? {
        get { ListConfigKey(name).flatMap { values[$0.index] } }
        set { if let k = ListConfigKey(name) { values[k.index] = newValue } }
    }

    /// The stored values as `KEY → value`.
    public var dictionary: [String: String] {
        var d: [String: String] = [:]
        for (i, v) in values.enumerated() { if let v { d[ListConfigKey.names[i]] = v } }
        return d
    }
}
