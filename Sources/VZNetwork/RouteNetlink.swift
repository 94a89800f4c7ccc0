import Glibc
import VZConfig
import VZSystem

/// rtnetlink requests, as `ip link/addr/route/neigh` make them, on one
/// netlink socket (host or VPS namespace: whichever it was opened in).
public struct RouteNetlink {
    public let socket: NetlinkSocket

    public init(_ socket: NetlinkSocket) { self.socket = socket }

    public init() throws(VZError) { socket = try NetlinkSocket(protocol: NetlinkSocket.route) }

    // rtnetlink message types and attributes (linux/rtnetlink.h, if_link.h,
    // if_addr.h, neighbour.h, veth.h).
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18, setLink: UInt16 = 19
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    static let newNeigh: UInt16 = 28, delNeigh: UInt16 = 29, getNeigh: UInt16 = 30

    static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMaster: UInt16 = 10, iflaLinkinfo: UInt16 = 18
    static let iflaNetNsFD: UInt16 = 28, iflaLinkNetnsid: UInt16 = 37
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2, vethPeer: UInt16 = 1
    static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2, ifaFlags: UInt16 = 8
    static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5, rtaPrefsrc: UInt16 = 7, rtaTable: UInt16 = 15
    static let ndaDst: UInt16 = 1

    public static let iffUp: UInt32 = 0x1, iffLoopback: UInt32 = 0x8, iffNoARP: UInt32 = 0x80, iffSlave: UInt32 = 0x800
    static let ifaFNoDAD: UInt32 = 0x02
    static let rtnUnicast: UInt8 = 1, rtnLocal: UInt8 = 2
    static let rtProtBoot: UInt8 = 3
    static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253
    static let tableMain: UInt8 = 254
    static let rtnhFOnlink: UInt32 = 4
    static let ntfProxy: UInt8 = 0x08
    static let nudPermanent: UInt16 = 0x80

    static func family(_ f: IPAddress.Family) -> UInt8 { f == .v4 ? UInt8(AF_INET) : UInt8(AF_INET6) }

    // MARK: - Links

    /// A link as the kernel reports it.
    public struct Link: Sendable, Equatable {
        public var index: Int32
        public var name: String
        public var flags: UInt32
        public var kind: String?
        public var master: Int32?
        public var mac: [UInt8]?
        /// The peer lives in another namespace (veth moved or made there).
        public var peerElsewhere: Bool

        public var isUp: Bool { flags & RouteNetlink.iffUp != 0 }
    }

    static func ifinfo(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        // ifinfomsg: family, pad, type, index, flags, change
        [UInt8(AF_UNSPEC), 0, 0, 0] + NetlinkMessage.le32(UInt32(bitPattern: index)) + NetlinkMessage.le32(flags) + NetlinkMessage.le32(change)
    }

    static func link(from r: NetlinkReply) -> Link {
        let a = r.attributes(after: 16)
        let info = a.nested(iflaLinkinfo)
        return Link(index: r.i32(at: 4), name: a.string(iflaIfname) ?? "", flags: r.u32(at: 8),
                    kind: info?.string(infoKind), master: a.u32(iflaMaster).map { Int32(bitPattern: $0) },
                    mac: a[iflaAddress].map(Array.init), peerElsewhere: a[iflaLinkNetnsid] != nil)
    }

    /// The link called `name`, nil when there is none.
    public func link(named name: String) throws(VZError) -> Link? {
        var m = NetlinkMessage(type: RouteNetlink.getLink, flags: NetlinkSocket.flagRequest, header: RouteNetlink.ifinfo())
        m.put(RouteNetlink.iflaIfname, string: name)
        switch socket.exchange(m) {
        case .success(let r): return r.first.map(RouteNetlink.link)
        case .failure(let f) where f.errno == ENODEV: return nil
        case .failure(let f): throw f.error(.system, "Unable to look up network interface \(name)")
        }
    }

    public func links() throws(VZError) -> [Link] {
        let m = NetlinkMessage(type: RouteNetlink.getLink, flags: NetlinkSocket.flagRequest | NetlinkSocket.flagDump, header: RouteNetlink.ifinfo())
        return try socket.request(m, "Unable to list network interfaces").filter { $0.type == RouteNetlink.newLink }.map(RouteNetlink.link)
    }

