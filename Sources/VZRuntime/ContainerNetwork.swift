import Glibc
import VZConfig
import VZInventory
import VZNetwork
import VZSystem

/// Brings a running VPS's network from one `NetworkPlan` to another over
/// netlink: from nothing at start, from what `NetworkRecord` says is in
/// effect for a live `vzctl set`, and back to nothing on the host at stop.
///
/// Host side (`venet<CTID>`, the bridged `host_ifname`s) through a socket
/// in the host's namespace; inside (`venet0`, `eth0`, addresses, default
/// routes) through a socket opened in the VPS's namespace via its init's
/// pidfd. The VPS's processes take no part: nothing runs inside it.
///
/// On the host a routed VPS gets: the veth pair, `proxy_arp` and IPv4
/// `forwarding` on its own host end (answers the VPS's ARP for anything
/// the host routes; lets VPS-to-VPS traffic through without touching the
/// node's global `ip_forward`), `fe80::1` on that end as the VPS's IPv6
/// gateway, a /32 or /128 route per address (its source the first address
/// of `VE_ROUTE_SRC_DEV` when set), proxy ARP/NDP entries on the
/// `NEIGHBOUR_DEVS` interfaces, and the source filter (SourceFilterTable).
/// Deleting the host end removes the pair, its routes and sysctls; the
/// proxy entries and the filter table are removed one by one from the record.
struct ContainerNetwork {
    let ctid: ContainerID
    let node: Node
    let console: Console

    /// The host end's IPv6 address, the VPS's IPv6 default gateway.
    static let gateway6 = IPAddress("fe80::1")!

    // MARK: - Entry points

    /// At start, before the VPS's init is released: from nothing to `plan`.
    /// A record left by an earlier run (killed vzctl) is cleared first.
    func setUp(_ plan: NetworkPlan, initProcess: ProcessIdentity) throws(VZError) {
        if NetworkRecord.load(ctid, node: node) != nil { tearDown(fallback: nil) }
        guard let pidfd = initProcess.open() else { throw VZError(.notRunning, "Container is not running") }
        try apply(from: NetworkPlan(ctid: ctid), record: NetworkRecord(), to: plan, pidfd: pidfd)
    }

    /// `vzctl set` on a running VPS: from what is in effect to `plan`.
    func change(to plan: NetworkPlan, initProcess: ProcessIdentity) throws(VZError) {
        let record = NetworkRecord.load(ctid, node: node) ?? NetworkRecord()
        guard let old = record.plan(ctid) else {
            throw VZError(.vethError, "The network record \(NetworkRecord.path(ctid, node: node)) cannot be read; restart the container")
        }
        guard old != plan else { return }
        guard let pidfd = initProcess.open() else { throw VZError(.notRunning, "Container is not running") }
        try apply(from: old, record: record, to: plan, pidfd: pidfd)
    }

