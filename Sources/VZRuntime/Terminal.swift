import CVZShim
import Glibc
import VZConfig
import VZSystem

/// The admin's terminal during `vzctl enter`: raw mode while the session
/// runs (so ^C, ^Z and ^\ are bytes for the shell inside, not signals for
/// vzctl), the saved mode put back on every exit path, and the relay
/// between it and the PTY master from the VPS's devpts.
struct Terminal {
    let fd: Int32
    private let saved: termios

    /// Raw mode on `fd` when it is a terminal; nil (nothing to restore) otherwise.
    static func makeRaw(_ fd: Int32) -> Terminal? {
        guard isatty(fd) == 1 else { return nil }
        var mode = termios()
        guard tcgetattr(fd, &mode) == 0 else { return nil }
        var raw = mode
        cfmakeraw(&raw)
        guard tcsetattr(fd, TCSADRAIN, &raw) == 0 else { return nil }
        return Terminal(fd: fd, saved: mode)
    }

    private init(fd: Int32, saved: termios) {
        self.fd = fd
        self.saved = saved
    }

    func restore() {
        var mode = saved
        while tcsetattr(fd, TCSADRAIN, &mode) != 0 && errno == EINTR {}
    }

    /// The window size of `fd`, when it is a terminal.
    static func size(_ fd: Int32) -> (rows: UInt16, cols: UInt16)? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        return vz_get_winsize(fd, &rows, &cols) == 0 ? (rows, cols) : nil
    }

    /// One single-threaded poll() loop over stdin, the master and the
    /// signalfd until the shell has gone: EIO (or EOF) reading the master
    /// is the normal end, as is the shell's exit (output still buffered in
    /// the master is drained first). Returns the shell's wait status.
    ///
    /// Signals: SIGWINCH copies the admin's window size to the master;
    /// SIGTERM/SIGHUP/SIGALRM end the session with SIGHUP to the shell (an
    /// interactive shell ignores SIGTERM); others are passed on as they are.
    static func relay(master: FileDescriptor, shell pid: pid_t, signals: SignalRelay) -> Int32 {
        var buf = [UInt8](repeating: 0, count: 16_384)
        var stdinOpen = true
        var status: Int32?
        loop: while status == nil {
            var fds = [pollfd(fd: master.raw, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 3, -1) < 0 { continue }
            if fds[1].revents != 0 {
                for sig in signals.read() {
                    switch sig {
                    case SIGWINCH:
                        if let s = size(0) { _ = vz_set_winsize(master.raw, s.rows, s.cols) }
                    case SIGCHLD:
                        var s: Int32 = 0
                        if waitpid(pid, &s, WNOHANG) == pid { status = s }
                    case SIGTERM, SIGHUP, SIGALRM:
                        kill(pid, SIGHUP)
                        kill(pid, SIGCONT)
                    default:
                        kill(pid, sig)
                    }
                }
            }
            if fds[0].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(master.raw, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 || !writeAll(1, buf, n) { break loop }
            }
            if stdinOpen && fds[2].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n > 0 {
                    if !writeAll(master.raw, buf, n) { break loop }
                } else {
                    // Input ended (a pipe, not a terminal): ^D for the shell.
                    stdinOpen = false
                    _ = writeAll(master.raw, [4], 1)
                }
            }
        }
        if status != nil {
            // The shell is gone; what it wrote is still in the master.
            FileDescriptor.setNonBlocking(master.raw)
            while true {
                let n = buf.withUnsafeMutableBytes { read(master.raw, $0.baseAddress, $0.count) }
                if n <= 0 || !writeAll(1, buf, n) { break }
            }
        }
        if let status { return status }
        var s: Int32 = 0
        while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
        return s
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ count: Int) -> Bool {
        var off = 0
        while off < count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}
