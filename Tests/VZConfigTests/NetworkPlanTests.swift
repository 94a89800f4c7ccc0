import Testing
import VZConfig

private func changed(_ conf: String, _ opts: [(String, String)], ctid: ContainerID = ct101) throws(VZError) -> ConfigFile {
    var c = ParameterChanges(ctid: ctid)
    for (o, v) in opts { try c.add(option: o, value: v) }
    var f = ConfigFile(text: conf)
    try c.apply(to: &f)
    return f
}

private func masked(_ s: String) -> IPAddress.Masked { IPAddress.Masked(s)! }
private func ip(_ s: String) -> IPAddress { IPAddress(s)! }

@Suite struct NetifAddressTests {
    @Test func ifnameRoutesIPAndGatewayOptionsToTheInterface() throws {
        let base = try changed("IP_ADDRESS=\"198.51.100.1\"\n", [("netif_add", "eth0,,,,br0")]).render()
        let f = try changed(base, [("ipadd", "203.0.113.5/24 2001:db8::5/64"), ("ifname", "eth0"), ("gw", "203.0.113.1"), ("gw6", "2001:db8::1")])
        #expect(f["IP_ADDRESS"] == "198.51.100.1", "IP_ADDRESS is left alone with --ifname")
        let n = try #require(try NetworkInterface.parseList(f["NETIF"]!).first)
        #expect(n.addresses == [masked("203.0.113.5/24"), masked("2001:db8::5/64")])
        #expect(n.gateway == ip("203.0.113.1"))
        #expect(n.gateway6 == ip("2001:db8::1"))
        #expect(f["NETIF"]!.hasSuffix(",ip=203.0.113.5/24 2001:db8::5/64,gw=203.0.113.1,gw6=2001:db8::1"))

        let g = try changed(f.render(), [("ifname", "eth0"), ("ipdel", "203.0.113.5"), ("gw", "2001:db8::2")])
        let m = try #require(try NetworkInterface.parseList(g["NETIF"]!).first)
        #expect(m.addresses == [masked("2001:db8::5/64")])
        #expect(m.gateway == ip("203.0.113.1"))
        #expect(m.gateway6 == ip("2001:db8::2"), "--gw with an IPv6 address sets gw6")

        let h = try changed(g.render(), [("ifname", "eth0"), ("ipdel", "all"), ("gw", ""), ("gw6", "")])
        let k = try #require(try NetworkInterface.parseList(h["NETIF"]!).first)
        #expect(k.addresses.isEmpty && k.gateway == nil && k.gateway6 == nil)
        #expect(!h["NETIF"]!.contains("ip=") && !h["NETIF"]!.contains("gw"))
    }

    @Test func badGatewaysAndMissingIfnameAreRefused() throws {
        let base = try changed("", [("netif_add", "eth0")]).render()
        #expect(exitCode { _ = try changed(base, [("ifname", "eth0"), ("gw6", "203.0.113.1")]) } == .badIP)
        #expect(exitCode { _ = try changed(base, [("ifname", "eth0"), ("gw", "not-an-ip")]) } == .badIP)
        #expect(exitCode { _ = try changed(base, [("gw", "203.0.113.1")]) } == .invalidValue)
        #expect(exitCode { _ = try changed(base, [("ifname", "eth9"), ("ipadd", "203.0.113.9")]) } == .invalidValue)
        #expect(exitCode { _ = try NetworkInterface.parseList("ifname=eth0,ip=203.0.113.5 bogus") } == .badIP)
    }

    /// A NETIF entry with the new fields keeps the 4.x fields where 4.x
    /// looks for them; unknown keys are skipped by 4.x's parser.
    @Test func netifWithAddressesRoundTrips() throws {
        let text = "ifname=eth0,bridge=br0,mac=00:18:51:00:00:01,host_ifname=veth101.0,host_mac=FE:18:51:00:00:01,mac_filter=on,ip=203.0.113.5/24,gw=203.0.113.1"
        let list = try NetworkInterface.parseList(text)
        #expect(NetworkInterface.formatList(list) == text)
    }