    /// After the VPS's init has ended (stop, reap, failed start): removes
    /// every host-side object the record names; without a record, the ones
    /// `fallback` (the config's plan) would have made. Never throws: what
    /// cannot be removed is reported, the rest still goes.
    ///
    /// Returns the nfnetlink socket that deleted the filter table, if any:
    /// closing it waits for the RCU grace period that frees the table
    /// (nf_tables flushes its destroy work on release, ~10-20 ms on a busy
    /// VM), so a caller with more work to do holds it until that is done.
    @discardableResult
    func tearDown(fallback: NetworkPlan?) -> NetlinkSocket? {
        var record = NetworkRecord.load(ctid, node: node)
        if record == nil, let fallback, !fallback.isEmpty {
            var r = NetworkRecord(plan: fallback, proxies: [])
            r.filter = fallback.filterTable
            if let host = try? RouteNetlink(), let all = try? host.proxies(), let links = try? host.links() {
                // Not an address another running VPS has taken over since.
                let taken = NetworkRecord.addressesInUse(except: ctid, node: node)
                let mine = Set(fallback.routedAddresses.map(\.address).filter { taken[$0] == nil })
                for p in all where mine.contains(p.address) {
                    if let l = links.first(where: { $0.index == p.index }) { r.proxies.append(.init(device: l.name, address: p.address)) }
                }
            }
            record = r
        }
        guard let record else { return nil }
        var nft: NetlinkSocket?
        do {
            // The filter first: its table is freed while the rest goes.
            if let table = record.filter {
                nft = try NetlinkSocket(protocol: NetlinkSocket.netfilter)
                if case .failure(let f) = SourceFilterTable.delete(table, socket: nft!) {
                    warn(f.error(.vethError, "Unable to delete the nftables table \(table)"))
                }
            }
            let host = try RouteNetlink()
            for name in record.links {
                // Only a veth is ours to delete, whatever the name says.
                guard let l = try host.link(named: name), l.kind == "veth" else { continue }
                if case .failure(let f) = host.deleteLink(l.index) { warn(f.error(.vethError, "Unable to delete \(name)")) }
            }
            for p in record.proxies {
                guard let l = try host.link(named: p.device) else { continue }
                if case .failure(let f) = host.deleteProxy(p.address, index: l.index) {
                    warn(f.error(.vethError, "Unable to delete the proxy entry for \(p.address) on \(p.device)"))
                }
            }
            NetworkRecord.remove(ctid, node: node)
        } catch {
            warn(error)
        }
        return nft
    }

    private func warn(_ e: VZError) { console.error("Warning: \(e.description)") }

    // MARK: - Applying a change

    private struct Sockets {
        let host: RouteNetlink
        let inside: RouteNetlink
        let namespace: NetNamespace
        let nft: NetlinkSocket
    }

    private func apply(from old: NetworkPlan, record: NetworkRecord, to new: NetworkPlan, pidfd: FileDescriptor) throws(VZError) {
        // No network, none before: nothing to record (no record reads as empty).
        if old.isEmpty && new.isEmpty && record.links.isEmpty && record.proxies.isEmpty && record.filter == nil {
            NetworkRecord.remove(ctid, node: node)
            return
        }
        let namespace = try NetNamespace.of(pidfd: pidfd)
        let s = Sockets(host: try RouteNetlink(), inside: RouteNetlink(try namespace.socket(protocol: NetlinkSocket.route)),
                        namespace: namespace, nft: try NetlinkSocket(protocol: NetlinkSocket.netfilter))
        let added = new.addresses.filter { !old.addresses.contains($0) }
        // Node-wide, from the in-use check to the record that claims the
        // addresses: two VPSes starting at once with the same new address
        // would otherwise both pass (each holds only its own CT lock).
        let claim = added.isEmpty ? nil : try ContainerLock.acquire(lockDir: node.lockDir(), name: "network", wait: true)
        defer { claim?.release() }
        try checkInUse(added, s)
        CrashPoint.reached("network.checked")

        // Proxy entries: those of kept routed addresses, and new ones.
        let neighbours = try NeighbourDevices(node.global.value("NEIGHBOUR_DEVS"))
        let routedNow = Set(new.routedAddresses.map(\.address))
        let routedBefore = Set(old.routedAddresses.map(\.address))
        var proxies = record.proxies.filter { routedNow.contains($0.address) }
        proxies += try plannedProxies(new.routedAddresses.map(\.address).filter { !routedBefore.contains($0) }, neighbours, s.host)

        // A host interface name a new bridged veth would take must be free
        // now: once in the record, a failed call's teardown would delete
        // whatever holds it (another VPS's veth).
        let oldHostNames = Set(old.bridged.compactMap(\.hostIfname))
        for name in new.bridged.compactMap(\.hostIfname) where !oldHostNames.contains(name) {
            if try s.host.link(named: name) != nil {
                throw VZError(.vethError, "Unable to create the veth pair \(name): a host interface of that name exists")
            }
        }

        // The record first names everything that may exist after this call.
        var intent = record.union(NetworkRecord(plan: new, proxies: proxies))
        if intent.filter == nil && !new.sourceFilters.isEmpty { intent.filter = new.filterTable }
        try intent.save(ctid, node: node)

        // A source the VPS loses stops being accepted before anything else.
        var filtersDone = old.sourceFilters == new.sourceFilters
        if !filtersDone && !old.sourceFilters.isEmpty {
            filtersDone = try replaceFilters(new, existingOnly: true, s)
        }
        // The VPS's side complete before the host routes anything to it.
        try applyRouted(from: old, to: new, s)
        try applyBridged(from: old, to: new, s)
        try applyDefaultRoutes(from: old, to: new, s)
        try applyRoutedHostRoutes(from: old, to: new, s)
        for p in record.proxies where !proxies.contains(p) {
            if let l = try s.host.link(named: p.device), case .failure(let f) = s.host.deleteProxy(p.address, index: l.index) {
                throw f.error(.vethError, "Unable to delete the proxy entry for \(p.address) on \(p.device)")
            }
        }
        for p in proxies where !record.proxies.contains(p) {
            guard let l = try s.host.link(named: p.device) else { continue }
            if case .failure(let f) = s.host.addProxy(p.address, index: l.index) {
                throw f.error(.cannotAddIP, "Unable to add the proxy entry for \(p.address) on \(p.device)")
            }
            // As 4.x's arpsend -U / ndsend: a failure is only a warning.
            do {
                try NeighbourAnnouncement.announce(p.address, ifindex: l.index, mac: l.mac ?? [])
            } catch {
                warn(error)
            }
        }
        if !filtersDone { _ = try replaceFilters(new, existingOnly: false, s) }
        try NetworkRecord(plan: new, proxies: proxies).save(ctid, node: node)
    }

