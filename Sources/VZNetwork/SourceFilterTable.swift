import Glibc
import VZConfig

/// The host's anti-spoofing for a VPS: one nftables table per VPS
/// (`netdev vzctl-CTID`) with a base chain on the ingress hook of each
/// filtered host-side interface, built over nfnetlink:
///
///     table netdev vzctl-101 {
///       chain venet101 {
///         type filter hook ingress device "venet101" priority -500; policy drop;
///         [ether saddr != MAC counter drop]
///         meta protocol ip    ip saddr  A            accept   (each IPv4 address)
///         meta protocol arp   arp saddr ip A|0.0.0.0 accept
///         meta protocol ip6   ip6 saddr B            accept   (each IPv6 address)
///         ether type 8021q|8021ad counter drop             (tagged frames)
///         icmpv6 type nd-router-advert|nd-redirect counter drop
///         meta protocol ip6   ip6 saddr fe80::/10    accept   (NDP, router discovery)
///         counter drop
///       }
///     }
///
/// Why nftables on the ingress hook: it sees every frame the VPS sends
/// before routing, bridging or local delivery, for IPv4, IPv6 and ARP
/// alike, and lives in the host's namespace where the VPS's root cannot
/// touch it. `rp_filter` would cover IPv4 only, and a host whose
/// `conf.all.rp_filter` is 2 (loose) silently overrides a per-device 1;
/// tc flower/gact are often not built. Cost per frame: a few register
/// compares per address on the VPS's own ingress, nothing for other traffic.
/// The table is replaced whole in one transaction on every change, so a
/// live `--ipadd` never opens a window with no filter.
public enum SourceFilterTable {
    static let family: UInt8 = 5 // NFPROTO_NETDEV
    static let subsystem: UInt16 = 10 // NFNL_SUBSYS_NFTABLES
    static let newTable: UInt16 = 0, getTable: UInt16 = 1, delTable: UInt16 = 2, newChain: UInt16 = 3, newRule: UInt16 = 6
    static let priority: Int32 = -500

    static func message(_ type: UInt16, flags: UInt16) -> NetlinkMessage {
        NetlinkMessage(type: subsystem << 8 | type, flags: NetlinkSocket.flagRequest | flags, header: [family, 0, 0, 0])
    }

    static var batchBegin: NetlinkMessage {
        NetlinkMessage(type: 0x10, flags: NetlinkSocket.flagRequest, header: [0, 0] + NetlinkMessage.be16(subsystem))
    }

    static var batchEnd: NetlinkMessage {
        NetlinkMessage(type: 0x11, flags: NetlinkSocket.flagRequest, header: [0, 0] + NetlinkMessage.be16(subsystem))
    }

    /// Makes `table` hold exactly `filters` (no table at all when empty),
    /// atomically.
    ///
    /// A new table is created exclusively, in one batch. Only when one
    /// exists is it replaced by add (a no-op), delete, add and fill in one
    /// batch: deleting anything costs an RCU grace period, which nf_tables
    /// makes the closing of this socket wait for (~20 ms on a busy VM), so
    /// a start, which finds no table, never deletes.
    public static func replace(_ table: String, filters: [NetworkPlan.SourceFilter], socket: NetlinkSocket) -> Result<Void, NetlinkSocket.Failure> {
        if !filters.isEmpty {
            var create = message(newTable, flags: NetlinkSocket.flagCreate | NetlinkSocket.flagExclusive)
            create.put(1, string: table)
            switch socket.batch([create] + filters.flatMap { chain(table, $0) }, begin: batchBegin, end: batchEnd) {
            case .failure(let f) where f.errno == EEXIST: break
            case let other: return other
            }
        }
        var msgs: [NetlinkMessage] = []
        var add = message(newTable, flags: NetlinkSocket.flagCreate)
        add.put(1, string: table) // NFTA_TABLE_NAME
        var del = message(delTable, flags: 0)
        del.put(1, string: table)
        msgs += [add, del]
        if !filters.isEmpty {
            msgs.append(add)
            for f in filters { msgs += chain(table, f) }
        }
        return socket.batch(msgs, begin: batchBegin, end: batchEnd)
    }

