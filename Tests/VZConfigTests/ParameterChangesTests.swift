import Testing
import VZCommandLine
import VZConfig

/// Collects `(option, value)` pairs and applies them to `conf`.
private func applied(_ conf: String, _ opts: [(String, String)], hostCPUs: Int? = nil) throws(VZError) -> ConfigFile {
    var c = ParameterChanges(ctid: ct101, hostCPUs: hostCPUs)
    for (o, v) in opts { try c.add(option: o, value: v) }
    var f = ConfigFile(text: conf)
    try c.apply(to: &f)
    return f
}

@Suite struct IPAndDNSListTests {
    @Test func ipaddAppendsAndAcceptsListsInOneArgument() throws {
        let f = try applied("IP_ADDRESS=\"10.0.0.1\"\n", [("ipadd", "10.0.0.2  10.0.0.3"), ("ip", "2001:DB8::1/64")])
        #expect(f["IP_ADDRESS"] == "10.0.0.1 10.0.0.2 10.0.0.3 2001:db8::1/64")
    }

    @Test func readdingAnAddressReplacesItsMask() throws {
        let f = try applied("IP_ADDRESS=\"10.0.0.1/24 10.0.0.2\"\n", [("ipadd", "10.0.0.1/25")])
        #expect(f["IP_ADDRESS"] == "10.0.0.2 10.0.0.1/25")
    }

    @Test func firstSpellingWithinOneCallWinsAndUnspecifiedIsSkipped() throws {
        let f = try applied("", [("ipadd", "10.0.0.5/24 0.0.0.0 ::"), ("ipadd", "10.0.0.5/16"), ("ipadd", "10.0.0.6")])
        #expect(f["IP_ADDRESS"] == "10.0.0.5/24 10.0.0.6")
    }

    @Test func ipdelRemovesRegardlessOfMaskAndAllClears() throws {
        let base = "IP_ADDRESS=\"10.0.0.1/24 10.0.0.2 2001:db8::1\"\n"
        #expect(try applied(base, [("ipdel", "10.0.0.1")])["IP_ADDRESS"] == "10.0.0.2 2001:db8::1")
        #expect(try applied(base, [("ipdel", "2001:DB8:0::1 10.0.0.2")])["IP_ADDRESS"] == "10.0.0.1/24")
        #expect(try applied(base, [("ipdel", "10.9.9.9")])["IP_ADDRESS"] == "10.0.0.1/24 10.0.0.2 2001:db8::1")
        #expect(try applied(base, [("ipdel", "all")])["IP_ADDRESS"] == "")
        #expect(try applied(base, [("ipdel", "all"), ("ipadd", "10.1.1.1")])["IP_ADDRESS"] == "10.1.1.1")
        // Adding and deleting the same address in one call leaves it added, as in vzctl.
        #expect(try applied(base, [("ipdel", "10.0.0.2"), ("ipadd", "10.0.0.2")])["IP_ADDRESS"] == "10.0.0.1/24 2001:db8::1 10.0.0.2")
    }

    @Test func badAddressesExit71AndNothingIsWritten() {
        #expect(exitCode { _ = try applied("", [("ipadd", "10.0.0.1 10.0.0.300")]) } == .badIP)
        #expect(exitCode { _ = try applied("", [("ipdel", "nope")]) } == .badIP)
    }

    @Test func nameserversRepeatedBuildOneNewList() throws {
        let base = "NAMESERVER=\"1.1.1.1\"\nSEARCHDOMAIN=\"old.example\"\n"
        let f = try applied(base, [("nameserver", "8.8.8.8"), ("nameserver", "8.8.4.4 2001:4860:4860::8888"), ("nameserver", "8.8.8.8"),
                                   ("searchdomain", "a.example"), ("searchdomain", "b.example")])
        #expect(f["NAMESERVER"] == "8.8.8.8 8.8.4.4 2001:4860:4860::8888")
        #expect(f["SEARCHDOMAIN"] == "a.example b.example")
        #expect(try applied(base, [("nameserver", "inherit")])["NAMESERVER"] == "inherit")
        #expect(try applied(base, [("hostname", "x.example")])["NAMESERVER"] == "1.1.1.1")
    }

