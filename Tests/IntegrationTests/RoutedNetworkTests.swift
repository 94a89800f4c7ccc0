import Glibc
import Testing

/// Routed (`--ipadd`) networking on real VPSes: traffic both ways, the
/// source filter, isolation, addresses in use. Traffic only flows between
/// the host and namespaces the tests made; every route is checked to lead
/// into an interface made for the test before a packet is sent.
@Suite(.serialized) struct RoutedNetworkTests {
    @Test func hostAndVPSReachEachOtherOverTCP() throws {
        try TestNode.withRunning { node in
            try Net.withHostLink("vzt7201", addresses: ["203.0.113.201/32", "2001:db8:ffff::201/128"]) { hostDev in
                node.setGlobal("VE_ROUTE_SRC_DEV", hostDev)
                try node.createNetworked("7201", ["--ipadd", "198.51.100.201", "--ipadd", "2001:db8::201"])
                let start = node.vzctl("start", "7201")
                try #require(start.status == 0, "\(start.output)")
                #expect(start.stdout.contains("Adding IP address(es): 198.51.100.201 2001:db8::201"))

                try #require(Net.routeDevice("198.51.100.201") == "venet7201")
                try #require(Net.routeDevice("2001:db8::201") == "venet7201")
                #expect(Net.routeSource("198.51.100.201") == "203.0.113.201", "VE_ROUTE_SRC_DEV gives the routes' source")

                // A service inside the VPS, reached from the host on both families.
                try node.serve("7201", port: 7201, reply: "hello-from-7201")
                let client = Net.python("""
                    import socket
                    for a in ("198.51.100.201", "2001:db8::201"):
                        s = socket.create_connection((a, 7201), timeout=20)
                        print(a, s.recv(100).decode().strip())
                        s.close()
                    """)
                #expect(client.stdout == "198.51.100.201 hello-from-7201\n2001:db8::201 hello-from-7201\n", "\(client.output)")

                // A listener on the host's own (test) addresses, reached from inside.
                let pid = try #require(node.initPid("7201"))
                try #require(Net.routeDevice("203.0.113.201", netnsOf: pid) == "venet0")
                try #require(Net.routeDevice("2001:db8:ffff::201", netnsOf: pid) == "venet0")
                let server = Net.python("""
                    import os, socket, subprocess
                    got = []
                    for fam, addr in ((socket.AF_INET, "203.0.113.201"), (socket.AF_INET6, "2001:db8:ffff::201")):
                        srv = socket.socket(fam, socket.SOCK_STREAM)
                        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        srv.bind((addr, 7202)); srv.listen(1); srv.settimeout(20)
                        target = addr if fam == socket.AF_INET else addr
                        p = subprocess.Popen([os.environ["VZCTL"], "exec", "7201", "echo ping | nc -w 10 %s 7202" % target],
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                        conn, peer = srv.accept()
                        data = conn.recv(100).decode().strip()
                        conn.sendall(b"pong\\n"); conn.close()
                        out = p.communicate(timeout=20)[0].decode().strip()
                        got.append("%s %s %s" % (peer[0], data, out))
                    print("\\n".join(got))
                    """, env: node.env.merging(["VZCTL": Spawn.vzctl]) { $1 })
                #expect(server.stdout == "198.51.100.201 ping pong\n2001:db8::201 ping pong\n", "\(server.output)")
                #expect(node.vzctl("stop", "--fast", "7201").status == 0)
            }
        }
    }

