/// One bridged veth of `NETIF` (compat §7):
/// `ifname=eth0,bridge=br0,mac=00:18:51:..,host_ifname=veth101.0,host_mac=..,mac_filter=on`,
/// entries separated by `;`.
public struct NetworkInterface: Sendable, Hashable {
    /// Name inside the VPS.
    public var ifname: String
    public var bridge: String?
    /// MAC inside the VPS.
    public var mac: MACAddress?
    public var hostIfname: String?
    public var hostMAC: MACAddress?
    public var macFilter: Bool?

    public init(ifname: String, bridge: String? = nil, mac: MACAddress? = nil, hostIfname: String? = nil,
                hostMAC: MACAddress? = nil, macFilter: Bool? = nil) {
        self.ifname = ifname
        self.bridge = bridge
        self.mac = mac
        self.hostIfname = hostIfname
        self.hostMAC = hostMAC
        self.macFilter = macFilter
    }

    // MARK: - Defaults

    /// `veth<CTID>.<N>`, N being the digits after the leading non-digits of
    /// `ifname` (vzctl `generate_veth_name`: `eth1` → `veth101.1`; no
    /// digits, or a name starting with one, gives 0).
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
        let name = "veth\(ctid).\(n)"
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
            default: continue
            }
        }
        guard let ifname else {
            throw VZError(.invalidValue, "Invalid NETIF entry \(String(netifEntry).debugDescription): ifname is missing")
        }
        self.init(ifname: ifname, bridge: bridge, mac: mac, hostIfname: hostIfname, hostMAC: hostMAC, macFilter: filter)
    }

    public var netifEntry: String {
        var s = "ifname=" + ifname
        if let bridge { s += ",bridge=" + bridge }
        if let mac { s += ",mac=" + mac.description }
        if let hostIfname { s += ",host_ifname=" + hostIfname }
        if let hostMAC { s += ",host_mac=" + hostMAC.description }
        if let macFilter { s += ",mac_filter=" + (macFilter ? "on" : "off") }
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

    static func mac(_ text: String) throws(VZError) -> MACAddress {
        guard let m = MACAddress(text) else {
            throw VZError(.invalidValue, "Invalid MAC address \(text.debugDescription): expected XX:XX:XX:XX:XX:XX (unicast)")
        }
        return m
    }
}
