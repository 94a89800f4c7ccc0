import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `/var/lib/vzctl/net/CTID` (under VZ_SYSROOT): what vzctl set up on the
/// host for a running VPS, so that stop removes exactly that, and `set`
/// changes a running VPS from what it really has (4.x kept the same in
/// `/var/lib/vzctl/veip/CTID`). Written before a change as the union of
/// before and after (a crash mid-way still leaves a record of everything
/// that may exist), and as the result once the change is done.
///
///     IP_ADDRESS="198.51.100.5 2001:db8::5/64"    routed addresses in effect
///     NETIF="ifname=eth0,..."                     bridged interfaces in effect
///     LINKS="venet101 veth101.0"                  host interfaces to delete
///     PROXY="eth0,198.51.100.5"                   proxy neighbour entries
///     FILTER="vzctl-101"                          nftables table
struct NetworkRecord: Equatable {
    var ipAddress = ""
    var netif = ""
    var links: [String] = []
    var proxies: [Proxy] = []
    var filter: String?

    struct Proxy: Hashable {
        var device: String
        var address: IPAddress
        var text: String { "\(device),\(address)" }
    }

    static func directory(_ node: Node) -> String { "\(node.sysroot.stateDir)/net" }
    static func path(_ ctid: ContainerID, node: Node) -> String { "\(directory(node))/\(ctid)" }

    /// The plan in effect (nil when the record is unreadable as one).
    func plan(_ ctid: ContainerID) -> NetworkPlan? {
        try? NetworkPlan(ctid: ctid, ipAddress: ipAddress, netif: netif)
    }

    init() {}

    init(plan: NetworkPlan, proxies: [Proxy]) {
        ipAddress = plan.ipAddressValue
        netif = plan.netifValue
        links = plan.hostInterfaces
        self.proxies = proxies
        filter = plan.sourceFilters.isEmpty ? nil : plan.filterTable
    }

    /// Everything either record names, for the record kept while changing.
    func union(_ other: NetworkRecord) -> NetworkRecord {
        var u = self
        for l in other.links where !u.links.contains(l) { u.links.append(l) }
        for p in other.proxies where !u.proxies.contains(p) { u.proxies.append(p) }
        u.filter = filter ?? other.filter
        return u
    }

    static func load(_ ctid: ContainerID, node: Node) -> NetworkRecord? {
        guard let bytes = (try? Files.read(path(ctid, node: node))) ?? nil else { return nil }
        let f = ConfigFile(bytes: bytes)
        var r = NetworkRecord()
        r.ipAddress = f["IP_ADDRESS"] ?? ""
        r.netif = f["NETIF"] ?? ""
        r.links = ValueSyntax.tokens(f["LINKS"] ?? "").filter { ValueSyntax.isValidInterfaceName($0) }
        r.proxies = ValueSyntax.tokens(f["PROXY"] ?? "").compactMap { t in
            let parts = t.split(separator: ",", maxSplits: 1).map(String.init)
            guard parts.count == 2, ValueSyntax.isValidInterfaceName(parts[0]), let a = IPAddress(parts[1]) else { return nil }
            return Proxy(device: parts[0], address: a)
        }
        r.filter = f["FILTER"].flatMap { $0.isEmpty ? nil : $0 }
        return r
    }

    func save(_ ctid: ContainerID, node: Node) throws(VZError) {
        var f = ConfigFile()
        try f.set("IP_ADDRESS", ipAddress)
        try f.set("NETIF", netif)
        try f.set("LINKS", links.joined(separator: " "))
        try f.set("PROXY", proxies.map(\.text).joined(separator: " "))
        try f.set("FILTER", filter ?? "")
        try Files.makeDirectories(NetworkRecord.directory(node), mode: 0o700)
        // No fsync: the record describes kernel objects, which a reboot
        // takes away with any need for it; a killed vzctl loses nothing.
        try AtomicFile.write(NetworkRecord.path(ctid, node: node), f.render(), mode: 0o600, durable: false)
    }

    static func remove(_ ctid: ContainerID, node: Node) {
        _ = unlink(path(ctid, node: node))
    }

    /// Addresses held by running VPSes of this node other than `ctid`
    /// (their records, which include unsaved live changes).
    static func addressesInUse(except ctid: ContainerID, node: Node) -> [IPAddress: ContainerID] {
        var out: [IPAddress: ContainerID] = [:]
        for name in Files.list(directory(node)) {
            // Running, or being started right now (its CT lock held): a
            // record left by a crash of a stopped VPS claims nothing.
            guard let other = ContainerID(name), other != ctid,
                  RunState.runningInit(other, node: node) != nil || ContainerLock.isHeld(lockDir: (try? node.lockDir()) ?? "", name: other.description),
                  let plan = load(other, node: node)?.plan(other) else { continue }
            for a in plan.addresses { out[a] = other }
        }
        return out
    }
}