    @Test(arguments: [
        (101, "eth0", "veth101.0"), (101, "eth12", "veth101.12"), (999_999_999, "eth0", "veth999999999.0"),
        (1_000_000_000, "eth0", "vz3b9aca00.0"), (2_147_483_644, "eth1", "vz7ffffffc.1"), (2_147_483_644, "eth123", "vz7ffffffc.123"),
    ])
    func hostNamesFitFifteenBytes(_ id: UInt32, _ ifname: String, _ expected: String) throws {
        let name = try NetworkInterface.defaultHostIfname(ifname: ifname, ctid: ContainerID(value: id)!)
        #expect(name == expected)
        #expect(name.utf8.count <= 15)
    }

    @Test func hostNameTooLongEvenInHexIsAnError() {
        #expect(exitCode { _ = try NetworkInterface.defaultHostIfname(ifname: "eth12345", ctid: ContainerID(value: 2_147_483_644)!) } == .invalidValue)
    }
}

@Suite struct NetworkPlanTests {
    @Test func plansRoutedAndBridgedWithDefaults() throws {
        let plan = try NetworkPlan(ctid: ct101, ipAddress: "198.51.100.1 2001:db8::1/64 0.0.0.0 198.51.100.1/24",
                                   netif: "ifname=eth0,bridge=br0,ip=203.0.113.5/24")
        #expect(plan.routedAddresses == [masked("198.51.100.1"), masked("2001:db8::1/64")], "unspecified and repeated addresses dropped")
        #expect(plan.routedHostIfname == "venet101")
        #expect(plan.bridged.first?.hostIfname == "veth101.0")
        #expect(plan.bridged.first?.mac != nil && plan.bridged.first?.hostMAC?.bytes.first == 0xFE)
        #expect(plan.hostInterfaces == ["venet101", "veth101.0"])
        #expect(plan.addresses == [ip("198.51.100.1"), ip("2001:db8::1"), ip("203.0.113.5")])
        #expect(plan.firstAddress == ip("198.51.100.1"))
        #expect(plan.filterTable == "vzctl-101")
        #expect(try NetworkPlan(ctid: ct101, ipAddress: plan.ipAddressValue, netif: plan.netifValue) == plan)
    }

    @Test func sourceFiltersCoverRoutedAndMacFilteredInterfaces() throws {
        let plan = try NetworkPlan(ctid: ct101, ipAddress: "198.51.100.1",
                                   netif: "ifname=eth0,mac_filter=on,mac=00:18:51:00:00:01;ifname=eth1,mac_filter=on,mac=00:18:51:00:00:02,ip=203.0.113.5/24;ifname=eth2")
        #expect(plan.sourceFilters == [
            .init(device: "venet101", mac: nil, addresses: [ip("198.51.100.1")]),
            .init(device: "veth101.0", mac: MACAddress("00:18:51:00:00:01"), addresses: nil),
            .init(device: "veth101.1", mac: MACAddress("00:18:51:00:00:02"), addresses: [ip("203.0.113.5")]),
        ])
        #expect(try NetworkPlan(ctid: ct101, ipAddress: "", netif: "ifname=eth0").sourceFilters.isEmpty)
        #expect(try NetworkPlan(ctid: ct101, ipAddress: nil, netif: nil).isEmpty)
    }

    @Test func conflictsAreRefused() {
        // venet0 is the routed pair's name inside.
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: "198.51.100.1", netif: "ifname=venet0") } == .invalidValue)
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: "", netif: "ifname=eth0,host_ifname=x0;ifname=eth1,host_ifname=x0") } == .invalidValue)
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: "", netif: "ifname=eth0,host_ifname=venet101") } == .invalidValue)
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: "198.51.100.1", netif: "ifname=eth0,ip=198.51.100.1/24") } == .invalidValue)
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: "198.51.100.300", netif: nil) } == .badIP)
        #expect(exitCode { _ = try NetworkPlan(ctid: ct101, ipAddress: nil, netif: "bridge=br0") } == .invalidValue)
    }
}

@Suite struct NeighbourDevicesTests {
    static let host: [NeighbourDevices.HostInterface] = [
        .init(name: "lo", loopback: true),
        .init(name: "eth0"),
        .init(name: "eth1", up: false),
        .init(name: "bond-slave", slave: true),
        .init(name: "tun0", noARP: true),
        .init(name: "br0"),
        .init(name: "venet101", hasAddress: false),
    ]

