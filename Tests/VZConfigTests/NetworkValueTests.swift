import Testing
import VZConfig

@Suite struct HostnameAndDNSTests {
    @Test(arguments: [
        "ct101", "ct101.example.com", "a", "A-b.C-d", "1.2.3.com", "xn--bcher-kva.example",
        String(repeating: "a", count: 63) + ".com",
        ([String](repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".") as String).dropLast(2).description,
    ])
    func acceptedHostnames(_ name: String) throws {
        #expect(try ValueSyntax.hostname(name) == name)
    }

    @Test(arguments: [
        "", "-lead", "trail-", "a..b", ".lead", "trail.", "under_score", "sp ace", "a\nb", "a;id",
        "$(id)", "a/b", String(repeating: "a", count: 64), "a.-b", "a-.b", "ünï",
        [String](repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),
    ])
    func rejectedHostnamesExit70(_ name: String) {
        #expect(exitCode { _ = try ValueSyntax.hostname(name) } == .badHostname)
    }

    @Test(arguments: [("8.8.8.8", "8.8.8.8"), ("2001:4860:4860::8888", "2001:4860:4860::8888"),
                      ("2001:4860:4860:0:0:0:0:8888", "2001:4860:4860::8888"), ("inherit", "inherit")])
    func acceptedNameservers(_ input: String, _ stored: String) throws {
        #expect(try ValueSyntax.nameserver(input) == stored)
    }

    @Test(arguments: ["", "8.8.8", "8.8.8.8/32", "dns.google", "256.1.1.1", "inherits", "1.2.3.4;id"])
    func rejectedNameserversExit72(_ input: String) {
        #expect(exitCode { _ = try ValueSyntax.nameserver(input) } == .badNameserver)
    }

    @Test(arguments: ["example.com", "corp", "inherit", "a-b.example"])
    func acceptedSearchDomains(_ input: String) throws {
        #expect(try ValueSyntax.searchDomain(input) == input)
    }

    @Test(arguments: ["", "-bad.com", "bad..com", "a b", "x$y", "a_b.com"])
    func rejectedSearchDomainsExit73(_ input: String) {
        #expect(exitCode { _ = try ValueSyntax.searchDomain(input) } == .badSearchDomain)
    }

    @Test(arguments: ["web1", "my vps", "a-b+c_d.e", "", "UPPER"])
    func acceptedContainerNames(_ name: String) throws {
        #expect(try ValueSyntax.containerName(name) == name)
    }

    @Test(arguments: ["a/b", "a\"b", "$x", "a;b", "a\nb", "ü", "a*", "a:b", "a,b"])
    func rejectedContainerNamesExit21(_ name: String) {
        #expect(exitCode { _ = try ValueSyntax.containerName(name) } == .invalidValue)
    }
}

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1"), ("10.0.0.1/24", "10.0.0.1/24"), ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255/32", "255.255.255.255/32"), ("10.1.2.3/0", "10.1.2.3/0"),
        ("2001:DB8:0:0::1", "2001:db8::1"), ("2001:db8::1/64", "2001:db8::1/64"), ("::1", "::1"),
        ("::", "::"), ("::0", "::"), ("1::", "1::"), ("fe80::1:2", "fe80::1:2"),
        ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"), ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("::ffff:a00:1", "::ffff:10.0.0.1"), ("::10.0.0.1", "::10.0.0.1"), ("64:ff9b::10.0.0.1", "64:ff9b::a00:1"),
        ("0:0:0:0:0:0:0:0", "::"), ("1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8/128"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"), ("ABCD:EF01::", "abcd:ef01::"),
    ])
    func canonicalForm(_ input: String, _ stored: String) throws {
        #expect(try ValueSyntax.ipAddress(input).description == stored)
    }

    @Test(arguments: [
        "", "10.0.0", "10.0.0.1.2", "10.0.0.256", "010.0.0.1", "10.0.0.1/33", "10.0.0.1/-1",
        "10.0.0.1/", "10.0.0.1/24/1", "10.0.0.1/255.255.255.0", "::1/129", "1:::2", ":1::2", "1::2:",
        "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "::ffff:1.2.3", "1:2:3:4:5:6:7:1.2.3.4",
        "fe80::1%eth0", " 10.0.0.1", "10.0.0.1 ", "a.b.c.d", "1:2:3:4:5:6:7:8::",
    ])
    func rejectedExit71(_ input: String) {
        #expect(exitCode { _ = try ValueSyntax.ipAddress(input) } == .badIP)
    }

    @Test func unspecifiedAddressesAreRecognised() throws {
        #expect(try ValueSyntax.ipAddress("0.0.0.0").address.isUnspecified)
        #expect(try ValueSyntax.ipAddress("::0").address.isUnspecified)
        #expect(try !ValueSyntax.ipAddress("::1").address.isUnspecified)
    }
}

