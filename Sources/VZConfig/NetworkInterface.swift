/// One bridged veth of `NETIF` (compat §7):
/// `ifname=eth0,bridge=br0,mac=00:18:51:..,host_ifname=veth101.0,host_mac=..,mac_filter=on`,
/// entries separated by `;`.
///
/// Beyond 4.x, an entry may carry the addresses and gateways vzctl
/// configures inside the VPS (`--ifname eth0 --ipadd ... --gw ...`):
/// `ip=198.51.100.5/24 2001:db8::5/64` (blank-separated, both families),
/// `gw=198.51.100.1`, `gw6=2001:db8::1`. 4.x's `parse_netif_str` skips
/// keys it does not know, so such a NETIF stays readable by 4.x; `gw`/`gw6`
/// are the names VZ7 gave the same fields.
public struct NetworkInterface: Sendable, Hashable {
    /// Name inside the VPS.
    public var ifname: String
    public var bridge: String?
    /// MAC inside the VPS.
    public var mac: MACAddress?
    public var hostIfname: String?
    public var hostMAC: MACAddress?
    public var macFilter: Bool?
    /// Addresses vzctl puts on the interface inside the VPS (with prefix).
    public var addresses: [IPAddress.Masked]
    /// Default gateways inside the VPS through this interface.
    public var gateway: IPAddress?
    public var gateway6: IPAddress?

    public init(ifname: String, bridge: String? = nil, mac: MACAddress? = nil, hostIfname: String? = nil,
                hostMAC: MACAddress? = nil, macFilter: Bool? = nil, addresses: [IPAddress.Masked] = [],
                gateway: IPAddress? = nil, gateway6: IPAddress? = nil) {
        self.ifname = ifname
        self.bridge = bridge
        self.mac = mac
        self.hostIfname = hostIfname
        self.hostMAC = hostMAC
        self.macFilter = macFilter
        self.addresses = addresses
        self.gateway = gateway
        self.gateway6 = gateway6
    }

    // MARK: - Defaults

    /// `veth<CTID>.<N>`, N being the digits after the leading non-digits of
    /// `ifname` (vzctl `generate_veth_name`: `eth1` → `veth101.1`; no
    /// digits, or a name starting with one, gives 0).
    ///
    /// Interface names have at most 15 bytes, which `veth<CTID>.<N>` passes
    /// from 10-digit CTIDs on (4.x then truncated it, so CTs 1000000000 and
    /// 1000000001 collided). Such CTIDs get `vz<CTID in hex>.<N>` instead
    /// (`vz7ffffffc.0`): still stable and unique, and never equal to a
    /// decimal `veth` name.
    public static func defaultHostIfname(ifname: String, ctid: ContainerID) throws(VZError) -> String {
        let u = Array(ifname.utf8)
        var i = 0
        while i < u.count, !(u[i] >= 0x30 && u[i] <= 0x39) { i += 1 }
        var n: UInt64 = 0
        if i > 0 {
            var j = i
            while j < u.count, u[j] >= 0x30, u[j] <= 0x39, n < 1_000_000_000 {
                n = n * 10 + UInt64(u[j] - 0x30)
                j += 1
            }
        }
        var name = "veth\(ctid).\(n)"
        if name.utf8.count > 15 { name = "vz\(String(ctid.value, radix: 16)).\(n)" }
        guard name.utf8.count <= 15 else {
            throw VZError(.invalidValue, "Default host interface name \(name) for \(ifname) is longer than 15 characters; give host_ifname explicitly")
        }
        return name
    }

    /// Host-side default MAC: the VPS's MAC with the first byte 0xFE
    /// (locally administered), as LXC does. vzctl copied the VPS's MAC,
    /// but a bridge port owning the same address as the VPS behind it
    /// swallows the VPS's traffic, and 0xFE keeps the bridge's own id.
    public static func defaultHostMAC(for mac: MACAddress) -> MACAddress {
        var b = mac.bytes
        b[0] = 0xFE
        return MACAddress(bytes: b)!
    }

    /// Fills host_ifname, mac and host_mac where absent, as vzctl does for
    /// every entry it reads (`parse_netif_str`) and therefore writes back.
    public mutating func fillDefaults(ctid: ContainerID) throws(VZError) {
        if hostIfname == nil { hostIfname = try NetworkInterface.defaultHostIfname(ifname: ifname, ctid: ctid) }
        if mac == nil { mac = MACAddress.generated(seed: hostIfname!, ctid: ctid) }
        if hostMAC == nil { hostMAC = NetworkInterface.defaultHostMAC(for: mac!) }
    }

    // MARK: - NETIF

