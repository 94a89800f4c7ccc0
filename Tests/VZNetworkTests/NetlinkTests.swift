import Glibc
import Testing
import VZConfig
import VZNetwork
import VZSystem

/// A network namespace of the test's own: an `unshare -n sleep` process.
/// Everything the tests create lives in such namespaces and dies with
/// them; the host's network is never touched.
final class ScratchNamespace {
    let pid: pid_t
    let namespace: NetNamespace
    let route: RouteNetlink

    init() throws {
        var p: pid_t = 0
        let words: [String] = ["/usr/bin/unshare", "--net", "/bin/sleep", "600"]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        precondition(posix_spawn(&p, words[0], nil, nil, argv, environ) == 0, "unshare failed to start")
        pid = p
        // unshare(2) runs after the spawn returns: wait until the namespace differs.
        let mine = readLink("/proc/self/ns/net")
        var ready = false
        for _ in 0..<400 {
            let theirs = readLink("/proc/\(p)/ns/net")
            if !theirs.isEmpty && theirs != mine && readLink("/proc/\(p)/exe").hasSuffix("sleep") { ready = true; break }
            usleep(5_000)
        }
        guard ready, let pidfd = ProcessIdentity.current(p)?.open() else {
            kill(p, SIGKILL)
            var st: Int32 = 0
            waitpid(p, &st, 0)
            throw VZError(.system, "the scratch namespace did not come up")
        }
        namespace = try NetNamespace.of(pidfd: pidfd)
        route = RouteNetlink(try namespace.socket(protocol: NetlinkSocket.route))
    }

    deinit {
        kill(pid, SIGKILL)
        var st: Int32 = 0
        waitpid(pid, &st, 0)
    }

    /// A shell command run in this namespace (host binaries: ip, nft).
    func sh(_ script: String) -> (status: Int32, output: String) {
        let out = "/tmp/vzt-nl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(out) }
        let status = system("nsenter --net=/proc/\(pid)/ns/net sh -c '\(script)' >\(out) 2>&1")
        let text = (try? Files.readString(out)) ?? nil
        return ((status >> 8) & 0xff, text ?? "")
    }
}

func readLink(_ path: String) -> String { Files.readLink(path) ?? "" }

@Suite struct NetlinkMessageTests {
    @Test func attributesArePaddedAndNestsMeasured() {
        var m = NetlinkMessage(type: 16, flags: 1, header: [1, 2, 3, 4, 5])
        #expect(m.bytes.count == 16 + 8, "the family header is padded to 4 bytes")
        m.put(3, string: "ab")
        #expect(m.bytes.count == 24 + 8, "4 + 3 bytes, padded")
        m.nest(18) { n in
            n.put(1, string: "veth")
            n.put(2, u32: 7)
        }
        let nested = Array(m.bytes[32...])
        #expect(nested[0] == 4 + 12 + 8 && nested[1] == 0, "nest length covers its attributes")
        #expect(UInt16(nested[2]) | UInt16(nested[3]) << 8 == 18 | 0x8000, "NLA_F_NESTED set")
        let attrs = NetlinkAttributes(ArraySlice(m.bytes[24...]))
        #expect(attrs.string(3) == "ab")
        #expect(attrs.nested(18)?.string(1) == "veth")
        #expect(attrs.nested(18)?.u32(2) == 7)
    }
}

