import Glibc
import VZConfig
import VZSystem

/// Tells a link's neighbours that an address is now reached through this
/// host, as 4.x's `arpsend -U` and `ndsend` did after adding a proxy entry:
/// for IPv4 a gratuitous ARP request (sender and target both the address,
/// sender hardware the link's MAC, broadcast), for IPv6 an unsolicited
/// neighbour advertisement to all nodes (Override set, target link-layer
/// option the link's MAC). Machines that cached the address's old owner
/// switch to this host at once instead of when their cache times out.
public enum NeighbourAnnouncement {
    static let ethPARP: UInt16 = 0x0806

    public static func announce(_ address: IPAddress, ifindex: Int32, mac: [UInt8]) throws(VZError) {
        guard mac.count == 6 else { return }
        if address.family == .v4 { try arp(address, ifindex: ifindex, mac: mac) } else { try advertise(address, ifindex: ifindex, mac: mac) }
    }

    private static func arp(_ address: IPAddress, ifindex: Int32, mac: [UInt8]) throws(VZError) {
        let raw = try sys("Unable to open a packet socket") {
            socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(ethPARP.bigEndian))
        }
        let fd = FileDescriptor(owning: raw)
        // htype Ethernet, ptype IPv4, hlen 6, plen 4, op request.
        let packet: [UInt8] = [0, 1, 0x08, 0x00, 6, 4, 0, 1] + mac + address.bytes + [UInt8](repeating: 0, count: 6) + address.bytes
        // struct sockaddr_ll: family, protocol (be), ifindex, hatype, pkttype, halen, addr[8].
        let sll: [UInt8] = NetlinkMessage.le16(UInt16(AF_PACKET)) + NetlinkMessage.be16(ethPARP)
            + NetlinkMessage.le32(UInt32(bitPattern: ifindex)) + [0, 0, 0, 6] + [UInt8](repeating: 0xff, count: 6) + [0, 0]
        _ = try sys("Unable to announce \(address)") {
            packet.withUnsafeBytes { p in
                sll.withUnsafeBytes { a in
                    sendto(fd.raw, p.baseAddress, p.count, 0, a.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(a.count))
                }
            }
        }
    }

    private static func advertise(_ address: IPAddress, ifindex: Int32, mac: [UInt8]) throws(VZError) {
        let raw = try sys("Unable to open an ICMPv6 socket") {
            socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMPV6))
        }
        let fd = FileDescriptor(owning: raw)
        // Neighbour discovery is only believed with a hop limit of 255.
        var hops: Int32 = 255
        var index = ifindex
        _ = setsockopt(fd.raw, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &hops, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd.raw, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &index, socklen_t(MemoryLayout<Int32>.size))
        // Type 136, code 0, checksum (the kernel's), flags: Override;
        // target; option 2 (target link-layer address), length 1 (8 bytes).
        let packet: [UInt8] = [136, 0, 0, 0, 0x20, 0, 0, 0] + address.bytes + [2, 1] + mac
        // struct sockaddr_in6 to ff02::1 on this link.
        let allNodes: [UInt8] = [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [1]
        let sin6: [UInt8] = NetlinkMessage.le16(UInt16(AF_INET6)) + [0, 0] + [0, 0, 0, 0] + allNodes + NetlinkMessage.le32(UInt32(bitPattern: ifindex))
        _ = try sys("Unable to announce \(address)") {
            packet.withUnsafeBytes { p in
                sin6.withUnsafeBytes { a in
                    sendto(fd.raw, p.baseAddress, p.count, 0, a.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(a.count))
                }
            }
        }
    }
}