@Suite struct NetworkInterfaceTests {
    @Test(arguments: [
        ("00:18:51:aa:bb:cc", "00:18:51:AA:BB:CC"), ("02:00:00:00:00:01", "02:00:00:00:00:01"),
    ])
    func macsAreWrittenUppercase(_ input: String, _ stored: String) throws {
        #expect(MACAddress(input)?.description == stored)
    }

    @Test(arguments: ["", "00:18:51:aa:bb", "00-18-51-aa-bb-cc", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                      "00:18:51:aa:bb:cg", "0:18:51:aa:bb:cc:", "00:18:51:aa:bb:cc:dd"])
    func badMACsAreRefused(_ input: String) {
        #expect(MACAddress(input) == nil)
    }

    @Test func generatedMACIsStableAndPerContainer() {
        let a = MACAddress.generated(seed: "veth101.0", ctid: ct101)
        #expect(a == MACAddress.generated(seed: "veth101.0", ctid: ct101))
        #expect(a.description.hasPrefix("00:18:51:"))
        #expect(a != MACAddress.generated(seed: "veth101.0", ctid: ContainerID(value: 102)!))
        #expect(a != MACAddress.generated(seed: "veth101.1", ctid: ct101))
    }

    @Test(arguments: [("eth0", "veth101.0"), ("eth1", "veth101.1"), ("eth10", "veth101.10"),
                      ("net", "veth101.0"), ("0eth", "veth101.0"), ("br5x2", "veth101.5")])
    func defaultHostIfname(_ ifname: String, _ host: String) throws {
        #expect(try NetworkInterface.defaultHostIfname(ifname: ifname, ctid: ct101) == host)
    }

    /// 10-digit CTIDs get `vz<hex>.<N>` (NetworkPlanTests has the table);
    /// only a name that does not fit even so is an error.
    @Test func defaultHostIfnameForBigIDs() throws {
        #expect(try NetworkInterface.defaultHostIfname(ifname: "eth0", ctid: ContainerID(value: 2_147_483_644)!) == "vz7ffffffc.0")
        #expect(exitCode { _ = try NetworkInterface.defaultHostIfname(ifname: "eth123456", ctid: ContainerID(value: 2_147_483_644)!) } == .invalidValue)
    }

    @Test func netifListRoundTrips() throws {
        let text = "ifname=eth0,bridge=br0,mac=00:18:51:AA:BB:CC,host_ifname=veth101.0,host_mac=FE:18:51:AA:BB:CC,mac_filter=on;ifname=eth1,mac=00:18:51:11:22:33,host_ifname=veth101.1,host_mac=00:18:51:11:22:34"
        let list = try NetworkInterface.parseList(text)
        #expect(list.count == 2)
        #expect(list[0].bridge == "br0")
        #expect(list[0].macFilter == true)
        #expect(list[1].bridge == nil)
        #expect(NetworkInterface.formatList(list) == text)
    }

    @Test func netifReaderIgnoresUnknownFieldsAndRepeatedInterfaces() throws {
        let list = try NetworkInterface.parseList("ifname=eth0,future=x,,bridge=br0;;ifname=eth0,bridge=br1; ")
        #expect(list == [NetworkInterface(ifname: "eth0", bridge: "br0")])
    }

    @Test(arguments: ["bridge=br0", "ifname=,bridge=br0", "ifname=eth0,mac=zz", "ifname=a/b",
                      "ifname=eth0,mac_filter=maybe", "ifname=0123456789abcdef"])
    func badNetifEntriesAreRefused(_ text: String) {
        #expect(exitCode { _ = try NetworkInterface.parseList(text) } == .invalidValue)
    }

    @Test func netifAddPositionalDefaults() throws {
        let only = try #require(NetworkInterface.parseNetifAdd("eth0", ctid: ct101).first)
        #expect(only.ifname == "eth0")
        #expect(only.hostIfname == "veth101.0")
        #expect(only.mac == MACAddress.generated(seed: "veth101.0", ctid: ct101))
        #expect(only.hostMAC?.bytes[0] == 0xFE)
        #expect(only.hostMAC?.bytes[1...] == only.mac?.bytes[1...])
        #expect(only.bridge == nil)

        let full = try #require(NetworkInterface.parseNetifAdd("eth1,00:18:51:00:00:01,vh1,00:18:51:00:00:02,br0", ctid: ct101).first)
        #expect(full == NetworkInterface(ifname: "eth1", bridge: "br0", mac: MACAddress("00:18:51:00:00:01"),
                                         hostIfname: "vh1", hostMAC: MACAddress("00:18:51:00:00:02")))

        let sparse = try #require(NetworkInterface.parseNetifAdd("eth2,,,,vmbr0", ctid: ct101).first)
        #expect(sparse.hostIfname == "veth101.2")
        #expect(sparse.bridge == "vmbr0")
        #expect(sparse.mac != nil)

        let two = try NetworkInterface.parseNetifAdd("eth0 eth1", ctid: ct101)
        #expect(two.map(\.ifname) == ["eth0", "eth1"])
    }

    @Test(arguments: ["", ",00:18:51:00:00:01", "eth0,zz", "eth0,,,,br0,extra", "eth0,,a/b", "eth0,,,,br;0"])
    func badNetifAddIsRefused(_ arg: String) {
        #expect(exitCode { _ = try NetworkInterface.parseNetifAdd(arg, ctid: ct101) } == .invalidValue)
    }
}