    /// 4.x's VZ_IP_INUSE (78): an address another running VPS of the node
    /// holds, or one of the host's own.
    private func checkInUse(_ addresses: [IPAddress], _ s: Sockets) throws(VZError) {
        guard !addresses.isEmpty else { return }
        let taken = NetworkRecord.addressesInUse(except: ctid, node: node)
        for a in addresses {
            if let other = taken[a] {
                throw VZError(.ipInUse, "Unable to add IP \(a): address already in use by CT \(other)", errno: EADDRINUSE)
            }
            if try s.host.lookup(a)?.isLocal == true {
                throw VZError(.ipInUse, "Unable to add IP \(a): address already in use by the host", errno: EADDRINUSE)
            }
        }
    }

    /// Returns whether every filter of the plan is now in place (with
    /// `existingOnly`, those on interfaces not made yet are left out).
    /// No filter before and none after is never "replaced": that would
    /// delete a table, which costs a grace period (SourceFilterTable).
    private func replaceFilters(_ plan: NetworkPlan, existingOnly: Bool, _ s: Sockets) throws(VZError) -> Bool {
        var filters = plan.sourceFilters
        if existingOnly {
            var present: [NetworkPlan.SourceFilter] = []
            for f in filters where try s.host.link(named: f.device) != nil { present.append(f) }
            filters = present
        }
        if case .failure(let f) = SourceFilterTable.replace(plan.filterTable, filters: filters, socket: s.nft) {
            throw f.error(.vethError, "Unable to set up the source address filter (nftables table \(plan.filterTable))")
        }
        return filters.count == plan.sourceFilters.count
    }

    // MARK: - Routed addresses (venet0)