    /// Packets whose source the VPS was not given never get past the host
    /// end of its pair, IPv4 and IPv6, even when root inside (here: the test
    /// with every capability in the VPS's namespace) adds the address.
    @Test func spoofedSourcesGetNothingThrough() throws {
        try TestNode.withRunning { node in
            try Net.withHostLink("vzt7202", addresses: ["203.0.113.202/32", "2001:db8:ffff::202/128"]) { _ in
                try node.createNetworked("7202", ["--ipadd", "198.51.100.202", "--ipadd", "2001:db8::202"])
                try #require(node.vzctl("start", "7202").status == 0)
                let pid = try #require(node.initPid("7202"))
                let add = Net.sh("nsenter --net=/proc/\(pid)/ns/net sh -c 'ip addr add 203.0.113.99/32 dev venet0 && ip -6 addr add 2001:db8::99/128 dev venet0 nodad'")
                try #require(add.status == 0, "\(add.output)")
                try #require(Net.routeDevice("203.0.113.202", netnsOf: pid) == "venet0")
                try #require(Net.routeDevice("2001:db8:ffff::202", netnsOf: pid) == "venet0")

                // One sender pinned to one CPU sends the spoofed datagram and
                // then a genuine one down the same path, so a spoofed one that
                // got through would be read before the genuine one.
                let sender = """
                    import socket
                    for fam, src, dst, tag in ((socket.AF_INET, "203.0.113.99", "203.0.113.202", "SPOOF4"),
                                               (socket.AF_INET, "198.51.100.202", "203.0.113.202", "OK4"),
                                               (socket.AF_INET6, "2001:db8::99", "2001:db8:ffff::202", "SPOOF6"),
                                               (socket.AF_INET6, "2001:db8::202", "2001:db8:ffff::202", "OK6")):
                        s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((src, 0)); s.sendto(tag.encode(), (dst, 7203)); s.close()
                    """
                let r = Net.python("""
                    import socket, subprocess
                    socks = {}
                    for fam, addr in ((socket.AF_INET, "203.0.113.202"), (socket.AF_INET6, "2001:db8:ffff::202")):
                        s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 7203)); s.settimeout(20); socks[fam] = s
                    subprocess.run(["nsenter", "--net=/proc/\(pid)/ns/net", "taskset", "-c", "0", "python3", "-c", \(pythonString(sender))], check=True)
                    for fam, last in ((socket.AF_INET, "OK4"), (socket.AF_INET6, "OK6")):
                        seen = []
                        while last not in seen:
                            seen.append(socks[fam].recv(100).decode())
                        print(" ".join(seen))
                    """)
                #expect(r.stdout == "OK4\nOK6\n", "\(r.output)")
                let counters = Net.sh("nft list table netdev vzctl-7202").stdout
                #expect(counters.contains("policy drop"))
                let dropped = counters.split(separator: "\n").last { $0.contains("counter packets") && $0.hasSuffix("drop") }
                #expect(dropped.map { !$0.contains("counter packets 0 ") } == true, "the filter's drop counter moved: \(counters)")
            }
        }
    }

    @Test func noHostInterfaceInsideAndNothingInsideReachesTheHost() throws {
        try TestNode.withRunning { node in
            try node.createNetworked("7203", ["--ipadd", "198.51.100.203"])
            try #require(node.vzctl("start", "7203").status == 0)
            let links = node.vzctl("exec", "7203", "ip -o link | cut -d: -f2").stdout
            #expect(Set(links.split(separator: "\n").map { String($0).trimmingCharacters(in: " ") }) == ["lo", "venet0@if\(hostIndex("venet7203"))"])
            // The VPS's root has no NET_ADMIN: it cannot change its network at all.
            #expect(node.vzctl("exec", "7203", "ip addr add 203.0.113.98/32 dev venet0").status == 8)
            #expect(node.vzctl("exec", "7203", "ip link add vzx7203a type veth peer name vzx7203b").status == 8)
            // Even with every capability in its namespace, nothing lands on the host.
            let pid = try #require(node.initPid("7203"))
            let r = Net.sh("nsenter --net=/proc/\(pid)/ns/net sh -c 'ip link add vzx7203a type veth peer name vzx7203b && ip addr add 203.0.113.98/32 dev venet0 && ip -6 addr add 2001:db8::98/128 dev venet0 nodad'")
            try #require(r.status == 0, "\(r.output)")
            #expect(!Net.linkExists("vzx7203a") && !Net.linkExists("vzx7203b"))
            #expect(!Net.sh("ip -o addr").stdout.contains("203.0.113.98"))
            #expect(!Net.sh("ip route; ip -6 route").stdout.contains("203.0.113.98"))
            #expect(Net.routeDevice("203.0.113.98") != "venet7203")
            #expect(Net.routeDevice("2001:db8::98") != "venet7203")
        }
    }