    /// Removes `table`; one that does not exist is not an error.
    public static func delete(_ table: String, socket: NetlinkSocket) -> Result<Void, NetlinkSocket.Failure> {
        var del = message(delTable, flags: 0)
        del.put(1, string: table)
        switch socket.batch([del], begin: batchBegin, end: batchEnd) {
        case .success: return .success(())
        case .failure(let f) where f.errno == ENOENT: return .success(())
        case .failure(let f): return .failure(f)
        }
    }

    public static func exists(_ table: String, socket: NetlinkSocket) -> Bool {
        var get = message(getTable, flags: 0)
        get.put(1, string: table)
        if case .success = socket.exchange(get) { return true }
        return false
    }

    // MARK: - Chain and rules

    static func chain(_ table: String, _ f: NetworkPlan.SourceFilter) -> [NetlinkMessage] {
        var c = message(newChain, flags: NetlinkSocket.flagCreate)
        c.put(1, string: table)        // NFTA_CHAIN_TABLE
        c.put(3, string: f.device)     // NFTA_CHAIN_NAME
        c.nest(4) { h in               // NFTA_CHAIN_HOOK
            h.put(1, be32: 0)          // NFTA_HOOK_HOOKNUM: NF_NETDEV_INGRESS
            h.put(2, be32: UInt32(bitPattern: priority)) // NFTA_HOOK_PRIORITY
            h.put(3, string: f.device) // NFTA_HOOK_DEV
        }
        c.put(5, be32: 0)              // NFTA_CHAIN_POLICY: NF_DROP
        c.put(7, string: "filter")     // NFTA_CHAIN_TYPE
        var out = [c]
        func rule(_ exprs: [Expression]) {
            var r = message(newRule, flags: NetlinkSocket.flagCreate | NetlinkSocket.flagAppend)
            r.put(1, string: table)    // NFTA_RULE_TABLE
            r.put(2, string: f.device) // NFTA_RULE_CHAIN
            r.nest(4) { list in        // NFTA_RULE_EXPRESSIONS
                for e in exprs.flatMap(\.expanded) { list.nest(1) { e.encode(into: &$0) } } // NFTA_LIST_ELEM
            }
            out.append(r)
        }
        if let mac = f.mac {
            rule([.payload(base: 0, offset: 6, length: 6), .cmp(equal: false, mac.bytes), .counter, .verdict(accept: false)])
        }
        // VLAN-tagged frames (802.1Q, 802.1ad): the kernel strips the tag
        // before this hook, so the address rules below would judge the
        // inner header and let a tagged frame onto another VLAN of the
        // bridge. nftables rebuilds the tag for link-layer reads.
        rule([.payload(base: 0, offset: 12, length: 2), .cmp(equal: true, NetlinkMessage.be16(0x8100)), .counter, .verdict(accept: false)])
        rule([.payload(base: 0, offset: 12, length: 2), .cmp(equal: true, NetlinkMessage.be16(0x88a8)), .counter, .verdict(accept: false)])
        // Router advertisements and redirects are the host's and the
        // network's to send, never a VPS's (with NET_RAW it could
        // otherwise give the host a default route through itself). The
        // kernel finds the ICMPv6 header past any extension headers.
        for type: UInt8 in [134, 137] {
            rule([.protocol(0x86dd), .metaL4Proto, .cmp(equal: true, [58]),
                  .payload(base: 2, offset: 0, length: 1), .cmp(equal: true, [type]), .counter, .verdict(accept: false)])
        }
        guard let addresses = f.addresses else {
            rule([.verdict(accept: true)])
            return out
        }
        for a in addresses {
            if a.family == .v4 {
                rule([.protocol(0x0800), .payload(base: 1, offset: 12, length: 4), .cmp(equal: true, a.bytes), .verdict(accept: true)])
                rule([.protocol(0x0806), .payload(base: 1, offset: 14, length: 4), .cmp(equal: true, a.bytes), .verdict(accept: true)])
            } else {
                rule([.protocol(0x86dd), .payload(base: 1, offset: 8, length: 16), .cmp(equal: true, a.bytes), .verdict(accept: true)])
            }
        }
        // ARP probes (RFC 5227) carry 0.0.0.0; IPv6 link-local sources are
        // the link's own business (neighbour and router discovery).
        rule([.protocol(0x0806), .payload(base: 1, offset: 14, length: 4), .cmp(equal: true, [0, 0, 0, 0]), .verdict(accept: true)])
        rule([.protocol(0x86dd), .payload(base: 1, offset: 8, length: 2), .mask([0xff, 0xc0]), .cmp(equal: true, [0xfe, 0x80]), .verdict(accept: true)])
        rule([.counter, .verdict(accept: false)])
        return out
    }