    @Test func badDNSValuesUseTheirOwnCodes() {
        #expect(exitCode { _ = try applied("", [("nameserver", "ns1.example")]) } == .badNameserver)
        #expect(exitCode { _ = try applied("", [("searchdomain", "bad_domain")]) } == .badSearchDomain)
        #expect(exitCode { _ = try applied("", [("hostname", "-bad")]) } == .badHostname)
        #expect(exitCode { _ = try applied("", [("name", "bad/name")]) } == .invalidValue)
    }
}

@Suite struct NetifChangeTests {
    @Test func netifAddAppendsWithDefaults() throws {
        let f = try applied("", [("netif_add", "eth0"), ("netif_add", "eth1,,,,br1")])
        let list = try NetworkInterface.parseList(try #require(f["NETIF"]))
        #expect(list.map(\.ifname) == ["eth0", "eth1"])
        #expect(list.map(\.hostIfname) == ["veth101.0", "veth101.1"])
        #expect(list[1].bridge == "br1")
        #expect(list.allSatisfy { $0.mac != nil && $0.hostMAC != nil })
        // Deterministic: the same call gives the same bytes.
        #expect(try applied("", [("netif_add", "eth0"), ("netif_add", "eth1,,,,br1")])["NETIF"] == f["NETIF"])
    }

    @Test func netifDelAndAll() throws {
        let two = try applied("", [("netif_add", "eth0 eth1")])
        let text = two.render()
        let one = try applied(text, [("netif_del", "eth0")])
        #expect(try NetworkInterface.parseList(one["NETIF"]!).map(\.ifname) == ["eth1"])
        #expect(try applied(text, [("netif_del", "all")])["NETIF"] == "")
        #expect(try applied(text, [("netif_del", "eth9")])["NETIF"] == two["NETIF"])
        // Delete then re-add in one call gives a fresh entry.
        let readded = try applied(text, [("netif_add", "eth0,,,,br9"), ("netif_del", "eth0")])
        #expect(try NetworkInterface.parseList(readded["NETIF"]!).map(\.ifname) == ["eth1", "eth0"])
    }

    @Test func addingAnExistingInterfaceIsRefused() throws {
        let text = try applied("", [("netif_add", "eth0")]).render()
        #expect(exitCode { _ = try applied(text, [("netif_add", "eth0")]) } == .invalidValue)
        #expect(exitCode { _ = try applied("", [("netif_add", "eth0"), ("netif_add", "eth0,,,,br0")]) } == .invalidValue)
    }

    @Test func ifnameModifiesTheNamedEntry() throws {
        let text = try applied("", [("netif_add", "eth0 eth1")]).render()
        let f = try applied(text, [("bridge", "vmbr0"), ("ifname", "eth1"), ("mac", "02:00:00:00:00:01"),
                                   ("host_ifname", "vz101e1"), ("host_mac", "02:00:00:00:00:02"), ("mac_filter", "off")])
        let list = try NetworkInterface.parseList(f["NETIF"]!)
        #expect(list[1] == NetworkInterface(ifname: "eth1", bridge: "vmbr0", mac: MACAddress("02:00:00:00:00:01"),
                                            hostIfname: "vz101e1", hostMAC: MACAddress("02:00:00:00:00:02"), macFilter: false))
        #expect(list[0] == (try NetworkInterface.parseList(ConfigFile(text: text)["NETIF"]!))[0])
    }

    @Test func ifnameErrors() throws {
        let text = try applied("", [("netif_add", "eth0")]).render()
        #expect(exitCode { _ = try applied(text, [("ifname", "eth5"), ("bridge", "br0")]) } == .invalidValue)
        #expect(exitCode { _ = try applied(text, [("bridge", "br0")]) } == .invalidValue)
        #expect(exitCode { _ = try applied(text, [("ifname", "eth0"), ("ifname", "eth1")]) } == .invalidValue)
        #expect(exitCode { _ = try applied(text, [("ifname", "eth0"), ("mac_filter", "yes")]) } == .invalidValue)
        #expect(exitCode { _ = try applied(text, [("ifname", "eth0"), ("mac", "ff:ff:ff:ff:ff:ff")]) } == .invalidValue)
        #expect(exitCode { _ = try applied(text, [("ifname", "eth0"), ("host_ifname", "veth101.0"), ("netif_add", "eth1,,veth101.0")]) } == .invalidValue)
    }

    @Test func netifDefaultsNeedTheContainerID() throws {
        var c = ParameterChanges()
        try c.add(option: "netif_add", value: "eth0")
        #expect(c.netifAdd.first?.hostIfname == nil)
        var f = ConfigFile()
        #expect(throws: VZError.self) { try c.apply(to: &f) }
        #expect(f == ConfigFile())
        try c.apply(to: &f, ctid: ContainerID(value: 202)!)
        #expect(try NetworkInterface.parseList(f["NETIF"]!).first?.hostIfname == "veth202.0")
        // Changes without NETIF never need it (create auto builds them first).
        var d = ParameterChanges()
        try d.add(option: "hostname", value: "a.example")
        try d.apply(to: &f)
        #expect(f["HOSTNAME"] == "a.example")
    }

    @Test func unreadableSavedNetifIsNotSilentlyDropped() throws {
        let bad = "NETIF=\"bridge=br0\"\n"
        #expect(exitCode { _ = try applied(bad, [("netif_add", "eth0")]) } == .invalidValue)
        #expect(try applied(bad, [("netif_del", "all"), ("netif_add", "eth0")])["NETIF"]?.hasPrefix("ifname=eth0,") == true)
    }
}