    /// A veth pair: `host` here, `peer` created straight in the namespace
    /// `peerNamespace` (an nsfs fd), so it never appears on the host.
    public func createVeth(host: String, hostMAC: MACAddress?, peer: String, peerMAC: MACAddress?, peerNamespace: FileDescriptor) -> Result<Void, NetlinkSocket.Failure> {
        var m = NetlinkMessage(type: RouteNetlink.newLink,
                               flags: NetlinkSocket.flagRequest | NetlinkSocket.flagCreate | NetlinkSocket.flagExclusive,
                               header: RouteNetlink.ifinfo())
        m.put(RouteNetlink.iflaIfname, string: host)
        if let hostMAC { m.put(RouteNetlink.iflaAddress, hostMAC.bytes) }
        m.nest(RouteNetlink.iflaLinkinfo) { info in
            info.put(RouteNetlink.infoKind, string: "veth")
            info.nest(RouteNetlink.infoData) { data in
                // VETH_INFO_PEER: an ifinfomsg, then the peer's attributes.
                let start = data.bytes.count
                data.put(RouteNetlink.vethPeer, [])
                var peerPart = NetlinkMessage(type: 0, flags: 0, header: RouteNetlink.ifinfo())
                peerPart.put(RouteNetlink.iflaIfname, string: peer)
                if let peerMAC { peerPart.put(RouteNetlink.iflaAddress, peerMAC.bytes) }
                peerPart.put(RouteNetlink.iflaNetNsFD, u32: UInt32(bitPattern: peerNamespace.raw))
                data.replaceTail(from: start, type: RouteNetlink.vethPeer | NetlinkMessage.nestedFlag,
                                 payload: Array(peerPart.bytes[NetlinkMessage.headerLength...]))
            }
        }
        return withExtendedLifetime(peerNamespace) { socket.exchange(m).map { _ in () } }
    }

    /// Changes an existing link: up/down, MAC, master (0 = none), name.
    public func setLink(_ index: Int32, up: Bool? = nil, mac: MACAddress? = nil, master: Int32? = nil, name: String? = nil,
                        what: @autoclosure () -> String) throws(VZError) {
        var flags: UInt32 = 0, change: UInt32 = 0
        if let up { flags = up ? RouteNetlink.iffUp : 0; change = RouteNetlink.iffUp }
        var m = NetlinkMessage(type: RouteNetlink.newLink, flags: NetlinkSocket.flagRequest,
                               header: RouteNetlink.ifinfo(index: index, flags: flags, change: change))
        if let mac { m.put(RouteNetlink.iflaAddress, mac.bytes) }
        if let master { m.put(RouteNetlink.iflaMaster, u32: UInt32(bitPattern: master)) }
        if let name { m.put(RouteNetlink.iflaIfname, string: name) }
        try socket.request(m, code: .vethError, what())
    }

    /// Deletes a link; one that is already gone is not an error.
    public func deleteLink(_ index: Int32) -> Result<Void, NetlinkSocket.Failure> {
        let m = NetlinkMessage(type: RouteNetlink.delLink, flags: NetlinkSocket.flagRequest, header: RouteNetlink.ifinfo(index: index))
        switch socket.exchange(m) {
        case .success: return .success(())
        case .failure(let f) where [ENODEV].contains(f.errno): return .success(())
        case .failure(let f): return .failure(f)
        }
    }

    // MARK: - Addresses

    static func ifaddr(_ a: IPAddress.Masked, index: Int32, flags: UInt8 = 0, scope: UInt8 = 0) -> [UInt8] {
        let prefix = a.prefixLength ?? (a.address.family == .v4 ? 32 : 128)
        return [family(a.address.family), UInt8(prefix), flags, scope] + NetlinkMessage.le32(UInt32(bitPattern: index))
    }

    /// `ip addr add A/N dev INDEX [nodad]`; an address already there is fine.
    public func addAddress(_ a: IPAddress.Masked, index: Int32, what: @autoclosure () -> String) throws(VZError) {
        var m = NetlinkMessage(type: RouteNetlink.newAddr, flags: NetlinkSocket.flagRequest | NetlinkSocket.flagCreate | NetlinkSocket.flagReplace,
                               header: RouteNetlink.ifaddr(a, index: index))
        m.put(RouteNetlink.ifaLocal, a.address.bytes)
        m.put(RouteNetlink.ifaAddress, a.address.bytes)
        // No duplicate address detection: the host end is ours and the
        // address is the VPS's; DAD would only hold it "tentative" ~1 s.
        if a.address.family == .v6 { m.put(RouteNetlink.ifaFlags, u32: RouteNetlink.ifaFNoDAD) }
        try socket.request(m, code: .cannotAddIP, what())
    }

