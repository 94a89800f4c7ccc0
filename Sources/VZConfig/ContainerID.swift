/// A container ID as vzctl 4.x accepts it: decimal, 1...2147483644
/// (`VEID_MAX`), 0 being the host. Only the canonical spelling is accepted,
/// so `0101` or `+101` can never alias 101 with a second config file or a
/// second lock (security guide §3.4). IDs up to 100 are accepted, as in
/// vzctl, which only documented them as reserved.
public struct ContainerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let max: UInt32 = 2_147_483_644
    public let value: UInt32

    public init?(_ text: String) {
        let u = text.utf8
        guard let f = u.first, f >= 0x31, f <= 0x39, u.count <= 10 else { return nil }
        var v: UInt64 = 0
        for c in u {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + UInt64(c - 0x30)
        }
        guard v <= UInt64(ContainerID.max) else { return nil }
        value = UInt32(v)
    }

    public init?(value: UInt32) {
        guard value >= 1, value <= ContainerID.max else { return nil }
        self.value = value
    }

    /// Parses or throws vzctl's "Bad CT ID" (exit 21).
    public static func parse(_ text: String) throws(VZError) -> ContainerID {
        guard let id = ContainerID(text) else {
            throw VZError(.invalidValue, "Bad CT ID \(text.debugDescription): must be a number from 1 to \(max)")
        }
        return id
    }

    public var description: String { String(value) }
    public static func < (a: ContainerID, b: ContainerID) -> Bool { a.value < b.value }
}