@Suite struct OtherValueTests {
    @Test(arguments: [("0-2,7", "0-2,7"), ("7,0-2", "0-2,7"), ("0,1,2,3", "0-3"), ("all", "all"), ("auto", "auto"),
                      ("0-4095", "all"), ("5", "5"), ("1-3,2-6", "1-6")])
    func cpumaskNormalises(_ input: String, _ stored: String) throws {
        #expect(try CPUMask.parse(input, option: "cpumask", bits: CPUMask.cpuBits).description == stored)
    }

    @Test(arguments: ["", "3-1", "4096", "0-", "-1", "a", "0,,1", "1 2", "0-1-2"])
    func cpumaskRefuses(_ input: String) {
        #expect(exitCode { _ = try CPUMask.parse(input, option: "cpumask", bits: CPUMask.cpuBits) } == .invalidValue)
    }

    @Test func capabilitiesParseCaseInsensitivelyAndMerge() throws {
        let old = try OnOffSettings("CHOWN:on NET_ADMIN:off", kind: .capability)
        let new = try OnOffSettings("net_admin:on,sys_time:off", kind: .capability)
        #expect(old.merging(new).description == "CHOWN:on NET_ADMIN:on SYS_TIME:off")
        #expect(exitCode { _ = try OnOffSettings("bogus:on", kind: .capability) } == .invalidValue)
        #expect(exitCode { _ = try OnOffSettings("chown", kind: .capability) } == .invalidValue)
        #expect(exitCode { _ = try OnOffSettings("chown:yes", kind: .capability) } == .invalidValue)
    }

    @Test func featuresUseTheirTableOrder() throws {
        let f = try OnOffSettings("nfsd:on sysfs:off ppp:on", kind: .feature)
        #expect(f.description == "sysfs:off ppp:on nfsd:on")
        #expect(exitCode { _ = try OnOffSettings("NFS:on", kind: .feature) } == .invalidValue)
    }

    @Test(arguments: [("c:1:3:rw", "c:1:3:rw"), ("b:8:all:r", "b:8:all:r"), ("c:10:200:wr", "c:10:200:rw"),
                      ("c:136:all:none", "c:136:all:none"), ("c:1:5:q", "c:1:5:q")])
    func devicesParse(_ input: String, _ stored: String) throws {
        #expect(try DeviceRule(input).description == stored)
    }

    @Test(arguments: ["c:7:0:rw", "b:7:all:r", "x:1:3:rw", "c:1:3:", "c:1:3:rx", "c:1:3", "c:4096:1:r",
                      "c:1:1048576:r", "c:-1:3:r", "c:1:3:rw:x", "c:1:3:rwqrwq"])
    func devicesRefuse(_ input: String) {
        #expect(exitCode { _ = try DeviceRule(input) } == .invalidValue)
    }

    @Test(arguments: [("net/tun:rw", "net/tun:rw"), ("/dev/fuse:rw", "fuse:rw"), ("sda1:none", "sda1:none")])
    func devnodesParse(_ input: String, _ stored: String) throws {
        #expect(try DeviceNode(input).description == stored)
    }

    @Test(arguments: ["../etc/passwd:rw", "net/../tun:r", "tun", ":rw", "a b:r", "net//tun:r", "tun:x"])
    func devnodesRefuse(_ input: String) {
        #expect(exitCode { _ = try DeviceNode(input) } == .invalidValue)
    }

    @Test(arguments: [("/vz/root/$VEID", "/vz/root/$VEID"), ("/vz//private/$VEID/", "/vz/private/$VEID"), ("/x", "/x")])
    func containerPathsNormalise(_ input: String, _ stored: String) throws {
        #expect(try ValueSyntax.containerPath(input, key: "VE_ROOT") == stored)
    }

    @Test(arguments: ["", "/", "//", "relative/101", "/vz/../etc", "/vz/./x", "/vz/$HOME", "/a b", "/x\ny"])
    func containerPathsRefuse(_ input: String) {
        #expect(exitCode { _ = try ValueSyntax.containerPath(input, key: "VE_PRIVATE") } == .invalidValue)
    }
}
