import Glibc
import Testing

/// Bridged veths (`--netif_add`) on a bridge the test makes (no uplink),
/// and 100 start/stop cycles of a VPS with every kind of network object.
@Suite(.serialized) struct BridgedNetworkTests {
    @Test func twoVPSesOnOneBridgeReachEachOther() throws {
        try TestNode.withRunning { node in
            try Net.withBridge("vztbr7230") { br in
                for (ctid, n) in [("7230", 30), ("7231", 31)] {
                    try node.createNetworked(ctid, ["--netif_add", "eth0,,,,\(br)"])
                    let r = node.vzctl("set", ctid, "--ifname", "eth0", "--ipadd", "203.0.113.\(n)/24", "--ipadd", "2001:db8:7230::\(n)/64",
                                       "--gw", "203.0.113.1", "--gw6", "2001:db8:7230::1", "--save")
                    try #require(r.status == 0, "\(r.output)")
                    let start = node.vzctl("start", ctid)
                    try #require(start.status == 0, "\(start.output)")
                    #expect(start.stdout.contains("Configure veth devices: veth\(ctid).0"))
                    #expect(Net.sh("ip -o link show dev veth\(ctid).0").stdout.contains("master \(br)"))
                }
                let conf = node.read("/etc/vz/conf/7230.conf")
                #expect(conf.contains(",ip=203.0.113.30/24 2001:db8:7230::30/64,gw=203.0.113.1,gw6=2001:db8:7230::1"), "\(conf)")
                let routes = node.vzctl("exec", "7231", "ip route show default; ip -6 route show default").stdout
                #expect(routes.contains("default via 203.0.113.1 dev eth0") && routes.contains("default via 2001:db8:7230::1 dev eth0"), "\(routes)")

                try node.serve("7230", port: 7230, reply: "hello-from-7230")
                let pid = try #require(node.initPid("7231"))
                try #require(Net.routeDevice("203.0.113.30", netnsOf: pid) == "eth0")
                try #require(Net.routeDevice("2001:db8:7230::30", netnsOf: pid) == "eth0")
                let v4 = node.vzctl("exec", "7231", "nc -w 10 203.0.113.30 7230 </dev/null")
                #expect(v4.stdout == "hello-from-7230\n", "\(v4.output)")
                let v6 = node.vzctl("exec", "7231", "nc -w 10 2001:db8:7230::30 7230 </dev/null")
                #expect(v6.stdout == "hello-from-7230\n", "\(v6.output)")
                #expect(!Net.sh("ip -o addr").stdout.contains("203.0.113.30"), "the host has no address on the test bridge")

                // A gateway dropped live takes its default route with it
                // (an IPv4 gateway route is scope universe: the delete must
                // match any scope).
                let drop = node.vzctl("set", "7231", "--ifname", "eth0", "--gw", "", "--gw6", "")
                #expect(drop.status == 0, "\(drop.output)")
                let after = node.vzctl("exec", "7231", "ip route show default; ip -6 route show default").stdout
                #expect(!after.contains("default via"), "\(after)")
            }
        }
    }

    /// mac_filter=on: the host end drops frames from any other MAC, and
    /// with `ip=` addresses any other source address.
    @Test func macFilterHoldsTheVPSToItsMACAndAddresses() throws {
        try TestNode.withRunning { node in
            try Net.withBridge("vztbr7232") { br in
                try node.createNetworked("7232", ["--netif_add", "eth0,,,,\(br)"])
                try node.createNetworked("7233", ["--netif_add", "eth0,,,,\(br)"])
                _ = node.vzctl("set", "7232", "--ifname", "eth0", "--ipadd", "203.0.113.32/24", "--save")
                _ = node.vzctl("set", "7233", "--ifname", "eth0", "--ipadd", "203.0.113.33/24", "--mac_filter", "on", "--save")
                try #require(node.vzctl("start", "7232").status == 0 && node.vzctl("start", "7233").status == 0)
                let table = Net.sh("nft list table netdev vzctl-7233").stdout
                #expect(table.contains("hook ingress device \"veth7233.0\"") && table.contains("ip saddr 203.0.113.33 accept"), "\(table)")
                #expect(!Net.nftTables().contains("vzctl-7232"), "no filter without mac_filter")

                let receiver = try #require(node.initPid("7232"))
                let sender = try #require(node.initPid("7233"))
                try #require(Net.routeDevice("203.0.113.32", netnsOf: sender) == "eth0")
                let add = Net.sh("nsenter --net=/proc/\(sender)/ns/net ip addr add 203.0.113.99/24 dev eth0")
                try #require(add.status == 0, "\(add.output)")
                let send = """
                    import socket
                    for src, tag in (("203.0.113.99", "SPOOF"), ("203.0.113.33", "OK")):
                        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((src, 0)); s.sendto(tag.encode(), ("203.0.113.32", 7232)); s.close()
                    """
                let r = Net.python("""
                    import socket, subprocess
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("203.0.113.32", 7232)); s.settimeout(20)
                    subprocess.run(["nsenter", "--net=/proc/\(sender)/ns/net", "taskset", "-c", "0", "python3", "-c", \(pythonString(send))], check=True)
                    seen = []
                    while "OK" not in seen:
                        seen.append(s.recv(100).decode())
                    print(" ".join(seen))
                    """, netnsOf: receiver)
                #expect(r.stdout == "OK\n", "\(r.output)")
                // A changed MAC gets nothing through at all.
                let mac = Net.sh("nsenter --net=/proc/\(sender)/ns/net sh -c 'ip link set eth0 address 02:00:00:00:72:33'")
                try #require(mac.status == 0)
                let blocked = node.vzctl("exec", "7233", "ping -c 1 -W 1 203.0.113.32")
                #expect(blocked.status != 0, "\(blocked.output)")
            }
        }
    }

