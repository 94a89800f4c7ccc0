/// A VPS's network as its configuration asks for it: the routed
/// (venet-like) addresses of `IP_ADDRESS`, the bridged veths of `NETIF`,
/// and what the host must filter. Pure: the runtime turns it into netlink
/// requests, and compares two plans to change a running VPS.
///
/// Routed addresses live on one veth pair per VPS: `venet0` inside (so
/// in-VPS habits and scripts that look for venet0 keep working) and
/// `venet<CTID>` on the host (at most 15 bytes for every CTID), with a
/// host route per address, a default route inside, and an anti-spoofing
/// filter on the host end. Bridged interfaces are 4.x's veth pairs.
public struct NetworkPlan: Equatable, Sendable {
    public let ctid: ContainerID
    /// IP_ADDRESS, in order; empty: no venet pair.
    public var routedAddresses: [IPAddress.Masked]
    /// NETIF entries with their defaults filled in.
    public var bridged: [NetworkInterface]

    /// The routed pair's name inside the VPS.
    public static let venetName = "venet0"

    public init(ctid: ContainerID, routedAddresses: [IPAddress.Masked] = [], bridged: [NetworkInterface] = []) {
        self.ctid = ctid
        self.routedAddresses = routedAddresses
        self.bridged = bridged
    }

    /// From IP_ADDRESS and NETIF as `values` holds them (a VPS's effective
    /// config, or the runtime's record of what it set up). A saved value
    /// that does not parse is an error here: starting with part of the
    /// network silently missing would be worse.
    public init(ctid: ContainerID, ipAddress: String?, netif: String?) throws(VZError) {
        self.ctid = ctid
        var routed: [IPAddress.Masked] = []
        for t in ValueSyntax.tokens(ipAddress ?? "") {
            let a = try ValueSyntax.ipAddress(t)
            if a.address.isUnspecified || routed.contains(where: { $0.address == a.address }) { continue }
            routed.append(a)
        }
        routedAddresses = routed
        var list: [NetworkInterface]
        do {
            list = try NetworkInterface.parseList(netif ?? "")
        } catch {
            throw error.prefixed("NETIF: ")
        }
        for i in list.indices { try list[i].fillDefaults(ctid: ctid) }
        bridged = list
        try validate()
    }

    public init(_ config: EffectiveConfig) throws(VZError) {
        try self.init(ctid: config.ctid, ipAddress: config["IP_ADDRESS"], netif: config["NETIF"])
    }

    /// `venet<CTID>`: the host end of the routed pair.
    public var routedHostIfname: String { "venet\(ctid)" }

    /// The nftables table that holds this VPS's source filters.
    public var filterTable: String { "vzctl-\(ctid)" }

    public var isEmpty: Bool { routedAddresses.isEmpty && bridged.isEmpty }

    /// Every address the VPS is given, routed first.
    public var addresses: [IPAddress] {
        routedAddresses.map(\.address) + bridged.flatMap { $0.addresses.map(\.address) }
    }

    /// The address `/etc/hosts` pairs with the hostname (4.x: the first IP).
    public var firstAddress: IPAddress? { addresses.first }

    /// Host interface names this plan creates.
    public var hostInterfaces: [String] {
        (routedAddresses.isEmpty ? [] : [routedHostIfname]) + bridged.compactMap(\.hostIfname)
    }

    private func validate() throws(VZError) {
        var inside = Set<String>()
        if !routedAddresses.isEmpty { inside.insert(NetworkPlan.venetName) }
        for n in bridged where !inside.insert(n.ifname).inserted {
            throw VZError(.invalidValue, "Network interface \(n.ifname) is configured twice (NETIF and IP_ADDRESS's \(NetworkPlan.venetName))")
        }
        var host = Set(routedAddresses.isEmpty ? [] : [routedHostIfname])
        for n in bridged {
            guard let h = n.hostIfname, host.insert(h).inserted else {
                throw VZError(.invalidValue, "Host interface name \(n.hostIfname ?? "") is used twice")
            }
            if n.ifname == "lo" || h == "lo" {
                throw VZError(.invalidValue, "Network interface name lo is reserved")
            }
            // venet<N> is the host end of a routed pair, of this VPS or another.
            if h.hasPrefix("venet"), h.count > 5, h.dropFirst(5).allSatisfy(\.isNumber) {
                throw VZError(.invalidValue, "Host interface name \(h) is reserved for routed addresses (IP_ADDRESS)")
            }
        }
        var seen = Set<IPAddress>()
        for a in addresses where !seen.insert(a).inserted {
            throw VZError(.invalidValue, "Address \(a) is given to two network interfaces")
        }
    }

    // MARK: - Source filters

    /// What the host lets in from one host-side interface: packets from
    /// the VPS carrying a source it was not given are dropped there, where
    /// the VPS's root cannot reach.
    public struct SourceFilter: Equatable, Sendable {
        /// Host-side interface (the filter sits on its ingress).
        public var device: String
        /// Required Ethernet source, nil: any.
        public var mac: MACAddress?
        /// Only these IPv4/IPv6 sources (plus IPv6 link-local, and ARP
        /// probes from 0.0.0.0); nil: any IP source.
        public var addresses: [IPAddress]?

        public init(device: String, mac: MACAddress? = nil, addresses: [IPAddress]? = nil) {
            self.device = device
            self.mac = mac
            self.addresses = addresses
        }
    }

    /// The routed pair always; a bridged interface with `mac_filter=on`
    /// (MAC, and its `ip=` addresses when it has some).
    public var sourceFilters: [SourceFilter] {
        var out: [SourceFilter] = []
        if !routedAddresses.isEmpty {
            out.append(SourceFilter(device: routedHostIfname, addresses: routedAddresses.map(\.address)))
        }
        for n in bridged where n.macFilter == true {
            out.append(SourceFilter(device: n.hostIfname!, mac: n.mac,
                                    addresses: n.addresses.isEmpty ? nil : n.addresses.map(\.address)))
        }
        return out
    }

    // MARK: - Record

    /// The plan as the runtime records it (CTID.conf keys and formats).
    public var ipAddressValue: String { routedAddresses.map(\.description).joined(separator: " ") }
    public var netifValue: String { NetworkInterface.formatList(bridged) }
}
