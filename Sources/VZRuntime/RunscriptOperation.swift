import CVZShim
import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `vzctl runscript CTID FILE` (compat §1): the host file's contents piped
/// into `bash` (or `sh`) inside the running VPS, with exec's environment.
///
/// Only a running VPS for now: 4.x also ran scripts in a stopped one (mount
/// the root, a bare CT without init, run, tear down); that variant is not
/// implemented and reports "not running" (31).
///
/// The script goes through a pipe that vzctl feeds, never as the host
/// file's own fd: VPS root could reopen that through /proc/self/fd/0 for
/// writing.
public struct RunscriptOperation {
    public let node: Node

    public init(node: Node) { self.node = node }

    public func run(_ ctid: ContainerID, script path: String) throws(VZError) -> ExecOperation.Outcome {
        guard let bytes = try Files.read(path) else {
            throw VZError(.invalidValue, "Script \(path) not found")
        }
        try ExecOperation.refuseDirectoryStdio()
        var fds: [Int32] = [-1, -1]
        _ = try sys("pipe2") { vz_pipe2(&fds, O_CLOEXEC) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        FileDescriptor.setNonBlocking(writeEnd)
        var payload = ExecOperation.Payload(argv: [""], environment: ExecOperation.environment, shells: ExecOperation.shells)
        payload.stdinFD = readEnd
        let signals = try SignalRelay()
        defer { signals.close() }
        let child: ExecOperation.Spawned
        do throws(VZError) {
            defer { close(readEnd) }  // the payload has its own copy as fd 0
            child = try ExecOperation.spawn(ctid, node: node, payload)
        } catch {
            close(writeEnd)
            throw error
        }
        // `wait` feeds the script as the shell reads it and closes the pipe.
        return ExecOperation.wait(child.pid, signals: signals, feed: (writeEnd, bytes))
    }
}