    private func applyRouted(from old: NetworkPlan, to new: NetworkPlan, _ s: Sockets) throws(VZError) {
        let hostName = new.routedHostIfname
        if new.routedAddresses.isEmpty {
            if !old.routedAddresses.isEmpty, let l = try s.host.link(named: hostName), l.kind == "veth" {
                console.info("Deleting IP address(es): \(old.routedAddresses.map { $0.address.description }.joined(separator: " "))")
                if case .failure(let f) = s.host.deleteLink(l.index) { throw f.error(.vethError, "Unable to delete \(hostName)") }
            }
            return
        }
        if old.routedAddresses.isEmpty {
            let mac = MACAddress.generated(seed: NetworkPlan.venetName, ctid: ctid)
            try createPair(host: hostName, hostMAC: NetworkInterface.defaultHostMAC(for: mac), peer: NetworkPlan.venetName,
                           peerMAC: mac, ours: true, s)
            try NetNamespace.setSysctl("ipv4/conf/\(hostName)/proxy_arp", "1")
            try NetNamespace.setSysctl("ipv4/conf/\(hostName)/forwarding", "1")
            // The host takes no routing advice from a VPS: no router
            // advertisements (a default route through it) and no
            // redirects, whatever the host's defaults (the filter drops
            // both as well). No ipv6 directory: IPv6 is off on the host.
            try NetNamespace.setSysctl("ipv4/conf/\(hostName)/accept_redirects", "0")
            for key in ["accept_ra", "accept_redirects"] where Files.isDirectory("/proc/sys/net/ipv6/conf/\(hostName)") {
                try NetNamespace.setSysctl("ipv6/conf/\(hostName)/\(key)", "0")
            }
        }
        guard let hostLink = try s.host.link(named: hostName), let inLink = try s.inside.link(named: NetworkPlan.venetName) else {
            throw VZError(.vethError, "The routed interface pair \(hostName) / \(NetworkPlan.venetName) is missing; restart the container")
        }
        if !hostLink.isUp { try s.host.setLink(hostLink.index, up: true, what: "Unable to bring \(hostName) up") }
        if !inLink.isUp { try s.inside.setLink(inLink.index, up: true, what: "Unable to bring \(NetworkPlan.venetName) up") }

        let oldByAddress = Dictionary(old.routedAddresses.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let newSet = Set(new.routedAddresses.map(\.address))
        let removed = old.routedAddresses.filter { !newSet.contains($0.address) }
        if !removed.isEmpty {
            console.info("Deleting IP address(es): \(removed.map { $0.address.description }.joined(separator: " "))")
        }
        for a in removed {
            _ = s.inside.deleteAddress(a, index: inLink.index)
            if case .failure(let f) = s.host.deleteRoute(host(a), family: a.address.family, index: hostLink.index) {
                throw f.error(.vethError, "Unable to delete the route to \(a.address)")
            }
        }
        let added = new.routedAddresses.filter { oldByAddress[$0.address] == nil }
        if !added.isEmpty {
            console.info("Adding IP address(es): \(added.map { $0.address.description }.joined(separator: " "))")
        }
        if new.routedAddresses.contains(where: { $0.address.family == .v6 }) {
            try s.host.addAddress(IPAddress.Masked("fe80::1/64")!, index: hostLink.index, what: "Unable to add fe80::1 to \(hostName)")
        }
        for a in new.routedAddresses {
            if let before = oldByAddress[a.address], before.prefixLength == a.prefixLength { continue }
            if let before = oldByAddress[a.address] { _ = s.inside.deleteAddress(before, index: inLink.index) }
            try s.inside.addAddress(a, index: inLink.index, what: "Unable to add IP \(a)")
        }
    }

    /// The host routes to routed addresses new in `new`, once the VPS has
    /// them and its default routes: as soon as the host routes an address
    /// the VPS answers for it. A route that exists already (another VPS,
    /// an admin's) is 4.x's 78, with the address taken back from the VPS.
    private func applyRoutedHostRoutes(from old: NetworkPlan, to new: NetworkPlan, _ s: Sockets) throws(VZError) {
        let before = Set(old.routedAddresses.map(\.address))
        let added = new.routedAddresses.filter { !before.contains($0.address) }
        guard !added.isEmpty else { return }
        guard let hostLink = try s.host.link(named: new.routedHostIfname), let inLink = try s.inside.link(named: NetworkPlan.venetName) else {
            throw VZError(.vethError, "The routed interface pair \(new.routedHostIfname) / \(NetworkPlan.venetName) is missing; restart the container")
        }
        let source = try routeSource()
        for a in added {
            switch s.host.addRoute(host(a), family: a.address.family, index: hostLink.index,
                                   source: a.address.family == .v4 ? source : nil, exclusive: true) {
            case .success: continue
            case .failure(let f):
                _ = s.inside.deleteAddress(a, index: inLink.index)
                if f.errno == EEXIST {
                    throw VZError(.ipInUse, "Unable to add IP \(a.address): address already in use (the host routes it elsewhere)", errno: EADDRINUSE)
                }
                throw f.error(.cannotAddIP, "Unable to add the route to \(a.address)")
            }
        }
    }

    /// On the host: a route to the single address.
    private func host(_ a: IPAddress.Masked) -> IPAddress.Masked {
        IPAddress.Masked(a.address.description + (a.address.family == .v4 ? "/32" : "/128"))!
    }

    /// `VE_ROUTE_SRC_DEV`: its first IPv4 address (not loopback) becomes
    /// the source of the host's routes to the VPS (4.x `vzaddrouting4`).
    private func routeSource() throws(VZError) -> IPAddress? {
        guard let dev = node.global.value("VE_ROUTE_SRC_DEV"), !dev.isEmpty else { return nil }
        let host = try RouteNetlink()
        guard let l = try host.link(named: dev),
              let a = try host.addresses().first(where: { $0.index == l.index && $0.address.family == .v4 && $0.address.bytes[0] != 127 }) else {
            throw VZError(.cannotAddIP, "Unable to get source ip [\(dev)]")
        }
        return a.address
    }

    // MARK: - Bridged interfaces (NETIF)

    private func applyBridged(from old: NetworkPlan, to new: NetworkPlan, _ s: Sockets) throws(VZError) {
        func recreate(_ o: NetworkInterface, _ n: NetworkInterface) -> Bool {
            o.mac != n.mac || o.hostMAC != n.hostMAC || o.hostIfname != n.hostIfname
        }
        for o in old.bridged {
            if let n = new.bridged.first(where: { $0.ifname == o.ifname }), !recreate(o, n) { continue }
            if let l = try s.host.link(named: o.hostIfname!), l.kind == "veth", case .failure(let f) = s.host.deleteLink(l.index) {
                throw f.error(.vethError, "Unable to delete \(o.hostIfname!)")
            }
        }
        var configured: [String] = []
        for n in new.bridged {
            let o = old.bridged.first(where: { $0.ifname == n.ifname })
            let fresh = o == nil || recreate(o!, n)
            if fresh {
                try createPair(host: n.hostIfname!, hostMAC: n.hostMAC, peer: n.ifname, peerMAC: n.mac, ours: false, s)
                configured.append(n.hostIfname!)
            }
            guard let hostLink = try s.host.link(named: n.hostIfname!), let inLink = try s.inside.link(named: n.ifname) else {
                throw VZError(.vethError, "The interface pair \(n.hostIfname!) / \(n.ifname) is missing; restart the container")
            }
            if fresh || o?.bridge != n.bridge {
                var master: Int32 = 0
                if let bridge = n.bridge {
                    guard let b = try s.host.link(named: bridge), b.kind == "bridge" else {
                        throw VZError(.vethError, "Unable to add \(n.hostIfname!) to bridge \(bridge): no such bridge")
                    }
                    master = b.index
                }
                try s.host.setLink(hostLink.index, master: master, what: "Unable to add \(n.hostIfname!) to bridge \(n.bridge ?? "")")
            }
            if !hostLink.isUp { try s.host.setLink(hostLink.index, up: true, what: "Unable to bring \(n.hostIfname!) up") }
            if !inLink.isUp { try s.inside.setLink(inLink.index, up: true, what: "Unable to bring \(n.ifname) up") }
            let before = fresh ? [] : o!.addresses
            for a in before where !n.addresses.contains(a) { _ = s.inside.deleteAddress(a, index: inLink.index) }
            for a in n.addresses where !before.contains(a) {
                try s.inside.addAddress(a, index: inLink.index, what: "Unable to add IP \(a) to \(n.ifname)")
            }
        }
        if !configured.isEmpty { console.info("Configure veth devices: \(configured.joined(separator: " "))") }
    }

    /// A veth pair with its peer made directly in the VPS's namespace.
    /// `ours`: the host name is vzctl's own (`venet<CTID>`), so a veth left
    /// by an earlier run under it is removed and the creation retried.
    private func createPair(host: String, hostMAC: MACAddress?, peer: String, peerMAC: MACAddress?, ours: Bool, _ s: Sockets) throws(VZError) {
        var retried = false
        while true {
            switch s.host.createVeth(host: host, hostMAC: hostMAC, peer: peer, peerMAC: peerMAC, peerNamespace: s.namespace.fd) {
            case .success: return
            case .failure(let f) where f.errno == EEXIST && ours && !retried:
                guard let l = try s.host.link(named: host), l.kind == "veth" else {
                    throw VZError(.vethError, "Unable to create \(host): a host interface of that name exists and is not vzctl's")
                }
                _ = s.host.deleteLink(l.index)
                retried = true
            case .failure(let f) where f.errno == EEXIST:
                throw f.error(.vethError, "Unable to create the veth pair \(host) / \(peer): an interface of that name exists")
            case .failure(let f):
                throw f.error(.vethError, "Unable to create the veth pair \(host) / \(peer)")
            }
        }
    }

    // MARK: - Default routes inside

    /// One default route per family: a bridged interface's gateway when one
    /// is set (the more specific setting), else venet0 (IPv4 straight on the
    /// link, answered by the host's proxy ARP; IPv6 through fe80::1).
    /// A default route vzctl made is removed only when the plan drops it;
    /// one the VPS made itself (DHCP on a bridge) is left alone.
    private func applyDefaultRoutes(from old: NetworkPlan, to new: NetworkPlan, _ s: Sockets) throws(VZError) {
        func target(_ plan: NetworkPlan, _ family: IPAddress.Family) -> (device: String, gateway: IPAddress?)? {
            if let n = plan.bridged.first(where: { (family == .v4 ? $0.gateway : $0.gateway6) != nil }) {
                return (n.ifname, family == .v4 ? n.gateway : n.gateway6)
            }
            if plan.routedAddresses.contains(where: { $0.address.family == family }) {
                return (NetworkPlan.venetName, family == .v4 ? nil : ContainerNetwork.gateway6)
            }
            return nil
        }
        for family in [IPAddress.Family.v4, .v6] {
            guard let target = target(new, family) else {
                if let before = target(old, family), let l = try s.inside.link(named: before.device) {
                    _ = s.inside.deleteRoute(nil, family: family, index: l.index)
                }
                continue
            }
            guard let l = try s.inside.link(named: target.device) else { continue }
            if case .failure(let f) = s.inside.addRoute(nil, family: family, index: l.index, gateway: target.gateway, exclusive: false) {
                throw f.error(.cannotAddIP, "Unable to set the default route through \(target.device)")
            }
        }
    }

    // MARK: - Proxy ARP/NDP

    private func plannedProxies(_ addresses: [IPAddress], _ mode: NeighbourDevices, _ host: RouteNetlink) throws(VZError) -> [NetworkRecord.Proxy] {
        guard !addresses.isEmpty, mode != .none else { return [] }
        let links = try host.links()
        let withAddress = Set(try host.addresses().map(\.index))
        let facts = links.map { l in
            NeighbourDevices.HostInterface(name: l.name, up: l.isUp, loopback: l.flags & RouteNetlink.iffLoopback != 0,
                                           noARP: l.flags & RouteNetlink.iffNoARP != 0, slave: l.flags & RouteNetlink.iffSlave != 0,
                                           hasAddress: withAddress.contains(l.index))
        }
        var out: [NetworkRecord.Proxy] = []
        for a in addresses {
            var route: NeighbourDevices.Route?
            if mode.needsRoute, let r = try host.lookup(a), let i = r.index, let l = links.first(where: { $0.index == i }) {
                route = NeighbourDevices.Route(device: l.name, gateway: r.gateway)
            }
            for d in mode.devices(for: a, interfaces: facts, route: route) {
                out.append(.init(device: d, address: a))
                if a.family == .v6, ((try? Files.readString("/proc/sys/net/ipv6/conf/\(d)/proxy_ndp")) ?? nil)?.hasPrefix("0") == true {
                    console.error("Warning: \(d) answers for \(a) only with net.ipv6.conf.\(d).proxy_ndp=1")
                }
            }
        }
        return out
    }
}