    /// 4.x's VZ_IP_INUSE (78): an address another running VPS has, or the
    /// host itself; the failed start or set leaves nothing behind.
    @Test func addressesInUseAreRefusedWith78() throws {
        try TestNode.withRunning { node in
            try Net.withHostLink("vzt7204", addresses: ["203.0.113.204/32"]) { _ in
                try node.createNetworked("7204", ["--ipadd", "198.51.100.204"])
                try node.createNetworked("7205", ["--ipadd", "198.51.100.205 198.51.100.204"])
                try #require(node.vzctl("start", "7204").status == 0)
                let clash = node.vzctl("start", "7205")
                #expect(clash.status == 78, "\(clash.output)")
                #expect(clash.stderr.contains("198.51.100.204") && clash.stderr.contains("CT 7204"))
                #expect(node.status("7205").hasSuffix("down"))
                #expect(!Net.linkExists("venet7205"))
                #expect(!node.exists("/var/lib/vzctl/net/7205"))
                #expect(Net.routeDevice("198.51.100.205") != "venet7205")

                #expect(node.vzctl("set", "7205", "--ipdel", "198.51.100.204", "--save").status == 0)
                try #require(node.vzctl("start", "7205").status == 0)
                let before = node.read("/etc/vz/conf/7205.conf")
                let live = node.vzctl("set", "7205", "--ipadd", "198.51.100.204", "--save")
                #expect(live.status == 78, "\(live.output)")
                #expect(node.read("/etc/vz/conf/7205.conf") == before, "a refused change is not saved")
                let own = node.vzctl("set", "7205", "--ipadd", "203.0.113.204", "--save")
                #expect(own.status == 78 && own.stderr.contains("host"), "\(own.output)")
                #expect(Net.routeDevice("198.51.100.204") == "venet7204")
                #expect(!node.vzctl("exec", "7205", "ip -o addr").stdout.contains("198.51.100.204"))
            }
        }
    }

    /// Two VPSes with the same address started at the same moment: the
    /// in-use check and the claim are one step node-wide, so the second
    /// gets 78. The first is held for a second right after its check
    /// (`VZCTL_PAUSE_AT`), and the second starts meanwhile: without the
    /// node-wide step both would pass the check.
    @Test func concurrentStartsCannotBothClaimAnAddress() throws {
        try TestNode.withRunning { node in
            try node.createNetworked("7212", ["--ipadd", "198.51.100.212"])
            try node.createNetworked("7213", ["--ipadd", "198.51.100.212"])
            var env = node.env
            env["VZCTL_PAUSE_AT"] = "network.checked"
            let a = Spawn.start([Spawn.vzctl, "start", "7212"], env: env)
            // Its run state is written before its network: then it is in
            // the window (or past it, which makes no difference to b).
            #expect(node.eventually(10) { node.exists("/var/lib/vzctl/run/7212") })
            let rb = node.vzctl("start", "7213")
            let ra = Spawn.wait(a.pid, out: a.out, err: a.err)
            #expect(ra.status == 0, "\(ra.output)")
            #expect(rb.status == 78 && rb.stderr.contains("CT 7212"), "\(rb.output)")
            #expect(node.status("7213").hasSuffix("down"))
            #expect(Net.routeDevice("198.51.100.212") == "venet7212")
        }
    }

