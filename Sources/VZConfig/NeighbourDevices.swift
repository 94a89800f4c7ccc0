/// `NEIGHBOUR_DEVS` (vz.conf, compat §2.2): the host interfaces on which a
/// routed VPS address gets a proxy ARP/NDP entry and an announcement, so
/// that machines on those links send its traffic to this host.
///
/// - `all` (4.x's default when unset): every interface that is up, has an
///   address, and is neither loopback nor NOARP nor a bonding slave
///   (4.x `vzgetnetdev`);
/// - `detect`: of those, the one the host would reach the address through
///   directly, i.e. the link whose subnet holds it (4.x
///   `vz_get_neighbour_devs`: `ip route get` without a gateway, or with the
///   address itself as gateway); none when the address is off-link;
/// - `list:eth0 eth1`: exactly these (those that exist);
/// - `none` (beyond 4.x): no entry and no announcement anywhere. Test nodes
///   use it so that nothing is ever proxied on the machine's own links.
public enum NeighbourDevices: Equatable, Sendable {
    case all
    case detect
    case none
    case list([String])

    public init(_ value: String?) throws(VZError) {
        let v = value ?? "all"
        switch v {
        case "", "all": self = .all
        case "detect": self = .detect
        case "none": self = .none
        default:
            guard v.hasPrefix("list:") else {
                throw VZError(.invalidConfig, "Invalid NEIGHBOUR_DEVS \(v.debugDescription) in vz.conf: expected all, detect, none or list:DEV...")
            }
            var names: [String] = []
            for t in ValueSyntax.tokens(String(v.dropFirst(5)), separators: " \t,") {
                do {
                    names.append(try ValueSyntax.interfaceName(t, what: "NEIGHBOUR_DEVS interface"))
                } catch {
                    throw error.with(code: .invalidConfig)
                }
            }
            self = .list(names)
        }
    }

    /// A host interface as the selection needs to see it.
    public struct HostInterface: Equatable, Sendable {
        public var name: String
        public var up: Bool
        public var loopback: Bool
        public var noARP: Bool
        /// Enslaved to a bond (IFF_SLAVE).
        public var slave: Bool
        public var hasAddress: Bool

        public init(name: String, up: Bool = true, loopback: Bool = false, noARP: Bool = false, slave: Bool = false, hasAddress: Bool = true) {
            self.name = name
            self.up = up
            self.loopback = loopback
            self.noARP = noARP
            self.slave = slave
            self.hasAddress = hasAddress
        }

        /// 4.x `vzgetnetdev`'s filter.
        public var isCandidate: Bool { up && !loopback && !noARP && !slave && hasAddress }
    }

    /// How the host reaches an address before the VPS's route exists.
    public struct Route: Equatable, Sendable {
        public var device: String
        public var gateway: IPAddress?
        public init(device: String, gateway: IPAddress? = nil) {
            self.device = device
            self.gateway = gateway
        }
    }

    /// Whether the selection needs the host's route to the address.
    public var needsRoute: Bool { self == .detect }

    /// The interfaces for `address`, in the host's interface order.
    /// `route` is the host's route to it (only `detect` looks at it).
    public func devices(for address: IPAddress, interfaces: [HostInterface], route: Route?) -> [String] {
        switch self {
        case .none:
            return []
        case .list(let names):
            return names.filter { n in interfaces.contains { $0.name == n } }
        case .all:
            return interfaces.filter(\.isCandidate).map(\.name)
        case .detect:
            guard let route, route.gateway == nil || route.gateway == address else { return [] }
            return interfaces.filter { $0.isCandidate && $0.name == route.device }.map(\.name)
        }
    }
}