    /// Live changes to a bridged interface: moved to another bridge,
    /// addresses added and removed, the interface added and deleted.
    @Test func bridgedInterfacesChangeLive() throws {
        try TestNode.withRunning { node in
            try Net.withBridge("vztbr7234") { br1 in
                try Net.withBridge("vztbr7235") { br2 in
                    node.createBusybox("7234")
                    try #require(node.vzctl("start", "7234").status == 0)
                    #expect(node.vzctl("set", "7234", "--netif_add", "eth0,,,,\(br1)", "--save").status == 0)
                    #expect(Net.sh("ip -o link show dev veth7234.0").stdout.contains("master \(br1)"))
                    #expect(node.vzctl("set", "7234", "--ifname", "eth0", "--bridge", br2, "--ipadd", "203.0.113.34/24", "--save").status == 0)
                    #expect(Net.sh("ip -o link show dev veth7234.0").stdout.contains("master \(br2)"))
                    #expect(node.vzctl("exec", "7234", "ip -o addr show dev eth0").stdout.contains("203.0.113.34/24"))
                    #expect(node.vzctl("set", "7234", "--ifname", "eth0", "--ipdel", "203.0.113.34", "--save").status == 0)
                    #expect(!node.vzctl("exec", "7234", "ip -o addr show dev eth0").stdout.contains("203.0.113.34"))
                    #expect(node.vzctl("set", "7234", "--ifname", "eth0", "--host_ifname", "vzt7234x", "--save").status == 0)
                    #expect(Net.linkExists("vzt7234x") && !Net.linkExists("veth7234.0"))
                    #expect(node.vzctl("set", "7234", "--netif_del", "eth0", "--save").status == 0)
                    #expect(!Net.linkExists("vzt7234x"))
                    #expect(node.vzctl("exec", "7234", "ip -o link").stdout.split(separator: "\n").count == 1, "only lo is left")
                    let missing = node.vzctl("set", "7234", "--netif_add", "eth1,,,,vztnobridge", "--save")
                    #expect(missing.status == 130 && missing.stderr.contains("no such bridge"), "\(missing.output)")
                    #expect(!node.read("/etc/vz/conf/7234.conf").contains("eth1"))
                }
            }
        }
    }

    /// 100 start/stop cycles of a VPS with routed IPv4/IPv6 addresses, a
    /// bridged interface with a source filter and proxy entries on a test
    /// interface: nothing of it stays in the host's network configuration.
    @Test func hundredCyclesLeaveNoTrace() throws {
        try TestNode.withRunning { node in
            try Net.withHostLink("vzt7236", addresses: ["203.0.113.236/32", "2001:db8:ffff::236/128"]) { dev in
                try Net.withBridge("vztbr7236") { br in
                    node.setGlobal("NEIGHBOUR_DEVS", "list:\(dev)")
                    try node.createNetworked("7236", ["--ipadd", "198.51.100.236", "--ipadd", "2001:db8::236", "--netif_add", "eth0,,,,\(br)"])
                    _ = node.vzctl("set", "7236", "--ifname", "eth0", "--ipadd", "203.0.113.136/24", "--mac_filter", "on", "--save")
                    let rulesBefore = Net.sh("ip rule; ip -6 rule").stdout
                    func trace() -> [String] {
                        var left: [String] = []
                        if Net.linkExists("venet7236") { left.append("link venet7236") }
                        if Net.linkExists("veth7236.0") { left.append("link veth7236.0") }
                        let routes = Net.sh("ip route show 198.51.100.236; ip -6 route show 2001:db8::236; ip route show 203.0.113.136; (ip route; ip -6 route) | grep -e venet7236 -e veth7236").stdout
                        if !routes.isEmpty { left.append("routes: \(routes)") }
                        let proxies = Net.proxies(dev)
                        if !proxies.isEmpty { left.append("proxies: \(proxies)") }
                        if Net.nftTables().contains("vzctl-7236") { left.append("nft table vzctl-7236") }
                        if Net.sh("ip rule; ip -6 rule").stdout != rulesBefore { left.append("rules changed") }
                        if node.exists("/var/lib/vzctl/net/7236") { left.append("record") }
                        return left
                    }
                    for i in 1...100 {
                        let start = node.vzctl("start", "7236")
                        try #require(start.status == 0, "cycle \(i): \(start.output)")
                        if i == 1 {
                            #expect(Net.proxies(dev).contains("198.51.100.236") && Net.proxies(dev).contains("2001:db8::236"))
                            #expect(Net.nftTables().contains("vzctl-7236"))
                            #expect(Net.linkExists("venet7236") && Net.linkExists("veth7236.0"))
                        }
                        let stop = node.vzctl("stop", "--fast", "7236")
                        try #require(stop.status == 0, "cycle \(i): \(stop.output)")
                        let left = trace()
                        try #require(left.isEmpty, "cycle \(i) left \(left)")
                    }
                    #expect(node.isClean("7236"))
                }
            }
        }
    }
}