    @Test(arguments: [
        ("all", ["eth0", "br0"]),
        ("", ["eth0", "br0"]),
        ("none", []),
        ("list:eth1 br0 missing0", ["eth1", "br0"]),
        ("list:eth0,br0", ["eth0", "br0"]),
    ])
    func selection(_ value: String, _ expected: [String]) throws {
        let mode = try NeighbourDevices(value)
        #expect(mode.devices(for: ip("192.0.2.50"), interfaces: Self.host, route: nil) == expected)
    }

    @Test func unsetMeansAllAs4x() throws {
        #expect(try NeighbourDevices(nil) == .all)
    }

    /// detect: the link whose subnet holds the address; nothing when the
    /// host reaches it through a gateway (4.x `vz_get_neighbour_devs`).
    @Test func detect() throws {
        let mode = try NeighbourDevices("detect")
        #expect(mode.needsRoute)
        let a = ip("192.0.2.50")
        #expect(mode.devices(for: a, interfaces: Self.host, route: .init(device: "eth0")) == ["eth0"])
        #expect(mode.devices(for: a, interfaces: Self.host, route: .init(device: "eth0", gateway: ip("192.0.2.1"))) == [])
        #expect(mode.devices(for: a, interfaces: Self.host, route: .init(device: "eth0", gateway: a)) == ["eth0"])
        #expect(mode.devices(for: a, interfaces: Self.host, route: .init(device: "eth1")) == [], "a link that is down")
        #expect(mode.devices(for: a, interfaces: Self.host, route: nil) == [])
    }

    @Test(arguments: ["eth0", "detected", "list:", "list:bad/name", "ALL"])
    func badValuesAreErrors(_ value: String) {
        let code = exitCode { _ = try NeighbourDevices(value) }
        #expect(code == .invalidConfig || (value == "list:" && code == nil))
    }
}

@Suite struct GuestNetworkFilesTests {
    @Test func hostsGetsOneManagedLine() {
        let start = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
        let once = GuestNetworkFiles.hosts(start, hostname: "ct.example.com", address: ip("198.51.100.5"))
        #expect(once == start + GuestNetworkFiles.hostsComment + "\n198.51.100.5 ct.example.com ct\n")
        // Changing it replaces the managed line only.
        let twice = GuestNetworkFiles.hosts(once + "10.9.9.9 other\n", hostname: "web", address: nil)
        #expect(twice == start + "10.9.9.9 other\n" + GuestNetworkFiles.hostsComment + "\n127.0.0.1 web\n")
    }

    @Test func hostsLeavesAnAdminLineForTheName() {
        let start = "127.0.0.1 localhost\n198.51.100.9 ct.example.com ct\n"
        #expect(GuestNetworkFiles.hosts(start, hostname: "ct.example.com", address: ip("198.51.100.5")) == start)
        #expect(GuestNetworkFiles.hosts("", hostname: "localhost", address: nil) == "127.0.0.1 localhost.localdomain localhost\n")
    }

    @Test func resolvConfReplacesServersAndSearch() {
        let start = "# comment\nsearch old.example\noptions ndots:2\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"
        #expect(GuestNetworkFiles.resolvConf(start, nameservers: ["198.51.100.53"], searchDomains: ["example.org", "example.net"])
                == "# comment\nsearch example.org example.net\noptions ndots:2\nnameserver 198.51.100.53\n")
        #expect(GuestNetworkFiles.resolvConf(start, nameservers: nil, searchDomains: nil) == start)
        #expect(GuestNetworkFiles.resolvConf("", nameservers: ["2001:db8::53"], searchDomains: nil) == "nameserver 2001:db8::53\n")
    }

    @Test func inheritReadsTheHostsResolver() {
        let host = "domain corp.example\nsearch a.example b.example\nnameserver 192.0.2.53\nnameserver bogus\nnameserver 2001:DB8::53\n"
        let (servers, search) = GuestNetworkFiles.inherited(fromHost: host)
        #expect(servers == ["192.0.2.53", "2001:db8::53"])
        #expect(search == ["a.example", "b.example"])
        #expect(GuestNetworkFiles.expand(["198.51.100.1", "inherit", "192.0.2.53"], inherited: servers) == ["198.51.100.1", "192.0.2.53", "2001:db8::53"])
    }
}