@Suite struct ReplaceAndMergeTests {
    @Test func lastOccurrenceOfASimpleOptionWins() throws {
        let f = try applied("HOSTNAME=\"old\"\n", [("hostname", "a.example"), ("hostname", "b.example")])
        #expect(f.render() == "HOSTNAME=\"b.example\"\n")
    }

    @Test func beancountersByLongAndShortOption() throws {
        let f = try applied("", [("privvmpages", "5M:6M"), ("t", "16:20"), ("-p", "240"), ("--kmemsize", "unlimited"),
                                 ("numfile", "2147483647"), ("swappages", "0:1G")])
        #expect(f["PRIVVMPAGES"] == "1280:1536")
        #expect(f["NUMPTY"] == "16:20")
        #expect(f["NUMPROC"] == "240")
        #expect(f["KMEMSIZE"] == "unlimited")
        #expect(f["NUMFILE"] == "2147483647")
        #expect(f["SWAPPAGES"] == "0:262144")
        #expect(exitCode { _ = try applied("", [("numproc", "1K")]) } == .invalidValue)
    }

    @Test func ramAndSwapSetVswapKeys() throws {
        let f = try applied("PHYSPAGES=\"0:256M\"\n", [("ram", "1G"), ("swap", "512M")])
        #expect(f.render() == "PHYSPAGES=\"0:262144\"\nSWAPPAGES=\"0:131072\"\n")
    }

    @Test func truncationIsAWarningNotAnError() throws {
        var c = ParameterChanges(ctid: ct101)
        try c.add(option: "kmemsize", value: "99999999999T")
        #expect(c.value(forKey: "KMEMSIZE") == "unlimited")
        #expect(c.warnings.count == 1)
    }