    public func deleteAddress(_ a: IPAddress.Masked, index: Int32) -> Result<Void, NetlinkSocket.Failure> {
        var m = NetlinkMessage(type: RouteNetlink.delAddr, flags: NetlinkSocket.flagRequest, header: RouteNetlink.ifaddr(a, index: index))
        m.put(RouteNetlink.ifaLocal, a.address.bytes)
        switch socket.exchange(m) {
        case .success: return .success(())
        case .failure(let f) where [EADDRNOTAVAIL, ENODEV].contains(f.errno):
            return .success(())
        case .failure(let f): return .failure(f)
        }
    }

    /// Every (interface index, address) of the namespace.
    public func addresses() throws(VZError) -> [(index: Int32, address: IPAddress)] {
        let m = NetlinkMessage(type: RouteNetlink.getAddr, flags: NetlinkSocket.flagRequest | NetlinkSocket.flagDump,
                               header: [UInt8(AF_UNSPEC), 0, 0, 0, 0, 0, 0, 0])
        var out: [(Int32, IPAddress)] = []
        for r in try socket.request(m, "Unable to list addresses") where r.type == RouteNetlink.newAddr {
            let a = r.attributes(after: 8)
            guard let bytes = a[RouteNetlink.ifaLocal] ?? a[RouteNetlink.ifaAddress], let ip = IPAddress(bytes: Array(bytes)) else { continue }
            out.append((r.i32(at: 4), ip))
        }
        return out
    }

    // MARK: - Routes

    static func rtmsg(family: UInt8, dstLen: UInt8, scope: UInt8, type: UInt8, flags: UInt32 = 0) -> [UInt8] {
        // family, dst_len, src_len, tos, table, protocol, scope, type, flags
        [family, dstLen, 0, 0, tableMain, rtProtBoot, scope, type] + NetlinkMessage.le32(flags)
    }

    /// A route to `destination` (nil: default) out of `index`, through
    /// `gateway` (on-link) or straight on the link, with `source` preferred.
    /// `exclusive`: fail with EEXIST if the same destination is routed.
    public func addRoute(_ destination: IPAddress.Masked?, family: IPAddress.Family, index: Int32, gateway: IPAddress? = nil,
                         source: IPAddress? = nil, exclusive: Bool) -> Result<Void, NetlinkSocket.Failure> {
        var m = routeMessage(RouteNetlink.newRoute, destination, family: family, index: index, gateway: gateway,
                             flags: NetlinkSocket.flagRequest | NetlinkSocket.flagCreate | (exclusive ? NetlinkSocket.flagExclusive : NetlinkSocket.flagReplace))
        if let source { m.put(RouteNetlink.rtaPrefsrc, source.bytes) }
        return socket.exchange(m).map { _ in () }
    }

    public func deleteRoute(_ destination: IPAddress.Masked?, family: IPAddress.Family, index: Int32) -> Result<Void, NetlinkSocket.Failure> {
        var m = routeMessage(RouteNetlink.delRoute, destination, family: family, index: index, gateway: nil, flags: NetlinkSocket.flagRequest)
        // RT_SCOPE_NOWHERE matches a route of any scope: IPv4 deletes only
        // what matches the scope given, and a gateway route is universe.
        // (rtmsg's scope byte, after the 16-byte nlmsghdr.)
        m.bytes[NetlinkMessage.headerLength + 6] = 255
        switch socket.exchange(m) {
        case .success: return .success(())
        case .failure(let f) where [ESRCH, ENODEV].contains(f.errno):
            return .success(())
        case .failure(let f): return .failure(f)
        }
    }

    private func routeMessage(_ type: UInt16, _ destination: IPAddress.Masked?, family: IPAddress.Family, index: Int32,
                              gateway: IPAddress?, flags: UInt16) -> NetlinkMessage {
        let full = family == .v4 ? 32 : 128
        let dstLen = destination.map { $0.prefixLength ?? full } ?? 0
        var m = NetlinkMessage(type: type, flags: flags,
                               header: RouteNetlink.rtmsg(family: RouteNetlink.family(family), dstLen: UInt8(dstLen),
                                                         scope: gateway == nil ? RouteNetlink.scopeLink : RouteNetlink.scopeUniverse,
                                                         type: RouteNetlink.rtnUnicast, flags: gateway == nil ? 0 : RouteNetlink.rtnhFOnlink))
        if let destination { m.put(RouteNetlink.rtaDst, RouteNetlink.network(destination, length: dstLen)) }
        if let gateway { m.put(RouteNetlink.rtaGateway, gateway.bytes) }
        if index != 0 { m.put(RouteNetlink.rtaOif, i32: index) }
        return m
    }

