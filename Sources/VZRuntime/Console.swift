import Glibc
import VZConfig
import VZSystem

/// Where an operation's messages go, as vzctl 4.x sends them: progress and
/// results on stdout (silenced by `--quiet`), warnings and errors on stderr,
/// and every line also to `LOGFILE` when `LOGGING=yes`, in vzctl's format
/// `2013-05-13T14:22:01+0400 vzctl : CT 101 : message`.
public final class Console {
    public var quiet: Bool
    public var verbose: Int
    private var ctid: ContainerID?
    private let logFD: Int32

    public init(quiet: Bool = false, verbose: Int = 0, node: Node? = nil, program: String = "vzctl") {
        self.quiet = quiet
        self.verbose = verbose
        self.program = program
        var fd: Int32 = -1
        if let node, (node.global.value("LOGGING") ?? "yes").lowercased() == "yes" {
            let path = node.host(node.global.value("LOGFILE") ?? "/var/log/vzctl.log")
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        }
        logFD = fd
    }

    private let program: String

    deinit { if logFD >= 0 { close(logFD) } }

    public func about(_ ctid: ContainerID?) { self.ctid = ctid }

    /// A normal message (stdout, unless quiet).
    public func info(_ line: String) {
        log(line)
        if !quiet { write(1, line + "\n") }
    }

    /// A message only shown with --verbose.
    public func debug(_ line: String, level: Int = 1) {
        if verbose >= level { write(2, line + "\n") }
    }

    /// A warning or error line (stderr, even when quiet).
    public func error(_ line: String) {
        log(line)
        write(2, line + "\n")
    }

    private func write(_ fd: Int32, _ s: String) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }

    private func log(_ line: String) {
        guard logFD >= 0 else { return }
        var now = time(nil)
        var tm = Glibc.tm()
        localtime_r(&now, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S%z", &tm)
        let stamp = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let who = ctid.map { "CT \($0) : " } ?? ""
        write(logFD, "\(stamp) \(program) : \(who)\(line)\n")
    }
}