    @Test func diskAndCPU() throws {
        let f = try applied("", [("diskspace", "2G:2.2G"), ("diskinodes", "131072:144179"), ("cpuunits", "1000"),
                                 ("cpulimit", "150"), ("cpus", "2"), ("cpumask", "3,0-1"), ("nodemask", "0"),
                                 ("ioprio", "4"), ("iolimit", "10"), ("iopslimit", "500"), ("quotatime", "0")])
        #expect(f["DISKSPACE"] == "2097152:2306867")
        #expect(f["DISKINODES"] == "131072:144179")
        #expect(f["CPUUNITS"] == "1000")
        #expect(f["CPULIMIT"] == "150")
        #expect(f["CPUMASK"] == "0-1,3")
        #expect(f["IOLIMIT"] == "10485760")
        #expect(try applied("", [("iolimit", "512K")])["IOLIMIT"] == "524288")
        #expect(try applied("", [("diskspace", "1G")])["DISKSPACE"] == "1048576:1048576")
    }

    @Test func cpulimitPercent() throws {
        #expect(try applied("", [("cpulimit", "50%")])["CPULIMIT"] == "50")
        #expect(try applied("", [("cpulimit", "50%")], hostCPUs: 4)["CPULIMIT"] == "200")
        #expect(exitCode { _ = try applied("", [("cpulimit", "150%")], hostCPUs: 4) } == .invalidValue)
        #expect(exitCode { _ = try applied("", [("cpulimit", "x")]) } == .invalidValue)
    }

    @Test(arguments: [("cpuunits", "7"), ("cpuunits", "500001"), ("ioprio", "8"), ("onboot", "YES"), ("onboot", "1"),
                      ("iolimit", "3G"), ("iolimit", "10X"), ("bootorder", "-1"), ("netfilter", "on"),
                      ("meminfo", "pages:0"), ("meminfo", "bogus:1"), ("vm_overcommit", "-1"), ("layout", "zfs"),
                      ("stop-timeout", "abc"), ("ostemplate", "../x"), ("ostemplate", "a b"), ("root", "vz/root"),
                      ("private", "/"), ("description", "a\"b"), ("description", "x\ny"), ("netdev_add", "venet0"),
                      ("netdev_add", "lo"), ("devices", ""), ("capability", "fly:on"), ("features", "nfs:maybe"),
                      ("mount_opts", "a b"), ("local_uid", "4294967295"), ("nosuchoption", "1")])
    func refusedValuesExit21(_ option: String, _ value: String) {
        #expect(exitCode { _ = try applied("", [(option, value)]) } == .invalidValue)
    }

    @Test func capabilityAndFeaturesMergeIntoSavedSettings() throws {
        let base = "CAPABILITY=\"CHOWN:off NET_ADMIN:on\"\nFEATURES=\"nfs:on\"\n"
        let f = try applied(base, [("capability", "chown:on"), ("capability", "sys_time:on"), ("features", "sysfs:off")])
        #expect(f["CAPABILITY"] == "CHOWN:on NET_ADMIN:on SYS_TIME:on")
        #expect(f["FEATURES"] == "sysfs:off nfs:on")
    }

    @Test func devicesReplaceTheSameDeviceOrAppend() throws {
        let base = "DEVICES=\"c:10:200:rw c:1:3:r\"\nDEVNODES=\"net/tun:rw\"\n"
        let f = try applied(base, [("devices", "c:1:3:rw b:8:all:r"), ("devnodes", "fuse:rw net/tun:none")])
        #expect(f["DEVICES"] == "c:10:200:rw c:1:3:rw b:8:all:r")
        #expect(f["DEVNODES"] == "fuse:rw net/tun:none")
    }

    @Test func netdevAddAndDel() throws {
        let f = try applied("NETDEV=\"eth5 eth6\"\n", [("netdev_add", "eth7"), ("netdev_del", "eth5")])
        #expect(f["NETDEV"] == "eth6 eth7")
    }

    @Test func pathsAndNamesAreNormalised() throws {
        let f = try applied("", [("root", "/vz/root/$VEID/"), ("private", "/vz//private/$VEID"), ("name", "web 1"),
                                 ("ostemplate", "debian-12-x86_64-minimal"), ("onboot", "yes"), ("bootorder", "010"),
                                 ("description", "Customer #42's box; don't touch")])
        #expect(f["VE_ROOT"] == "/vz/root/$VEID")
        #expect(f["VE_PRIVATE"] == "/vz/private/$VEID")
        #expect(f["NAME"] == "web 1")
        #expect(f["BOOTORDER"] == "10")
        #expect(f["DESCRIPTION"] == "Customer #42's box; don't touch")
    }