    @Test func neighbourDevicesListGetsProxyEntriesUntilStop() throws {
        try TestNode.withRunning { node in
            try Net.withHostLink("vzt7206", addresses: ["203.0.113.206/32", "2001:db8:ffff::206/128"]) { dev in
                node.setGlobal("NEIGHBOUR_DEVS", "list:\(dev)")
                try node.createNetworked("7206", ["--ipadd", "198.51.100.206", "--ipadd", "2001:db8::206"])
                // The announcements, as the link's other end receives them.
                let heard = Net.python("""
                    import os, socket, struct, subprocess, time
                    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
                    s.bind(("vzt7206p", 0)); s.settimeout(20)
                    r = subprocess.run([os.environ["VZCTL"], "start", "7206"], capture_output=True)
                    assert r.returncode == 0, r
                    seen = set()
                    while len(seen) < 2:
                        pkt = s.recv(2000)
                        proto = struct.unpack("!H", pkt[12:14])[0]
                        if proto == 0x0806 and pkt[20:22] == b"\\x00\\x01" and pkt[28:32] == pkt[38:42] == socket.inet_aton("198.51.100.206"):
                            seen.add("arp " + ":".join("%02x" % b for b in pkt[22:28]))
                        if proto == 0x86dd and pkt[20] == 58 and pkt[54] == 136 and pkt[62:78] == socket.inet_pton(socket.AF_INET6, "2001:db8::206"):
                            seen.add("na hop=%d" % pkt[21])
                    print("\\n".join(sorted(seen)))
                    """, env: node.env.merging(["VZCTL": Spawn.vzctl]) { $1 })
                let mac = Spawn.readText("/sys/class/net/\(dev)/address").trimmingNewline
                #expect(heard.stdout == "arp \(mac)\nna hop=255\n", "\(heard.output)")
                let on = Net.proxies(dev)
                #expect(on.contains("198.51.100.206") && on.contains("2001:db8::206"), "\(on)")
                #expect(node.vzctl("set", "7206", "--ipdel", "2001:db8::206").status == 0)
                #expect(!Net.proxies(dev).contains("2001:db8::206"))
                #expect(node.vzctl("stop", "--fast", "7206").status == 0)
                #expect(Net.proxies(dev).isEmpty)
            }
        }
    }

    @Test func listingShowsTheAddresses() throws {
        try TestNode.withRunning { node in
            try node.createNetworked("7207", ["--ipadd", "198.51.100.207 2001:db8::207/64"])
            try #require(node.vzctl("start", "7207").status == 0)
            #expect(node.vzlist("-H", "-o", "ip", "7207").stdout == "198.51.100.207 2001:db8::207/64\n")
            #expect(node.vzlist("-H", "-o", "ip,status", "7207").stdout == "198.51.100.207  running\n")
            #expect(node.vzlist("-j", "-o", "ip", "7207").stdout.contains("\"ip\": [\"198.51.100.207\", \"2001:db8::207/64\"]"))
            #expect(node.vzctl("status", "7207").stdout == "CTID 7207 exist mounted running\n")
        }
    }

    /// 10-digit CTIDs: `venet<CTID>` still fits 15 bytes, bridged pairs get
    /// `vz<hex>.<N>` (4.x truncated and collided here).
    @Test func longCTIDsGetValidInterfaceNames() throws {
        try TestNode.withRunning { node in
            try Net.withBridge("vztbr2147") { br in
                try node.createNetworked("2147483600", ["--ipadd", "198.51.100.214", "--netif_add", "eth0,,,,\(br)"])
                #expect(node.read("/etc/vz/conf/2147483600.conf").contains("host_ifname=vz7fffffd0.0"))
                try #require(node.vzctl("start", "2147483600").status == 0)
                #expect(Net.linkExists("venet2147483600") && Net.linkExists("vz7fffffd0.0"))
                #expect(node.vzctl("stop", "--fast", "2147483600").status == 0)
                #expect(!Net.linkExists("venet2147483600") && !Net.linkExists("vz7fffffd0.0"))
            }
        }
    }
}

/// `name`'s interface index on the host (the `@ifN` a peer shows).
func hostIndex(_ name: String) -> String {
    Spawn.readText("/sys/class/net/\(name)/ifindex").trimmingCharacters(in: "\n")
}

/// A Python string literal holding `s`.
func pythonString(_ s: String) -> String {
    "'" + s.replacingAll("\\", "\\\\").replacingAll("'", "\\'").replacingAll("\n", "\\n") + "'"
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
