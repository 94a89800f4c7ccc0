/// The config changes of one `vzctl set`/`create` call. The CLI adds every
/// parsed option first and applies them once, because several options
/// combine across the whole call (vzctl `vps_parse_opt` + `vps_save_config`):
/// - `--ipadd` appends (an argument may hold a blank-separated list; re-adding
///   an address moves it to the end with its new mask), `--ipdel A|all` removes;
/// - `--nameserver`/`--searchdomain` given N times build one new list that
///   replaces the old one;
/// - `--netif_del` (`all`), then `--netif_add`, then `--ifname X --mac ...`
///   edit NETIF in that order, whatever the order on the command line;
/// - with `--ifname X`, `--ipadd`/`--ipdel` edit that interface's `ip=`
///   list instead of IP_ADDRESS, and `--gw`/`--gw6` set its gateways (as
///   VZ7 did; beyond 4.x);
/// - `--capability`/`--features` merge into the saved settings name by name;
///   `--devices`/`--devnodes` replace the rule for the same device or append;
/// - everything else replaces its key, the last occurrence winning.
/// Values are checked when added, so a bad one fails before anything is applied.
public struct ParameterChanges: Sendable {
    /// Needed only to name and address new NETIF entries (`veth101.0`,
    /// generated MACs); `create auto` sets it once the ID is chosen.
    /// Applying NETIF changes without it is an error.
    public var ctid: ContainerID?
    /// Host CPU count. With it `--cpulimit N%` means N% of the whole host as
    /// in vzctl (N ≤ 100, times the CPU count); without it N% = N, percent
    /// of one CPU, the documented unit of CPULIMIT.
    public var hostCPUs: Int?

    /// Canonical names of the options added, in order (for --save checks).
    public private(set) var options: [String] = []
    /// Non-fatal findings to print as warnings (clamped values, ...).
    public private(set) var warnings: [String] = []

    public private(set) var replacements: [(key: String, value: String)] = []
    public private(set) var ipAdd: [IPAddress.Masked] = []
    public private(set) var ipDel: [IPAddress.Masked] = []
    public private(set) var ipDelAll = false
    public private(set) var nameservers: [String] = []
    public private(set) var searchDomains: [String] = []
    public private(set) var netifAdd: [NetworkInterface] = []
    public private(set) var netifDel: [String] = []
    public private(set) var netifDelAll = false
    public private(set) var netifEdit = NetifEdit()
    public private(set) var capability: OnOffSettings?
    public private(set) var features: OnOffSettings?
    public private(set) var devices: [DeviceRule] = []
    public private(set) var devnodes: [DeviceNode] = []
    public private(set) var netdevAdd: [String] = []
    public private(set) var netdevDel: [String] = []

    /// `--ifname X` with the fields to change on that NETIF entry.
    public struct NetifEdit: Sendable, Hashable {
        public var ifname: String?
        public var mac: MACAddress?
        public var hostIfname: String?
        public var hostMAC: MACAddress?
        public var bridge: String?
        public var macFilter: Bool?
        /// nil: unchanged; `.some(nil)`: removed (`--gw ''`).
        public var gateway: IPAddress??
        public var gateway6: IPAddress??
        public var hasFields: Bool {
            mac != nil || hostIfname != nil || hostMAC != nil || bridge != nil || macFilter != nil || gateway != nil || gateway6 != nil
        }
    }

    /// Whether `--ipadd`/`--ipdel` were given at all.
    public var hasIPChanges: Bool { ipDelAll || !ipAdd.isEmpty || !ipDel.isEmpty }

    /// The address options go to the `--ifname` interface, not IP_ADDRESS.
    public var ipChangesGoToNetif: Bool { netifEdit.ifname != nil }

    public init(ctid: ContainerID? = nil, hostCPUs: Int? = nil) {
        self.ctid = ctid
        self.hostCPUs = hostCPUs
    }

    public var isEmpty: Bool { options.isEmpty }

    /// The value an option set for a replaced key (last occurrence).
    public func value(forKey key: String) -> String? {
        replacements.last(where: { $0.key == key })?.value
    }

    /// Keys this change set writes, in the order `apply` writes them.
    public var changedKeys: [String] {
        var keys: [String] = []
        var seen = Set<String>()
        func add(_ k: String) { if seen.insert(k).inserted { keys.append(k) } }
        for r in replacements { add(r.key) }
        if hasIPChanges && !ipChangesGoToNetif { add("IP_ADDRESS") }
        if !nameservers.isEmpty { add("NAMESERVER") }
        if !searchDomains.isEmpty { add("SEARCHDOMAIN") }
        if netifDelAll || !netifAdd.isEmpty || !netifDel.isEmpty || netifEdit.ifname != nil || netifEdit.hasFields { add("NETIF") }
        if capability != nil { add("CAPABILITY") }
        if features != nil { add("FEATURES") }
        if !devices.isEmpty { add("DEVICES") }
        if !devnodes.isEmpty { add("DEVNODES") }
        if !netdevAdd.isEmpty || !netdevDel.isEmpty { add("NETDEV") }
        return keys
    }