    @Test func applyReportsOnlyRealChangesAndKeepsOrder() throws {
        var c = ParameterChanges(ctid: ct101)
        try c.add(option: "hostname", value: "same.example")
        try c.add(option: "cpuunits", value: "2000")
        try c.add(option: "ipadd", value: "10.0.0.9")
        #expect(c.changedKeys == ["HOSTNAME", "CPUUNITS", "IP_ADDRESS"])
        #expect(c.options == ["hostname", "cpuunits", "ipadd"])
        var f = ConfigFile(text: "# keep\nHOSTNAME=\"same.example\"\nCPUUNITS=\"1000\"\nX=1\n")
        let changed = try c.apply(to: &f)
        #expect(changed == ["CPUUNITS", "IP_ADDRESS"])
        #expect(f.render() == "# keep\nHOSTNAME=\"same.example\"\nCPUUNITS=\"2000\"\nX=1\nIP_ADDRESS=\"10.0.0.9\"\n")
    }

    @Test func failedApplyLeavesTheFileAlone() throws {
        var c = ParameterChanges(ctid: ct101)
        try c.add(option: "hostname", value: "new.example")
        try c.add(option: "ifname", value: "eth0")
        try c.add(option: "bridge", value: "br0")
        var f = ConfigFile(text: "HOSTNAME=\"old.example\"\n")
        let before = f
        #expect(throws: VZError.self) { try c.apply(to: &f) }
        #expect(f == before)
    }
}

@Suite struct ParameterTableTests {
    /// Every option the brief and compat §1-§2.4 require.
    static let required: [String] = [
        "hostname", "description", "name", "onboot", "bootorder", "disabled", "nameserver", "searchdomain",
        "ipadd", "ip", "ipdel", "netif_add", "netif_del", "ifname", "mac", "host_ifname", "host_mac", "bridge",
        "mac_filter", "gw", "gw6", "kmemsize", "lockedpages", "privvmpages", "shmpages", "numproc", "physpages", "vmguarpages",
        "oomguarpages", "numtcpsock", "numflock", "numpty", "numsiginfo", "tcpsndbuf", "tcprcvbuf", "othersockbuf",
        "dgramrcvbuf", "numothersock", "dcachesize", "numfile", "numiptent", "swappages", "avnumproc",
        "p", "t", "k", "l", "f", "i", "b", "n", "x", "e",
        "ram", "swap", "cpuunits", "cpuweight", "cpulimit", "cpus", "cpumask", "nodemask", "ioprio", "iolimit",
        "iopslimit", "diskspace", "diskinodes", "quotatime", "capability", "devices", "devnodes", "features",
        "netfilter", "meminfo", "stop-timeout", "ostemplate", "root", "private", "vm_overcommit",
    ]

    @Test(arguments: required)
    func tableHasOption(_ option: String) {
        #expect(ParameterTable.lookup(option) != nil)
        #expect(ParameterTable.lookup("--" + option) != nil || option.count == 1)
    }

