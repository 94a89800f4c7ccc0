import CVZShim
import Glibc
import VZConfig
import VZInventory
import VZSystem

/// `vzctl runscript CTID FILE` (compat §1): the host file's contents piped
/// into `bash` (or `sh`) inside the VPS, with exec's environment.
///
/// A stopped VPS is started bare for the script, as in 4.x: none of its
/// services run (an idle shell is PID 1; the usual namespaces, cgroups,
/// limits and mounts), the script runs, and it is stopped and unmounted
/// again (left mounted if it was). The CT lock is held throughout, so no
/// start or stop slips in between.
///
/// The script goes through a pipe that vzctl feeds, never as the host
/// file's own fd: VPS root could reopen that through /proc/self/fd/0 for
/// writing.
public struct RunscriptOperation {
    public let node: Node

    public init(node: Node) { self.node = node }

    public func run(_ ctid: ContainerID, script path: String, skipLock: Bool = false) throws(VZError) -> ExecOperation.Outcome {
        guard let bytes = try Files.read(path) else {
            throw VZError(.invalidValue, "Script \(path) not found")
        }
        try ExecOperation.refuseDirectoryStdio()
        if RunState.runningInit(ctid, node: node) != nil { return try feed(ctid, bytes) }

        let console = Console(quiet: true, node: node)
        var monitor: ProcessIdentity?
        let outcome: ExecOperation.Outcome
        do {
            let lock = try node.lock(ctid, skip: skipLock)
            defer { lock?.release() }
            // Started meanwhile (the check above ran without the lock):
            // into the running VPS, as if it had been running all along.
            if RunState.runningInit(ctid, node: node) != nil { return try feed(ctid, bytes) }
            let effective = try node.effective(ctid)
            let root = try MountOperation.paths(effective, node: node).hostRoot
            let wasMounted = isMountPoint(root)
            var failed: ProcessIdentity?
            try StartOperation(node: node, console: console)
                .startLocked(ctid, options: .init(force: true, skipRemount: true, bare: true), failedMonitor: &failed)
            let ran = Result { () throws(VZError) in try feed(ctid, bytes) }
            monitor = try StopOperation(node: node, console: console).stopLocked(ctid, fast: true, skipUmount: wasMounted)
            outcome = try ran.get()
        }
        // As after a stop: the monitor ends once it has the lock we released.
        if let monitor, let fd = monitor.open() { _ = ProcessIdentity.waitExit(fd, seconds: 5) }
        return outcome
    }

    /// The script into the shell of the running VPS.
    private func feed(_ ctid: ContainerID, _ bytes: [UInt8]) throws(VZError) -> ExecOperation.Outcome {
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