    /// The address with host bits cleared (routes name networks).
    static func network(_ a: IPAddress.Masked, length: Int) -> [UInt8] {
        var b = a.address.bytes
        for i in 0..<b.count {
            let bits = max(0, min(8, length - 8 * i))
            b[i] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
        return b
    }

    /// How the namespace would send to `address`: `ip route get`.
    public struct RouteLookup: Sendable, Equatable {
        public var index: Int32?
        public var gateway: IPAddress?
        /// The address is one of this namespace's own.
        public var isLocal: Bool
    }

    /// nil when there is no route at all.
    public func lookup(_ address: IPAddress) throws(VZError) -> RouteLookup? {
        var m = NetlinkMessage(type: RouteNetlink.getRoute, flags: NetlinkSocket.flagRequest,
                               header: RouteNetlink.rtmsg(family: RouteNetlink.family(address.family), dstLen: address.family == .v4 ? 32 : 128,
                                                         scope: 0, type: 0))
        m.put(RouteNetlink.rtaDst, address.bytes)
        switch socket.exchange(m) {
        case .success(let replies):
            guard let r = replies.first(where: { $0.type == RouteNetlink.newRoute }) else { return nil }
            let a = r.attributes(after: 12)
            return RouteLookup(index: a.u32(RouteNetlink.rtaOif).map { Int32(bitPattern: $0) },
                               gateway: a[RouteNetlink.rtaGateway].flatMap { IPAddress(bytes: Array($0)) },
                               isLocal: r.u8(at: 7) == RouteNetlink.rtnLocal)
        case .failure(let f) where [ENETUNREACH, EHOSTUNREACH, ESRCH].contains(f.errno):
            return nil
        case .failure(let f):
            throw f.error(.system, "Unable to look up the route to \(address)")
        }
    }

    // MARK: - Proxy neighbours

    static func ndmsg(_ family: IPAddress.Family, index: Int32) -> [UInt8] {
        // family, pad1, pad2, ifindex, state, flags, type
        [RouteNetlink.family(family), 0, 0, 0] + NetlinkMessage.le32(UInt32(bitPattern: index))
            + NetlinkMessage.le16(nudPermanent) + [ntfProxy, 0]
    }

    /// `ip neigh add proxy A dev INDEX` (ARP for IPv4, NDP for IPv6).
    public func addProxy(_ address: IPAddress, index: Int32) -> Result<Void, NetlinkSocket.Failure> {
        var m = NetlinkMessage(type: RouteNetlink.newNeigh, flags: NetlinkSocket.flagRequest | NetlinkSocket.flagCreate | NetlinkSocket.flagReplace,
                               header: RouteNetlink.ndmsg(address.family, index: index))
        m.put(RouteNetlink.ndaDst, address.bytes)
        return socket.exchange(m).map { _ in () }
    }

    public func deleteProxy(_ address: IPAddress, index: Int32) -> Result<Void, NetlinkSocket.Failure> {
        var m = NetlinkMessage(type: RouteNetlink.delNeigh, flags: NetlinkSocket.flagRequest, header: RouteNetlink.ndmsg(address.family, index: index))
        m.put(RouteNetlink.ndaDst, address.bytes)
        switch socket.exchange(m) {
        case .success: return .success(())
        case .failure(let f) where [ENOENT, ENODEV].contains(f.errno):
            return .success(())
        case .failure(let f): return .failure(f)
        }
    }

    /// Every proxy entry of the namespace: (interface index, address).
    public func proxies() throws(VZError) -> [(index: Int32, address: IPAddress)] {
        var out: [(Int32, IPAddress)] = []
        for family in [IPAddress.Family.v4, .v6] {
            let m = NetlinkMessage(type: RouteNetlink.getNeigh, flags: NetlinkSocket.flagRequest | NetlinkSocket.flagDump,
                                   header: RouteNetlink.ndmsg(family, index: 0))
            for r in try socket.request(m, "Unable to list proxy neighbour entries") where r.type == RouteNetlink.newNeigh {
                guard r.u8(at: 10) & RouteNetlink.ntfProxy != 0,
                      let bytes = r.attributes(after: 12)[RouteNetlink.ndaDst], let ip = IPAddress(bytes: Array(bytes)) else { continue }
                out.append((r.i32(at: 4), ip))
            }
        }
        return out
    }
}

extension NetlinkMessage {
    /// Replaces everything from `start` with one attribute (used where an
    /// attribute's payload is a header plus attributes, as VETH_INFO_PEER).
    mutating func replaceTail(from start: Int, type: UInt16, payload: [UInt8]) {
        var b = Array(bytes[..<start])
        b += NetlinkMessage.le16(UInt16(4 + payload.count)) + NetlinkMessage.le16(type) + payload
        while b.count % 4 != 0 { b.append(0) }
        bytes = b
    }
}
