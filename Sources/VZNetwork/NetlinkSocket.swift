import Glibc
import VZConfig
import VZSystem

/// A netlink socket to the kernel: rtnetlink for links, addresses, routes
/// and neighbours, nfnetlink for nftables. Synchronous: the kernel handles
/// a request inside `send()` and queues its answer before `send()` returns,
/// so a request and its acknowledgement are one round trip with no other
/// process involved (what `ip` costs is its own fork and exec).
///
/// The socket belongs to the network namespace that was current when it
/// was created, and stays there: `NetNamespace.socket` opens one inside a
/// VPS and the calling thread goes straight back to the host's.
public final class NetlinkSocket {
    public static let route: Int32 = 0      // NETLINK_ROUTE
    public static let netfilter: Int32 = 12 // NETLINK_NETFILTER

    let fd: FileDescriptor
    private var seq: UInt32
    private var buffer = [UInt8](repeating: 0, count: 65536)

    public init(protocol proto: Int32) throws(VZError) {
        let raw = try sys("Unable to open a netlink socket", code: .system) {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        }
        fd = FileDescriptor(owning: raw)
        seq = UInt32(truncatingIfNeeded: Monotonic.now) &* 2654435761
        // Errors with the kernel's reason text (extended ack), and acks
        // without a copy of our request.
        var on: Int32 = 1
        _ = setsockopt(raw, NetlinkSocket.solNetlink, NetlinkSocket.extAck, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(raw, NetlinkSocket.solNetlink, NetlinkSocket.capAck, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    static let solNetlink: Int32 = 270
    static let capAck: Int32 = 10
    static let extAck: Int32 = 11

    public static let flagRequest: UInt16 = 0x1
    public static let flagMulti: UInt16 = 0x2
    public static let flagAck: UInt16 = 0x4
    public static let flagDump: UInt16 = 0x300
    public static let flagReplace: UInt16 = 0x100
    public static let flagExclusive: UInt16 = 0x200
    public static let flagCreate: UInt16 = 0x400
    public static let flagAppend: UInt16 = 0x800
    static let typeError: UInt16 = 2
    static let typeDone: UInt16 = 3
    static let ackTLVs: UInt16 = 0x200

    /// A kernel refusal: errno and the extended-ack text when there is one.
    public struct Failure: Error, Sendable {
        public let errno: Int32
        public let message: String?

        public func error(_ code: ExitCode, _ what: String) -> VZError {
            VZError(code, message.map { "\(what) (\($0))" } ?? what, errno: errno)
        }
    }

    // MARK: - Requests

    /// Sends `message` with NLM_F_ACK and returns the replies that came
    /// before the acknowledgement (a GET's answer), or the kernel's error.
    public func exchange(_ message: NetlinkMessage) -> Result<[NetlinkReply], Failure> {
        seq &+= 1
        let mySeq = seq
        var m = message
        if m.flags & NetlinkSocket.flagDump != NetlinkSocket.flagDump && m.flags & NetlinkSocket.flagAck == 0 {
            m.addFlags(NetlinkSocket.flagAck)
        }
        if case .failure(let f) = send(m.finished(seq: mySeq)) { return .failure(f) }
        var out: [NetlinkReply] = []
        while true {
            switch receive() {
            case .failure(let f): return .failure(f)
            case .success(let replies):
                for r in replies where r.seq == mySeq {
                    if r.type == NetlinkSocket.typeError {
                        let e = r.i32(at: 0)
                        if e == 0 { return .success(out) }
                        return .failure(Failure(errno: -e, message: NetlinkSocket.extackMessage(r)))
                    }
                    if r.type == NetlinkSocket.typeDone { return .success(out) }
                    out.append(r)
                }
            }
        }
    }

    /// `exchange` that throws.
    @discardableResult
    public func request(_ message: NetlinkMessage, code: ExitCode = .system, _ what: @autoclosure () -> String) throws(VZError) -> [NetlinkReply] {
        switch exchange(message) {
        case .success(let r): return r
        case .failure(let f): throw f.error(code, what())
        }
    }

    /// An nfnetlink batch: every message is applied, or none. Each carries
    /// NLM_F_ACK, so the kernel answers each one exactly once.
    public func batch(_ messages: [NetlinkMessage], begin: NetlinkMessage, end: NetlinkMessage) -> Result<Void, Failure> {
        var bytes: [UInt8] = []
        seq &+= 1
        let first = seq
        bytes += begin.finished(seq: first)
        var expected = Set<UInt32>()
        for m in messages {
            seq &+= 1
            expected.insert(seq)
            var acked = m
            acked.addFlags(NetlinkSocket.flagAck)
            bytes += acked.finished(seq: seq)
        }
        seq &+= 1
        bytes += end.finished(seq: seq)
        if case .failure(let f) = send(bytes) { return .failure(f) }
        var failure: Failure?
        while !expected.isEmpty {
            switch receive() {
            case .failure(let f): return .failure(f)
            case .success(let replies):
                for r in replies where r.type == NetlinkSocket.typeError {
                    // An error on the batch header itself (no nftables, no permission).
                    if r.seq == first { return .failure(Failure(errno: -r.i32(at: 0), message: NetlinkSocket.extackMessage(r))) }
                    expected.remove(r.seq)
                    let e = r.i32(at: 0)
                    if e != 0 && failure == nil { failure = Failure(errno: -e, message: NetlinkSocket.extackMessage(r)) }
                }
            }
        }
        if let failure { return .failure(failure) }
        return .success(())
    }

    // MARK: - I/O

    private func send(_ bytes: [UInt8]) -> Result<Void, Failure> {
        switch sysResult({ bytes.withUnsafeBytes { Glibc.send(fd.raw, $0.baseAddress, $0.count, 0) } }) {
        case .success: return .success(())
        case .failure(let e): return .failure(Failure(errno: e.rawValue, message: nil))
        }
    }

    private func receive() -> Result<[NetlinkReply], Failure> {
        let n: Int
        switch sysResult({ buffer.withUnsafeMutableBytes { Glibc.recv(fd.raw, $0.baseAddress, $0.count, 0) } }) {
        case .success(let k): n = k
        case .failure(let e): return .failure(Failure(errno: e.rawValue, message: nil))
        }
        var out: [NetlinkReply] = []
        var i = 0
        let b = buffer[0..<n]
        while i + NetlinkMessage.headerLength <= n {
            let len = Int(NetlinkAttributes.le32(b, i))
            guard len >= NetlinkMessage.headerLength, i + len <= n else { break }
            out.append(NetlinkReply(type: NetlinkAttributes.le16(b, i + 4), flags: NetlinkAttributes.le16(b, i + 6),
                                    seq: NetlinkAttributes.le32(b, i + 8),
                                    payload: ArraySlice(Array(b[(i + NetlinkMessage.headerLength)..<(i + len)]))))
            i += (len + 3) & ~3
        }
        return .success(out)
    }

    /// NLMSGERR_ATTR_MSG of an error carrying TLVs (after the error code
    /// and our header, which NETLINK_CAP_ACK keeps to its 16 bytes).
    static func extackMessage(_ r: NetlinkReply) -> String? {
        guard r.flags & ackTLVs != 0, r.payload.count > 20 else { return nil }
        let text = r.attributes(after: 20).string(1)
        return text?.isEmpty == false ? text : nil
    }
}
