import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `vzctl console CTID [1]` (compat §1): the admin's terminal attached to
/// the running VPS's console — what its init and gettys write on
/// /dev/console, and keys typed into it — through the socket the VPS's
/// monitor relays (Sources/vzmonitor/console.c). `Esc .` detaches, as in
/// 4.x; the VPS keeps running. The session also ends when the VPS stops.
public struct ConsoleOperation {
    public let node: Node

    public init(node: Node) { self.node = node }

    /// The monitor's socket for CT `ctid` (next to its run state, 0700).
    public static func socketPath(_ ctid: ContainerID, sysroot: Sysroot) -> String {
        RunState.path(ctid, sysroot: sysroot) + ".console"
    }

    public enum End: Equatable, Sendable {
        /// `Esc .` typed.
        case detached
        /// The VPS's console went away (it stopped) or input ended.
        case closed
    }

    public func run(_ ctid: ContainerID, tty: Int = 1) throws(VZError) -> End {
        guard tty == 1 else {
            throw VZError(.invalidValue, "Only the console (tty 1) can be attached; a VPS here has no other virtual terminals")
        }
        guard RunState.runningInit(ctid, node: node) != nil else {
            throw VZError(.notRunning, "Container is not running")
        }
        let sock = try Self.connect(Self.socketPath(ctid, sysroot: node.sysroot))
        let out = "Attached to CT \(ctid) (ESC . to detach)\r\n"
        _ = Terminal.writeAll(2, Array(out.utf8), out.utf8.count)
        let term = Terminal.makeRaw(0)
        defer { term?.restore() }
        let end = Self.relay(sock)
        let bye = end == .detached ? "\r\nDetached from CT \(ctid)\r\n" : "\r\nConsole of CT \(ctid) closed\r\n"
        _ = Terminal.writeAll(2, Array(bye.utf8), bye.utf8.count)
        return end
    }

    static func connect(_ path: String) throws(VZError) -> FileDescriptor {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { throw VZError(.system, "Console socket path too long", path: path) }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
            p[bytes.count] = 0
        }
        let fd = FileDescriptor(owning: try sys("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) })
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd.raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else {
            throw VZError(.notRunning, "Unable to attach to the console: its monitor does not answer", errno: errno, path: path)
        }
        return fd
    }

    /// Keys from fd 0 to the socket (watching for `Esc .` anywhere, as
    /// 4.x did), console output from the socket to fd 1.
    static func relay(_ sock: FileDescriptor) -> End {
        var buf = [UInt8](repeating: 0, count: 4096)
        var escape = EscapeDetector()
        var stdinOpen = true
        while true {
            var fds = [pollfd(fd: sock.raw, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; return .closed }
            if fds[0].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(sock.raw, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 || !Terminal.writeAll(1, buf, n) { return .closed }
            }
            if stdinOpen && fds[1].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { stdinOpen = false; continue }
                let (pass, detach) = escape.feed(buf[0..<n])
                if !pass.isEmpty && !Terminal.writeAll(sock.raw, pass, pass.count) { return .closed }
                if detach { return .detached }
            }
        }
    }
}

/// `Esc .` as vzctl 4.x's console took it: an Esc followed by `.` detaches;
/// an Esc followed by anything else is passed on with that byte. Pure, so
/// tests feed it byte sequences.
struct EscapeDetector {
    private var pendingEscape = false

    /// The bytes to send on and whether the admin asked to detach.
    mutating func feed(_ input: ArraySlice<UInt8>) -> (pass: [UInt8], detach: Bool) {
        var out: [UInt8] = []
        for b in input {
            if pendingEscape {
                pendingEscape = false
                if b == UInt8(ascii: ".") { return (out, true) }
                out.append(0x1b)
            }
            if b == 0x1b { pendingEscape = true; continue }
            out.append(b)
        }
        return (out, false)
    }
}