@Suite(.serialized) struct NetlinkKernelTests {
    @Test func namespaceSwitchAlwaysReturns() throws {
        let scratch = try ScratchNamespace()
        let before = readLink("/proc/thread-self/ns/net")
        var inside = ""
        try NetNamespace.inside(scratch.namespace.fd) { () throws(VZError) in inside = readLink("/proc/thread-self/ns/net") }
        #expect(inside == readLink("/proc/\(scratch.pid)/ns/net"))
        #expect(readLink("/proc/thread-self/ns/net") == before)
        #expect(throws: VZError.self) {
            try NetNamespace.inside(scratch.namespace.fd) { () throws(VZError) in throw VZError(.system, "boom") }
        }
        #expect(readLink("/proc/thread-self/ns/net") == before)
    }

    /// The host-side sequence of a routed VPS, between two scratch namespaces.
    @Test func vethAddressRouteProxyLifecycle() throws {
        let host = try ScratchNamespace()
        let vps = try ScratchNamespace()
        let h = host.route, v = vps.route
        guard case .success = h.createVeth(host: "vzt-h0", hostMAC: MACAddress("fe:18:51:00:00:01"), peer: "venet0",
                                          peerMAC: MACAddress("00:18:51:00:00:01"), peerNamespace: vps.namespace.fd) else {
            Issue.record("veth creation failed"); return
        }
        let hl = try #require(try h.link(named: "vzt-h0"))
        #expect(hl.kind == "veth" && hl.peerElsewhere)
        #expect(hl.mac == [0xfe, 0x18, 0x51, 0, 0, 1])
        let vl = try #require(try v.link(named: "venet0"))
        #expect(try h.link(named: "venet0") == nil, "the peer never appears in the first namespace")
        try h.setLink(hl.index, up: true, what: "up")
        try v.setLink(vl.index, up: true, what: "up")
        #expect(try h.link(named: "vzt-h0")?.isUp == true)

        let a4 = IPAddress.Masked("198.51.100.7")!, a6 = IPAddress.Masked("2001:db8::7")!
        try v.addAddress(a4, index: vl.index, what: "add")
        try v.addAddress(a6, index: vl.index, what: "add")
        try v.addAddress(a4, index: vl.index, what: "add again is fine")
        #expect(Set(try v.addresses().filter { $0.index == vl.index }.map(\.address)).isSuperset(of: [a4.address, a6.address]))

        let r4 = IPAddress.Masked("198.51.100.7/32")!
        guard case .success = h.addRoute(r4, family: .v4, index: hl.index, exclusive: true) else { Issue.record("route"); return }
        if case .failure(let f) = h.addRoute(r4, family: .v4, index: hl.index, exclusive: true) {
            #expect(f.errno == EEXIST, "an exclusive route to a routed address fails: the 78 check")
        } else {
            Issue.record("a second exclusive route was accepted")
        }
        let found = try #require(try h.lookup(a4.address))
        #expect(found.index == hl.index && found.gateway == nil && !found.isLocal)
        #expect(try v.lookup(a4.address)?.isLocal == true)

        guard case .success = v.addRoute(nil, family: .v4, index: vl.index, exclusive: false),
              case .success = v.addRoute(nil, family: .v6, index: vl.index, gateway: IPAddress("fe80::1"), exclusive: false) else {
            Issue.record("default routes"); return
        }
        #expect(vps.sh("ip -4 route show default").output.contains("dev venet0"))
        #expect(vps.sh("ip -6 route show default").output.contains("via fe80::1 dev venet0"))

        for a in [a4.address, a6.address] {
            guard case .success = h.addProxy(a, index: hl.index) else { Issue.record("proxy \(a)"); return }
        }
        #expect(Set(try h.proxies().filter { $0.index == hl.index }.map(\.address)) == [a4.address, a6.address])
        #expect(host.sh("ip neigh show proxy").output.contains("198.51.100.7 dev vzt-h0"))
        for a in [a4.address, a6.address] { _ = h.deleteProxy(a, index: hl.index) }
        #expect(try h.proxies().filter { $0.index == hl.index }.isEmpty)
        guard case .success = h.deleteProxy(a4.address, index: hl.index) else { Issue.record("deleting twice must be fine"); return }

        guard case .success = h.deleteLink(hl.index) else { Issue.record("delete"); return }
        #expect(try h.link(named: "vzt-h0") == nil)
        #expect(try v.link(named: "venet0") == nil, "the peer goes with it")
        #expect(try h.lookup(a4.address)?.index != hl.index, "its routes go with it")
        guard case .success = h.deleteLink(hl.index) else { Issue.record("deleting a gone link must be fine"); return }
    }

    @Test func sourceFilterTableIsReplacedWholeAndRemoved() throws {
        let host = try ScratchNamespace()
        let vps = try ScratchNamespace()
        guard case .success = host.route.createVeth(host: "vzt-f0", hostMAC: nil, peer: "eth0", peerMAC: nil, peerNamespace: vps.namespace.fd) else {
            Issue.record("veth"); return
        }
        let nft = try host.namespace.socket(protocol: NetlinkSocket.netfilter)
        let f1 = NetworkPlan.SourceFilter(device: "vzt-f0", addresses: [IPAddress("198.51.100.8")!, IPAddress("2001:db8::8")!])
        guard case .success = SourceFilterTable.replace("vzctl-t1", filters: [f1], socket: nft) else { Issue.record("replace"); return }
        #expect(SourceFilterTable.exists("vzctl-t1", socket: nft))
        let listed = host.sh("nft list table netdev vzctl-t1").output
        #expect(listed.contains("hook ingress device \"vzt-f0\""))
        #expect(listed.contains("policy drop"))
        #expect(listed.contains("ip saddr 198.51.100.8 accept"))
        #expect(listed.contains("ip6 saddr 2001:db8::8 accept"))
        #expect(listed.contains("arp saddr ip 198.51.100.8 accept"))
        // No router advertisements or redirects from a VPS, no VLAN-tagged frames.
        #expect(listed.contains("icmpv6 type nd-router-advert counter") && listed.contains("icmpv6 type nd-redirect counter"))
        #expect(listed.contains("@ll,96,16 0x8100 counter") && listed.contains("@ll,96,16 0x88a8 counter"))

        let f2 = NetworkPlan.SourceFilter(device: "vzt-f0", mac: MACAddress("00:18:51:00:00:08"), addresses: [IPAddress("198.51.100.9")!])
        guard case .success = SourceFilterTable.replace("vzctl-t1", filters: [f2], socket: nft) else { Issue.record("replace 2"); return }
        let relisted = host.sh("nft list table netdev vzctl-t1").output
        #expect(!relisted.contains("198.51.100.8") && relisted.contains("ip saddr 198.51.100.9 accept"))
        #expect(relisted.contains("!= 0x1851000008"), "the MAC check")

        guard case .success = SourceFilterTable.replace("vzctl-t1", filters: [], socket: nft) else { Issue.record("replace empty"); return }
        #expect(!SourceFilterTable.exists("vzctl-t1", socket: nft))
        guard case .success = SourceFilterTable.delete("vzctl-t1", socket: nft) else { Issue.record("delete missing"); return }
        // A chain on a device that does not exist: kernels before 6.10
        // refuse the whole batch (nothing is left), later ones keep the
        // chain dormant until the device appears. Either way delete clears it.
        switch SourceFilterTable.replace("vzctl-t2", filters: [.init(device: "vzt-none")], socket: nft) {
        case .success: #expect(SourceFilterTable.exists("vzctl-t2", socket: nft))
        case .failure: #expect(!SourceFilterTable.exists("vzctl-t2", socket: nft))
        }
        guard case .success = SourceFilterTable.delete("vzctl-t2", socket: nft) else { Issue.record("delete t2"); return }
        #expect(!SourceFilterTable.exists("vzctl-t2", socket: nft))
    }
}