    /// One `k=v,...` entry. Unknown keys are ignored as vzctl ignores them;
    /// for repeated keys the first wins.
    public init(netifEntry: Substring) throws(VZError) {
        var ifname: String?, bridge: String?, mac: MACAddress?, hostIfname: String?, hostMAC: MACAddress?, filter: Bool?
        var addresses: [IPAddress.Masked]?, gateway: IPAddress?, gateway6: IPAddress?
        for field in netifEntry.split(separator: ",", omittingEmptySubsequences: true) {
            guard let eq = field.firstIndex(of: "=") else { continue }
            let k = field[..<eq]
            let v = String(field[field.index(after: eq)...])
            switch k {
            case "ifname": if ifname == nil { ifname = try ValueSyntax.interfaceName(v) }
            case "bridge": if bridge == nil { bridge = try ValueSyntax.interfaceName(v, what: "bridge name") }
            case "host_ifname": if hostIfname == nil { hostIfname = try ValueSyntax.interfaceName(v, what: "host interface name") }
            case "mac": if mac == nil { mac = try NetworkInterface.mac(v) }
            case "host_mac": if hostMAC == nil { hostMAC = try NetworkInterface.mac(v) }
            case "mac_filter": if filter == nil && !v.isEmpty { filter = try ValueSyntax.onOff(v, option: "mac_filter") }
            case "ip": if addresses == nil { addresses = try NetworkInterface.addressList(v) }
            case "gw": if gateway == nil && !v.isEmpty { gateway = try NetworkInterface.gateway(v, family: .v4) }
            case "gw6": if gateway6 == nil && !v.isEmpty { gateway6 = try NetworkInterface.gateway(v, family: .v6) }
            default: continue
            }
        }
        guard let ifname else {
            throw VZError(.invalidValue, "Invalid NETIF entry \(String(netifEntry).debugDescription): ifname is missing")
        }
        self.init(ifname: ifname, bridge: bridge, mac: mac, hostIfname: hostIfname, hostMAC: hostMAC, macFilter: filter,
                  addresses: addresses ?? [], gateway: gateway, gateway6: gateway6)
    }

    public var netifEntry: String {
        var s = "ifname=" + ifname
        if let bridge { s += ",bridge=" + bridge }
        if let mac { s += ",mac=" + mac.description }
        if let hostIfname { s += ",host_ifname=" + hostIfname }
        if let hostMAC { s += ",host_mac=" + hostMAC.description }
        if let macFilter { s += ",mac_filter=" + (macFilter ? "on" : "off") }
        if !addresses.isEmpty { s += ",ip=" + addresses.map(\.description).joined(separator: " ") }
        if let gateway { s += ",gw=" + gateway.description }
        if let gateway6 { s += ",gw6=" + gateway6.description }
        return s
    }

    /// A whole NETIF value; a repeated ifname is dropped as vzctl drops it.
    public static func parseList(_ value: String) throws(VZError) -> [NetworkInterface] {
        var out: [NetworkInterface] = []
        var seen = Set<String>()
        for entry in value.split(separator: ";", omittingEmptySubsequences: true) {
            if entry.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let n = try NetworkInterface(netifEntry: entry)
            if seen.insert(n.ifname).inserted { out.append(n) }
        }
        return out
    }

    public static func formatList(_ list: [NetworkInterface]) -> String {
        list.map(\.netifEntry).joined(separator: ";")
    }

    // MARK: - --netif_add

    /// `--netif_add ifname[,mac,host_ifname,host_mac,bridge]`: positional,
    /// empty fields take the defaults (filled in here when `ctid` is given).
    /// Several interfaces may be given separated by blanks, as vzctl allowed.
    public static func parseNetifAdd(_ arg: String, ctid: ContainerID?) throws(VZError) -> [NetworkInterface] {
        let items = ValueSyntax.tokens(arg)
        guard !items.isEmpty else { throw VZError(.invalidValue, "Invalid value for --netif_add: empty") }
        var out: [NetworkInterface] = []
        for item in items {
            let f = item.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count <= 5 else {
                throw VZError(.invalidValue, "Invalid value for --netif_add \(item.debugDescription): expected ifname[,mac,host_ifname,host_mac,bridge]")
            }
            func field(_ i: Int) -> String? { i < f.count && !f[i].isEmpty ? f[i] : nil }
            var n = NetworkInterface(ifname: try ValueSyntax.interfaceName(f[0]))
            if let m = field(1) { n.mac = try mac(m) }
            if let h = field(2) { n.hostIfname = try ValueSyntax.interfaceName(h, what: "host interface name") }
            if let m = field(3) { n.hostMAC = try mac(m) }
            if let b = field(4) { n.bridge = try ValueSyntax.interfaceName(b, what: "bridge name") }
            if let ctid { try n.fillDefaults(ctid: ctid) }
            out.append(n)
        }
        return out
    }

    /// `ip=`: blank-separated addresses with optional prefix; duplicates
    /// (by address) keep the first spelling, unspecified ones are refused.
    static func addressList(_ v: String) throws(VZError) -> [IPAddress.Masked] {
        var out: [IPAddress.Masked] = []
        for t in ValueSyntax.tokens(v) {
            let a = try ValueSyntax.ipAddress(t)
            guard !a.address.isUnspecified else { throw VZError(.badIP, "Invalid IP address: \(t.debugDescription)") }
            if !out.contains(where: { $0.address == a.address }) { out.append(a) }
        }
        return out
    }

    /// A gateway address of one family, no prefix.
    public static func gateway(_ v: String, family: IPAddress.Family) throws(VZError) -> IPAddress {
        guard let a = IPAddress(v), a.family == family, !a.isUnspecified else {
            let want = family == .v4 ? "an IPv4" : "an IPv6"
            throw VZError(.badIP, "Invalid gateway \(v.debugDescription): expected \(want) address")
        }
        return a
    }

    static func mac(_ text: String) throws(VZError) -> MACAddress {
        guard let m = MACAddress(text) else {
            throw VZError(.invalidValue, "Invalid MAC address \(text.debugDescription): expected XX:XX:XX:XX:XX:XX (unicast)")
        }
        return m
    }
}