    // MARK: - Collecting

    /// Adds one option by name (canonical, alias or short letter). Unknown
    /// options are 21, as vzctl `set` reports them.
    public mutating func add(option: String, value: String) throws(VZError) {
        guard let p = ParameterTable.lookup(option) else {
            throw VZError(.invalidValue, "Invalid option \(option.debugDescription)")
        }
        try add(p, value: value)
    }

    public mutating func add(_ p: ConfigParameter, value: String) throws(VZError) {
        switch p.action {
        case .replace(let key, let normalize):
            replace(key, try normalize(value))
        case .beancounter(let b):
            guard let (v, truncated) = ResourceValue.parseReportingTruncation(value, unit: b.unit) else {
                let hint = b.unit == .items ? " (a number or unlimited; no suffix)" : " (N[T|G|M|K|P|B][:N...] or unlimited)"
                throw VZError(.invalidValue, "Invalid value for --\(b.option): \(value.debugDescription)\(hint)")
            }
            if truncated { warnings.append("Too large value for --\(b.option) (\(value)), truncated to unlimited") }
            replace(b.key, v.description)
        case .vswap(let b):
            replace(b.key, try ResourceValue.vswap(value, option: p.name).description)
        case .disk(let key, let unit):
            guard let (v, truncated) = ResourceValue.parseReportingTruncation(value, unit: unit) else {
                throw VZError(.invalidValue, "Invalid value for --\(p.name): \(value.debugDescription) (soft[:hard])")
            }
            if truncated { warnings.append("Too large value for --\(p.name) (\(value)), truncated") }
            replace(key, v.pairDescription)
        case .cpulimit:
            replace("CPULIMIT", try cpulimit(value))
        case .ipAdd:
            for t in ValueSyntax.tokens(value) {
                let a = try ValueSyntax.ipAddress(t)
                if a.address.isUnspecified { continue }
                // vzctl `find_ip`: within one call the first spelling of an address wins.
                if !ipAdd.contains(where: { $0.address == a.address }) { ipAdd.append(a) }
            }
        case .ipDel:
            for t in ValueSyntax.tokens(value) {
                if t == "all" { ipDelAll = true; continue }
                let a = try ValueSyntax.ipAddress(t)
                if a.address.isUnspecified { continue }
                ipDel.append(a)
            }
        case .nameserver:
            for t in ValueSyntax.tokens(value) {
                let n = try ValueSyntax.nameserver(t)
                if !nameservers.contains(n) { nameservers.append(n) }
            }
        case .searchDomain:
            for t in ValueSyntax.tokens(value) {
                let d = try ValueSyntax.searchDomain(t)
                if !searchDomains.contains(d) { searchDomains.append(d) }
            }
        case .netifAdd:
            // Defaults (host_ifname, MACs) are filled in by `apply`, which knows the CTID.
            for n in try NetworkInterface.parseNetifAdd(value, ctid: nil) {
                guard !netifAdd.contains(where: { $0.ifname == n.ifname }) else {
                    throw VZError(.invalidValue, "Network interface \(n.ifname) is given twice to --netif_add")
                }
                netifAdd.append(n)
            }
        case .netifDel:
            if value == "all" { netifDelAll = true; break }
            let n = try ValueSyntax.interfaceName(value)
            if !netifDel.contains(n) { netifDel.append(n) }
        case .netifField(let f):
            try editNetif(f, value)
        case .capability:
            capability = (capability ?? OnOffSettings(kind: .capability)).merging(try OnOffSettings(value, kind: .capability))
        case .features:
            features = (features ?? OnOffSettings(kind: .feature)).merging(try OnOffSettings(value, kind: .feature))
        case .devices:
            let rules = try DeviceRule.parseList(value)
            guard !rules.isEmpty else { throw VZError(.invalidValue, "Invalid value for --devices: empty") }
            for r in rules { devices.removeAll { $0.device == r.device }; devices.append(r) }
        case .devnodes:
            let nodes = try DeviceNode.parseList(value)
            guard !nodes.isEmpty else { throw VZError(.invalidValue, "Invalid value for --devnodes: empty") }
            for n in nodes { devnodes.removeAll { $0.name == n.name }; devnodes.append(n) }
        case .netdevAdd, .netdevDel:
            let isAdd: Bool
            if case .netdevAdd = p.action { isAdd = true } else { isAdd = false }
            for t in ValueSyntax.tokens(value) {
                let n = try ValueSyntax.interfaceName(t, what: "network device")
                // vzctl `check_netdev`: these belong to the VPS's own plumbing.
                for prefix in ["venet", "tun", "tap", "lo"] where n.hasPrefix(prefix) {
                    throw VZError(.invalidValue, "Network device \(n) cannot be moved into a container")
                }
                if isAdd { if !netdevAdd.contains(n) { netdevAdd.append(n) } } else if !netdevDel.contains(n) { netdevDel.append(n) }
            }
        }
        options.append(p.name)
    }

