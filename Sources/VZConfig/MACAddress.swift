/// An Ethernet address as NETIF keeps it: `XX:XX:XX:XX:XX:XX`, written in
/// upper case as vzctl's `MAC2STR_FMT` did.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The OpenVZ OUI vzctl used for generated addresses (compat §7).
    public static let openVZPrefix: [UInt8] = [0x00, 0x18, 0x51]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Six colon-separated pairs of hex digits. Multicast and all-zero
    /// addresses are refused: the kernel rejects them on a veth anyway.
    public init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 17 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(6)
        for k in 0..<6 {
            let o = k * 3
            if k > 0 && u[o - 1] != UInt8(ascii: ":") { return nil }
            guard let hi = ValueSyntax.hexDigit(u[o]), let lo = ValueSyntax.hexDigit(u[o + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        guard out[0] & 1 == 0, out.contains(where: { $0 != 0 }) else { return nil }
        bytes = out
    }

    public var description: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var s: [UInt8] = []
        s.reserveCapacity(17)
        for (k, b) in bytes.enumerated() {
            if k > 0 { s.append(UInt8(ascii: ":")) }
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return String(decoding: s, as: UTF8.self)
    }

    /// A stable address for `seed` in container `ctid`: the OpenVZ OUI and
    /// three bytes of FNV-1a over "seed:ctid". vzctl mixed in the node's
    /// hardware id; we leave it out so a VPS keeps its MAC when its config
    /// moves between nodes.
    public static func generated(seed: String, ctid: ContainerID) -> MACAddress {
        var h: UInt32 = 0x811C_9DC5
        for c in seed.utf8 { h = (h ^ UInt32(c)) &* 0x0100_0193 }
        h = (h ^ UInt32(UInt8(ascii: ":"))) &* 0x0100_0193
        for c in ctid.description.utf8 { h = (h ^ UInt32(c)) &* 0x0100_0193 }
        return MACAddress(bytes: openVZPrefix + [UInt8(truncatingIfNeeded: h >> 16), UInt8(truncatingIfNeeded: h >> 8), UInt8(truncatingIfNeeded: h)])!
    }
}
