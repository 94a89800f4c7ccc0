/// One netlink request as bytes: `nlmsghdr`, the family's fixed header,
/// then attributes (`rtattr`/`nlattr`: length, type, payload, 4-byte
/// aligned), nested ones built in place. Netlink is host byte order except
/// where a family says otherwise (nftables: network order, the `be32`
/// puts).
public struct NetlinkMessage: Sendable {
    public internal(set) var bytes: [UInt8]

    public static let headerLength = 16

    public init(type: UInt16, flags: UInt16, header: [UInt8] = []) {
        bytes = []
        bytes.reserveCapacity(256)
        append32(0) // length, patched by `finished`
        append16(type)
        append16(flags)
        append32(0) // seq, patched by the socket
        append32(0) // port id: 0, the kernel fills it in
        bytes += header
        pad()
    }

    public var type: UInt16 { UInt16(bytes[4]) | UInt16(bytes[5]) << 8 }

    /// Adds header flags (NLM_F_ACK before sending).
    public mutating func addFlags(_ f: UInt16) { NetlinkMessage.store16(flags | f, into: &bytes, at: 6) }
    public var flags: UInt16 { UInt16(bytes[6]) | UInt16(bytes[7]) << 8 }

    /// The message with its length and sequence number set.
    func finished(seq: UInt32) -> [UInt8] {
        var b = bytes
        NetlinkMessage.store32(UInt32(b.count), into: &b, at: 0)
        NetlinkMessage.store32(seq, into: &b, at: 8)
        return b
    }

    // MARK: - Attributes

    public mutating func put(_ type: UInt16, _ payload: [UInt8]) {
        append16(UInt16(4 + payload.count))
        append16(type)
        bytes += payload
        pad()
    }

    /// A NUL-terminated string (IFNAME, KIND, table and chain names).
    public mutating func put(_ type: UInt16, string: String) { put(type, Array(string.utf8) + [0]) }
    public mutating func put(_ type: UInt16, u8: UInt8) { put(type, [u8]) }
    public mutating func put(_ type: UInt16, u32: UInt32) { put(type, NetlinkMessage.le32(u32)) }
    public mutating func put(_ type: UInt16, i32: Int32) { put(type, NetlinkMessage.le32(UInt32(bitPattern: i32))) }
    /// Network byte order (nftables).
    public mutating func put(_ type: UInt16, be32: UInt32) { put(type, NetlinkMessage.be32(be32)) }

    /// A nested attribute (NLA_F_NESTED set, as strict kernels want it).
    public mutating func nest(_ type: UInt16, _ body: (inout NetlinkMessage) -> Void) {
        let start = bytes.count
        append16(0)
        append16(type | NetlinkMessage.nestedFlag)
        body(&self)
        NetlinkMessage.store16(UInt16(bytes.count - start), into: &bytes, at: start)
    }

    public static let nestedFlag: UInt16 = 0x8000

    // MARK: - Bytes

    private mutating func append16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    private mutating func append32(_ v: UInt32) { bytes += NetlinkMessage.le32(v) }
    private mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    public static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }
    public static func be32(_ v: UInt32) -> [UInt8] { le32(v).reversed() }
    public static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    static func store16(_ v: UInt16, into b: inout [UInt8], at i: Int) {
        b[i] = UInt8(v & 0xff)
        b[i + 1] = UInt8(v >> 8)
    }

    static func store32(_ v: UInt32, into b: inout [UInt8], at i: Int) {
        for k in 0..<4 { b[i + k] = UInt8((v >> (8 * UInt32(k))) & 0xff) }
    }
}

/// One message the kernel sent back: its type and flags, and the payload
/// after `nlmsghdr` (the family header, then attributes).
public struct NetlinkReply: Sendable {
    public let type: UInt16
    public let flags: UInt16
    public let seq: UInt32
    public let payload: ArraySlice<UInt8>

    /// Attributes following a fixed header of `headerLength` bytes.
    public func attributes(after headerLength: Int) -> NetlinkAttributes {
        let start = payload.startIndex + min(headerLength, payload.count)
        return NetlinkAttributes(payload[start...])
    }

    public func u8(at offset: Int) -> UInt8 { payload[payload.startIndex + offset] }
    public func u16(at offset: Int) -> UInt16 { NetlinkAttributes.le16(payload, payload.startIndex + offset) }
    public func u32(at offset: Int) -> UInt32 { NetlinkAttributes.le32(payload, payload.startIndex + offset) }
    public func i32(at offset: Int) -> Int32 { Int32(bitPattern: u32(at: offset)) }
}

/// Attributes of a reply, by type (the first of a repeated type wins).
public struct NetlinkAttributes: Sendable {
    public private(set) var values: [UInt16: ArraySlice<UInt8>] = [:]
    /// Every attribute in order, repeated types included (nested lists).
    public private(set) var all: [(type: UInt16, value: ArraySlice<UInt8>)] = []

    public init(_ bytes: ArraySlice<UInt8>) {
        var i = bytes.startIndex
        while i + 4 <= bytes.endIndex {
            let len = Int(NetlinkAttributes.le16(bytes, i))
            let type = NetlinkAttributes.le16(bytes, i + 2) & 0x3fff
            guard len >= 4, i + len <= bytes.endIndex else { break }
            let value = bytes[(i + 4)..<(i + len)]
            if values[type] == nil { values[type] = value }
            all.append((type, value))
            i += (len + 3) & ~3
        }
    }

    public subscript(_ type: UInt16) -> ArraySlice<UInt8>? { values[type] }

    public func string(_ type: UInt16) -> String? {
        guard let v = values[type] else { return nil }
        return String(decoding: v.prefix { $0 != 0 }, as: UTF8.self)
    }

    public func u32(_ type: UInt16) -> UInt32? {
        guard let v = values[type], v.count >= 4 else { return nil }
        return NetlinkAttributes.le32(v, v.startIndex)
    }

    public func nested(_ type: UInt16) -> NetlinkAttributes? {
        values[type].map { NetlinkAttributes($0) }
    }

    static func le16(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func le32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