    private mutating func replace(_ key: String, _ value: String) {
        replacements.removeAll { $0.key == key }
        replacements.append((key, value))
    }

    private func cpulimit(_ v: String) throws(VZError) -> String {
        var digits = Substring(v)
        let percent = v.hasSuffix("%")
        if percent { digits = digits.dropLast() }
        guard var n = ScaledNumber.parseDecimal(digits, max: UInt64(CPUMask.cpuBits) * 100) else {
            throw VZError(.invalidValue, "Invalid value for --cpulimit: \(v.debugDescription) (expected N or N%)")
        }
        if percent, let cpus = hostCPUs, cpus > 0 {
            guard n <= 100 else {
                throw VZError(.invalidValue, "Invalid value for --cpulimit: \(v) (a percentage of the host is at most 100%)")
            }
            n *= UInt64(cpus)
        }
        return String(n)
    }

    private mutating func editNetif(_ f: ConfigParameter.NetifField, _ v: String) throws(VZError) {
        switch f {
        case .ifname:
            let n = try ValueSyntax.interfaceName(v)
            if let old = netifEdit.ifname, old != n {
                throw VZError(.invalidValue, "Multiple use of --ifname option not allowed")
            }
            netifEdit.ifname = n
        case .mac: netifEdit.mac = try NetworkInterface.mac(v)
        case .hostIfname: netifEdit.hostIfname = try ValueSyntax.interfaceName(v, what: "host interface name")
        case .hostMAC: netifEdit.hostMAC = try NetworkInterface.mac(v)
        case .bridge: netifEdit.bridge = try ValueSyntax.interfaceName(v, what: "bridge name")
        case .macFilter: netifEdit.macFilter = try ValueSyntax.onOff(v, option: "mac_filter")
        case .gateway:
            // Either family; an IPv6 one is the same as --gw6.
            if v.isEmpty { netifEdit.gateway = .some(nil); break }
            let family: IPAddress.Family = v.utf8.contains(UInt8(ascii: ":")) ? .v6 : .v4
            let g = try NetworkInterface.gateway(v, family: family)
            if family == .v4 { netifEdit.gateway = .some(g) } else { netifEdit.gateway6 = .some(g) }
        case .gateway6:
            netifEdit.gateway6 = v.isEmpty ? .some(nil) : .some(try NetworkInterface.gateway(v, family: .v6))
        }
    }

    // MARK: - Applying

    /// Writes the changes into `file` (in place; new keys appended) and
    /// returns the keys whose value actually changed. Nothing is written
    /// when it throws.
    @discardableResult
    public func apply(to file: inout ConfigFile, ctid: ContainerID) throws(VZError) -> [String] {
        var c = self
        c.ctid = ctid
        return try c.apply(to: &file)
    }

    @discardableResult
    public func apply(to file: inout ConfigFile) throws(VZError) -> [String] {
        var values: [(String, String)] = replacements
        if hasIPChanges && !ipChangesGoToNetif {
            values.append(("IP_ADDRESS", mergedIPs(file.value("IP_ADDRESS"))))
        }
        if !nameservers.isEmpty { values.append(("NAMESERVER", nameservers.joined(separator: " "))) }
        if !searchDomains.isEmpty { values.append(("SEARCHDOMAIN", searchDomains.joined(separator: " "))) }
        if changedKeys.contains("NETIF") { values.append(("NETIF", try mergedNetif(file.value("NETIF")))) }
        if let capability {
            let old = OnOffSettings.parseLenient(file.value("CAPABILITY") ?? "", kind: .capability)
            values.append(("CAPABILITY", old.merging(capability).description))
        }
        if let features {
            let old = OnOffSettings.parseLenient(file.value("FEATURES") ?? "", kind: .feature)
            values.append(("FEATURES", old.merging(features).description))
        }
        if !devices.isEmpty {
            var list = ParameterChanges.lenientList(file.value("DEVICES")) { t throws(VZError) in try DeviceRule(t) }
            for r in devices { list.removeAll { $0.device == r.device }; list.append(r) }
            values.append(("DEVICES", list.map(\.description).joined(separator: " ")))
        }
        if !devnodes.isEmpty {
            var list = ParameterChanges.lenientList(file.value("DEVNODES")) { t throws(VZError) in try DeviceNode(t) }
            for n in devnodes { list.removeAll { $0.name == n.name }; list.append(n) }
            values.append(("DEVNODES", list.map(\.description).joined(separator: " ")))
        }
        if !netdevAdd.isEmpty || !netdevDel.isEmpty {
            var list = ValueSyntax.tokens(file.value("NETDEV") ?? "").filter { !netdevDel.contains($0) }
            for n in netdevAdd where !list.contains(n) { list.append(n) }
            values.append(("NETDEV", list.joined(separator: " ")))
        }

        // Check every value before touching the file, so a refusal leaves it whole.
        for (k, v) in values {
            try ConfigValue.checkKey(k)
            try ConfigValue.checkWritable(v, key: k)
        }
        var changed: [String] = []
        for (k, v) in values where file.value(k) != v || file.hasDuplicates(of: k) {
            try file.set(k, v)
            if !changed.contains(k) { changed.append(k) }
        }
        return changed
    }