    /// A valid sample value for every entry, so that each one is exercised.
    static func sampleValue(_ p: ConfigParameter) -> String {
        switch p.name {
        case "hostname": return "ct.example.com"
        case "description", "name": return "web1"
        case "onboot", "disabled", "diskquota": return "yes"
        case "ostemplate": return "debian-12-x86_64"
        case "root": return "/vz/root/$VEID"
        case "private": return "/vz/private/$VEID"
        case "layout": return "simfs"
        case "ipadd", "ipdel": return "10.0.0.7"
        case "nameserver": return "8.8.8.8"
        case "searchdomain": return "example.com"
        case "netif_add": return "eth1"
        case "ifname", "netif_del": return "eth0"
        case "mac", "host_mac": return "02:00:00:00:00:09"
        case "host_ifname", "bridge", "netdev_add", "netdev_del": return "br9"
        case "mac_filter": return "on"
        case "gw": return "203.0.113.1"
        case "gw6": return "2001:db8::1"
        case "netfilter": return "full"
        case "ram", "swap": return "1G"
        case "vm_overcommit": return "1.5"
        case "meminfo": return "pages:1024"
        case "cpuunits": return "1000"
        case "cpumask", "nodemask": return "0"
        case "capability": return "net_admin:on"
        case "features": return "nfs:on"
        case "devices": return "c:10:200:rw"
        case "devnodes": return "net/tun:rw"
        case "mount_opts": return "noatime"
        default: return "1"
        }
    }

    @Test func everyEntryAcceptsASampleAndWritesItsKeys() throws {
        let netifBase = try applied("", [("netif_add", "eth0")]).render()
        var seen = Set<String>()
        for p in ParameterTable.all {
            #expect(seen.insert(p.name).inserted, "duplicate entry \(p.name)")
            var c = ParameterChanges(ctid: ct101)
            try c.add(p, value: Self.sampleValue(p))
            if ["mac", "host_mac", "host_ifname", "bridge", "mac_filter", "gw", "gw6"].contains(p.name) {
                try c.add(option: "ifname", value: "eth0")
            }
            var f = ConfigFile(text: p.keys == ["NETIF"] ? netifBase : "")
            try c.apply(to: &f)
            #expect(Set(c.changedKeys).isSubset(of: Set(p.keys)), "\(p.name) wrote \(c.changedKeys), declared \(p.keys)")
            for k in p.keys { #expect(f[k] != nil, "\(p.name) did not write \(k)") }
            #expect(ConfigFile(text: f.render()) == f)
        }
    }

    @Test func flagsFollowCompat() throws {
        for name in ["name", "ostemplate", "stop-timeout"] {
            #expect(try #require(ParameterTable.lookup(name)).flags.contains(.requiresSave))
        }
        for name in ["root", "private"] {
            #expect(try #require(ParameterTable.lookup(name)).flags.contains(.notWhileRunning))
        }
        for name in ["capability", "netfilter", "features"] {
            #expect(try #require(ParameterTable.lookup(name)).flags.contains(.needsRestart))
        }
        let create = Set(ParameterTable.options(for: .create).map(\.long))
        #expect(create.isSuperset(of: ["ostemplate", "layout", "ve_layout", "diskspace", "private", "root", "ipadd", "ip", "hostname", "name", "description"]))
        #expect(!create.contains("ipdel"))
    }

    /// The table drives GetoptLong exactly as the CLI will.
    @Test func getoptParsesAVzctlSetCommandLine() throws {
        let specs = ParameterTable.options(for: .set).map { OptionSpec($0.long, short: $0.short, .required, canonical: $0.canonical) }
        let getopt = GetoptLong(specs)
        let args = ["--ipa", "10.0.0.1", "-t", "16:20", "--ip=10.0.0.2", "--hostname", "h.example", "--nameserver", "1.1.1.1",
                    "--nameserver", "9.9.9.9", "-p240", "--stop-timeout", "30", "--privvm", "5M:6M"]
        let parsed = try getopt.parse(args)
        #expect(parsed.operands.isEmpty)
        var c = ParameterChanges(ctid: ct101)
        for o in parsed.options { try c.add(option: o.spec.name, value: o.value ?? "") }
        var f = ConfigFile()
        try c.apply(to: &f)
        #expect(f.render() == """
            NUMPTY="16:20"
            HOSTNAME="h.example"
            NUMPROC="240"
            STOP_TIMEOUT="30"
            PRIVVMPAGES="1280:1536"
            IP_ADDRESS="10.0.0.1 10.0.0.2"
            NAMESERVER="1.1.1.1 9.9.9.9"

            """)
    }
}