    /// The handful of nftables expressions the filter needs.
    enum Expression {
        case payload(base: UInt32, offset: UInt32, length: UInt32)
        case cmp(equal: Bool, [UInt8])
        case mask([UInt8])
        case counter
        case verdict(accept: Bool)
        /// `meta protocol` (the frame's ethertype) compared to a value.
        case `protocol`(UInt16)
        case metaProtocol
        /// `meta l4proto`: the transport protocol after extension headers.
        case metaL4Proto

        static let reg1: UInt32 = 1

        /// `protocol(x)` is a meta load and a compare.
        var expanded: [Expression] {
            if case .protocol(let v) = self { return [.metaProtocol, .cmp(equal: true, NetlinkMessage.be16(v))] }
            return [self]
        }

        func encode(into e: inout NetlinkMessage) {
            switch self {
            case .payload(let base, let offset, let length):
                e.put(1, string: "payload")
                e.nest(2) { d in
                    d.put(1, be32: Expression.reg1); d.put(2, be32: base); d.put(3, be32: offset); d.put(4, be32: length)
                }
            case .cmp(let equal, let value):
                e.put(1, string: "cmp")
                e.nest(2) { d in
                    d.put(1, be32: Expression.reg1)
                    d.put(2, be32: equal ? 0 : 1) // NFT_CMP_EQ / NFT_CMP_NEQ
                    d.nest(3) { $0.put(1, value) } // NFTA_CMP_DATA { NFTA_DATA_VALUE }
                }
            case .mask(let mask):
                e.put(1, string: "bitwise")
                e.nest(2) { d in
                    d.put(1, be32: Expression.reg1); d.put(2, be32: Expression.reg1); d.put(3, be32: UInt32(mask.count))
                    d.nest(4) { $0.put(1, mask) }
                    d.nest(5) { $0.put(1, [UInt8](repeating: 0, count: mask.count)) }
                }
            case .counter:
                e.put(1, string: "counter")
                e.nest(2) { _ in }
            case .verdict(let accept):
                e.put(1, string: "immediate")
                e.nest(2) { d in
                    d.put(1, be32: 0) // NFT_REG_VERDICT
                    d.nest(2) { data in data.nest(2) { $0.put(1, be32: accept ? 1 : 0) } } // DATA { VERDICT { CODE } }
                }
            case .metaProtocol:
                e.put(1, string: "meta")
                e.nest(2) { d in d.put(1, be32: Expression.reg1); d.put(2, be32: 1) } // DREG, KEY: NFT_META_PROTOCOL
            case .metaL4Proto:
                e.put(1, string: "meta")
                e.nest(2) { d in d.put(1, be32: Expression.reg1); d.put(2, be32: 16) } // DREG, KEY: NFT_META_L4PROTO
            case .protocol:
                preconditionFailure("expanded before encoding")
            }
        }
    }
}