    /// vzctl `merge_ip_list`: old addresses not re-added or deleted keep
    /// their place, added ones follow. Matching ignores the mask. A saved
    /// token that is no address is dropped, as vzctl drops it on save.
    func mergedIPs(_ old: String?) -> String {
        mergedIPs(ValueSyntax.tokens(old ?? "").compactMap { IPAddress.Masked($0) }).map(\.description).joined(separator: " ")
    }

    func mergedIPs(_ old: [IPAddress.Masked]) -> [IPAddress.Masked] {
        var out: [IPAddress.Masked] = []
        if !ipDelAll {
            for a in old {
                if ipAdd.contains(where: { $0.address == a.address }) { continue }
                if ipDel.contains(where: { $0.address == a.address }) { continue }
                out.append(a)
            }
        }
        return out + ipAdd
    }

    func mergedNetif(_ old: String?) throws(VZError) -> String {
        var list: [NetworkInterface] = []
        if !netifDelAll {
            do {
                list = try NetworkInterface.parseList(old ?? "")
            } catch {
                throw error.prefixed("The saved NETIF cannot be read (use --netif_del all to reset it): ")
            }
            list.removeAll { netifDel.contains($0.ifname) }
        }
        for n in netifAdd {
            guard !list.contains(where: { $0.ifname == n.ifname }) else {
                throw VZError(.invalidValue, "Network interface \(n.ifname) already exists; use --ifname \(n.ifname) to change it or --netif_del first")
            }
            list.append(n)
        }
        if netifEdit.hasFields || netifEdit.ifname != nil {
            guard let name = netifEdit.ifname else {
                throw VZError(.invalidValue, "--ifname is required with --mac, --host_ifname, --host_mac, --bridge, --mac_filter, --gw and --gw6")
            }
            guard let i = list.firstIndex(where: { $0.ifname == name }) else {
                throw VZError(.invalidValue, "Network interface \(name) is not configured (add it with --netif_add)")
            }
            if let v = netifEdit.mac { list[i].mac = v }
            if let v = netifEdit.hostIfname { list[i].hostIfname = v }
            if let v = netifEdit.hostMAC { list[i].hostMAC = v }
            if let v = netifEdit.bridge { list[i].bridge = v }
            if let v = netifEdit.macFilter { list[i].macFilter = v }
            if let v = netifEdit.gateway { list[i].gateway = v }
            if let v = netifEdit.gateway6 { list[i].gateway6 = v }
            if hasIPChanges { list[i].addresses = mergedIPs(list[i].addresses) }
        }
        var hostNames = Set<String>()
        guard let ctid else {
            throw VZError(.invalidValue, "Internal error: NETIF changes need the container ID (set ParameterChanges.ctid)")
        }
        for i in list.indices {
            try list[i].fillDefaults(ctid: ctid)
            guard hostNames.insert(list[i].hostIfname!).inserted else {
                throw VZError(.invalidValue, "Host interface name \(list[i].hostIfname!) is used by two network interfaces")
            }
        }
        return NetworkInterface.formatList(list)
    }

    /// Items of a saved list that still parse; the others are dropped, as
    /// vzctl drops a value it cannot parse when it saves.
    static func lenientList<T>(_ value: String?, _ parse: (String) throws(VZError) -> T) -> [T] {
        var out: [T] = []
        for t in ValueSyntax.tokens(value ?? "") {
            if let v = try? parse(t) { out.append(v) }
        }
        return out
    }
}
