/// Typed view of one container's effective config (`vz.conf` overridden by
/// `CTID.conf`), for create, start and vzlist. Reading is lenient as in
/// vzctl: a value that does not parse reads as unset (vzctl warned and
/// skipped it), so one bad key never hides a container from `vzlist`.
/// Every accessor is a dictionary lookup plus a parse of that one value;
/// nothing is precomputed, so listing 1,000 containers pays only for the
/// fields it prints.
public struct ContainerConfig: Sendable {
    public let effective: EffectiveConfig

    public init(_ effective: EffectiveConfig) { self.effective = effective }

    public init(ctid: ContainerID, global: ConfigFile, container: ConfigFile?) {
        self.init(EffectiveConfig(ctid: ctid, global: global, container: container))
    }

    public var ctid: ContainerID { effective.ctid }

    /// The raw value, empty counting as unset.
    public func string(_ key: String) -> String? {
        guard let v = effective[key], !v.isEmpty else { return nil }
        return v
    }

    func list(_ key: String) -> [String] { ValueSyntax.tokens(effective.raw(key) ?? "") }

    func yesNo(_ key: String) -> Bool? { ValueSyntax.readYesNo(effective.raw(key)) }

    func decimal(_ key: String, max: UInt64 = .max) -> UInt64? {
        string(key).flatMap { ScaledNumber.parseDecimal($0, max: max) }
    }

    // MARK: - Identity and paths

    public var hostname: String? { string("HOSTNAME") }
    public var name: String? { string("NAME") }
    public var description: String? { string("DESCRIPTION") }
    public var ostemplate: String? { string("OSTEMPLATE") }
    public var originSample: String? { string("ORIGIN_SAMPLE") }
    /// VE_ROOT / VE_PRIVATE with `$VEID` substituted.
    public var veRoot: String? { string("VE_ROOT") }
    public var vePrivate: String? { string("VE_PRIVATE") }
    /// As written (`/vz/root/$VEID`), for saving back.
    public var veRootTemplate: String? { effective.raw("VE_ROOT") }
    public var vePrivateTemplate: String? { effective.raw("VE_PRIVATE") }
    /// VE_LAYOUT as written (`simfs`, `ploop`, `ploop:expanded`).
    public var layout: String? { string("VE_LAYOUT") }
    public var mountOptions: String? { string("MOUNT_OPTS") }

    // MARK: - Boot

    /// nil = unset: start if it was running before the host rebooted.
    public var onboot: Bool? { yesNo("ONBOOT") }
    /// Higher starts earlier; nil = last.
    public var bootorder: UInt64? { decimal("BOOTORDER") }
    public var disabled: Bool { yesNo("DISABLED") ?? false }
    /// Seconds; nil when unset or 0 (use the global default).
    public var stopTimeout: Int? {
        decimal("STOP_TIMEOUT", max: UInt64(Int32.max)).flatMap { $0 == 0 ? nil : Int($0) }
    }

    // MARK: - Network

    /// IP_ADDRESS entries as saved (`10.0.0.1`, `2001:db8::1/64`).
    public var ipAddresses: [String] { list("IP_ADDRESS") }
    public var nameservers: [String] { list("NAMESERVER") }
    public var searchDomains: [String] { list("SEARCHDOMAIN") }
    /// NETIF with defaults filled in; an unreadable NETIF reads as none.
    public var networkInterfaces: [NetworkInterface] {
        guard let v = effective.raw("NETIF"), var l = try? NetworkInterface.parseList(v) else { return [] }
        for i in l.indices { try? l[i].fillDefaults(ctid: ctid) }
        return l
    }
    public var netdevs: [String] { list("NETDEV") }
    public var netfilter: String? { string("NETFILTER") }
    public var ipv6: Bool? { yesNo("IPV6") }

    // MARK: - Resources

    public func resource(_ b: Beancounter) -> ResourceValue? {
        var v = effective.raw(b.key)
        if v == nil { for k in b.legacyKeys { v = effective.raw(k); if v != nil { break } } }
        return v.flatMap { ResourceValue.parse($0, unit: b.unit) }
    }

    /// Beancounters present, in `Beancounter.allCases` order.
    public var resources: [(Beancounter, ResourceValue)] {
        Beancounter.allCases.compactMap { b in resource(b).map { (b, $0) } }
    }

    /// The vswap memory model: PHYSPAGES has a finite limit.
    public var isVSwap: Bool {
        guard let p = resource(.physpages) else { return false }
        return !p.isLimitUnlimited
    }

    /// RAM limit in bytes (PHYSPAGES limit), nil when unset or unlimited.
    public var ramBytes: UInt64? { finiteBytes(.physpages) }
    public var swapBytes: UInt64? { finiteBytes(.swappages) }

    func finiteBytes(_ b: Beancounter) -> UInt64? {
        guard let v = resource(b), !v.isLimitUnlimited else { return nil }
        return ResourceValue.bytes(v.limit, unit: .pages)
    }

    public var vmOvercommit: Double? { string("VM_OVERCOMMIT").flatMap { Double($0) }.flatMap { $0 >= 0 ? $0 : nil } }
    public var meminfo: String? { string("MEMINFO") }

    /// DISKSPACE in KB (`soft:hard`; samples may use suffixes like `2G:2.2G`).
    public var diskspace: ResourceValue? { string("DISKSPACE").flatMap { ResourceValue.parse($0, unit: .kilobytes) } }
    public var diskinodes: ResourceValue? { string("DISKINODES").flatMap { ResourceValue.parse($0, unit: .items) } }
    public var quotatime: UInt64? { decimal("QUOTATIME") }
    public var quotaugidlimit: UInt64? { decimal("QUOTAUGIDLIMIT") }
    public var diskQuota: Bool? { yesNo("DISK_QUOTA") }

    public var cpuunits: UInt64? { decimal("CPUUNITS").flatMap { ValueSyntax.cpuUnitsRange.contains($0) ? $0 : nil } }
    public var cpuweight: UInt64? { decimal("CPUUWEIGHT") }
    /// Percent of one CPU; 0 = no limit.
    public var cpulimit: UInt64? { decimal("CPULIMIT") }
    public var cpus: UInt64? { decimal("CPUS") }
    public var cpumask: CPUMask? { string("CPUMASK").flatMap { CPUMask($0, bits: CPUMask.cpuBits) } }
    public var nodemask: CPUMask? { string("NODEMASK").flatMap { CPUMask($0, bits: CPUMask.nodeBits) } }

    public var ioprio: UInt64? { decimal("IOPRIO", max: 7) }
    /// Bytes per second; 0 = unlimited.
    public var iolimit: UInt64? { decimal("IOLIMIT") }
    public var iopslimit: UInt64? { decimal("IOPSLIMIT") }

    // MARK: - Security

    public var capability: OnOffSettings { OnOffSettings.parseLenient(effective.raw("CAPABILITY") ?? "", kind: .capability) }
    public var features: OnOffSettings { OnOffSettings.parseLenient(effective.raw("FEATURES") ?? "", kind: .feature) }
    public var devices: [DeviceRule] { ParameterChanges.lenientList(effective.raw("DEVICES")) { t throws(VZError) in try DeviceRule(t) } }
    public var devnodes: [DeviceNode] { ParameterChanges.lenientList(effective.raw("DEVNODES")) { t throws(VZError) in try DeviceNode(t) } }
    public var localUID: UInt32? { decimal("LOCAL_UID", max: UInt64(UInt32.max)).map { UInt32($0) } }
    public var localGID: UInt32? { decimal("LOCAL_GID", max: UInt64(UInt32.max)).map { UInt32($0) } }
}
