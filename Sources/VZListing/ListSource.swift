import VZConfig

/// Where the listing's containers come from: the inventory on a real node,
/// a fixture in tests.
public protocol ListSource {
    /// Every configured container (`includeConfigured`, for -a/-S/CTID
    /// arguments) plus the running ones, restricted to `only` when given.
    /// Sorted by CTID. `details` says which costly facts the output uses.
    func records(includeConfigured: Bool, only: Set<ContainerID>?, details: ListDetails) throws(VZError) -> [ListRecord]
    /// A container name from the command line (`vzlist web1`).
    func containerID(named name: String) -> ContainerID?
    /// For `CPULIMIT="N%"`, which is a share of all host CPUs.
    var hostCPUCount: Int { get }
}

/// What the output will look at, so the inventory fetches no more: facts
/// that cost a filesystem lookup per container (4.x likewise checked mounts
/// only when STATUS was shown) and the config keys worth keeping. Without
/// them a record keeps the defaults: `.stopped` (or running), `.simfs`,
/// name registered.
public struct ListDetails: Sendable, Hashable {
    /// mounted / suspended.
    public var status: Bool
    /// ploop vs simfs from the private area.
    public var layout: Bool
    /// Whether NAME agrees with the names registry.
    public var names: Bool
    /// Config keys the listing reads; nil means every key.
    public var configKeys: Set<String>?
    /// The kernel's beancounter numbers a running container needs (the
    /// columns shown, sorted by, or behind `vswap`); empty: none are read.
    public var beancounters: BeancounterQuery

    public init(status: Bool, layout: Bool, names: Bool, configKeys: Set<String>?,
                beancounters: BeancounterQuery = BeancounterQuery()) {
        self.status = status
        self.layout = layout
        self.names = names
        self.configKeys = configKeys
        self.beancounters = beancounters
    }

    public static let all = ListDetails(status: true, layout: true, names: true, configKeys: nil,
                                        beancounters: .everything)

    /// What the query's columns, sort key and filters need.
    public init(_ query: ListQuery) {
        let kinds = query.readKinds
        status = false
        layout = false
        names = false
        var keys: Set<String> = ["VE_PRIVATE", "VE_ROOT"]
        var usage = BeancounterQuery()
        for k in kinds {
            switch k {
            case .status: status = true
            case .layout: layout = true
            case .name, .smartName: names = true
            case .beancounter(let bc, let col):
                // JSON's unsuffixed field is the whole object: all five.
                usage.add(bc.beancounter, query.json ? .all : col.columns)
            case .vswap: usage.add(.physpages, .limit)
            default: break
            }
            keys.formUnion(ListEntry.configKeys(for: k))
        }
        configKeys = keys
        beancounters = usage
    }
}
