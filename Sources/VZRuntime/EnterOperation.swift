import CVZShim
import Glibc
import VZConfig
import VZSystem

/// `vzctl enter CTID [--exec CMD ARG...]` (compat §1): an interactive root
/// shell (`-bash`, else `-sh`) on a PTY allocated in the VPS's own devpts,
/// so `tty` works inside and the shell's controlling terminal is that PTY:
/// the admin's terminal is never a file or the controlling tty of anything
/// in the VPS, which closes the TIOCSTI route back into it
/// (`dev.tty.legacy_tiocsti=1` on this kind of node). The join is
/// ExecOperation.spawn (drawn in CVZShim/enter.c) with `tty`.
public struct EnterOperation {
    public let node: Node

    public init(node: Node) { self.node = node }

    /// Returns the shell's wait status decoded. `term` is the caller's TERM.
    public func run(_ ctid: ContainerID, term: String?, exec: [String]? = nil) throws(VZError) -> ExecOperation.Outcome {
        var env = ["PATH=\(ExecOperation.path)", "HISTFILE=/dev/null", "USER=root", "HOME=/root", "LOGNAME=root"]
        if let term { env.append("TERM=\(term)") }
        var payload = ExecOperation.Payload(argv: [""], environment: env, shells: ExecOperation.shells)
        payload.login = true
        payload.tty = true
        // The initial size is set before the shell runs, so its first
        // `stty size` is already right.
        if let size = Terminal.size(0) ?? Terminal.size(1) {
            payload.rows = size.rows
            payload.cols = size.cols
        }
        let signals = try SignalRelay()
        defer { signals.close() }
        let child = try ExecOperation.spawn(ctid, node: node, payload)
        guard let master = child.master else {
            kill(child.pid, SIGKILL)
            var s: Int32 = 0
            while waitpid(child.pid, &s, 0) < 0 && errno == EINTR {}
            throw VZError(.system, "No pty master from the container")
        }
        EnterOperation.say("entered into CT \(ctid)\n")
        let status: Int32
        do {
            let terminal = Terminal.makeRaw(0)
            defer { terminal?.restore() }
            if let exec, !exec.isEmpty {
                // 4.x types the command into the shell: each word and a
                // space, then Enter; the session stays open afterwards.
                let line = Array((exec.map { $0 + " " }.joined() + "\n").utf8)
                _ = Terminal.writeAll(master.raw, line, line.count)
            }
            status = Terminal.relay(master: master, shell: child.pid, signals: signals)
        }
        let outcome = ExecOperation.Outcome(waitStatus: status)
        if case .signaled(let sig) = outcome { EnterOperation.say("got signal \(sig)\n") }
        EnterOperation.say("exited from CT \(ctid)\n")
        return outcome
    }

    /// 4.x prints these on stdout whatever --quiet says.
    static func say(_ s: String) {
        let bytes = Array(s.utf8)
        _ = Terminal.writeAll(1, bytes, bytes.count)
    }
}
