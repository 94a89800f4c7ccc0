import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZInventory
import VZSystem

/// Finds and starts `vzmonitor` (Sources/vzmonitor/monitor.c) for one VPS.
/// posix_spawn, not fork: vzctl runs no Swift code in a child.
struct MonitorLauncher {
    /// The running vzctl binary (what the monitor execs for `__reap`).
    static var selfExecutable: String { HelperBinary.selfExecutable }

    static func monitorPath() throws(VZError) -> String { try HelperBinary.path("vzmonitor") }

    struct Spawned {
        let pid: pid_t
        let report: FileDescriptor
        let go: FileDescriptor
        let errors: FileDescriptor
    }

    /// Starts the monitor; returns its pid and vzctl's ends of the pipes.
    static func spawn(ctid: ContainerID, cloneFlags: Int32, initArgs: StartProtocol.InitArguments,
                      consoleLog: FileDescriptor, cgroups: ContainerCgroup.JoinFiles,
                      lockPath: String, sysroot: Sysroot) throws(VZError) -> Spawned {
        let monitor = try monitorPath()
        let vzctl = selfExecutable
        let report = try pipe(), go = try pipe(), errors = try pipe()

        var argv = [monitor, String(cloneFlags), String(StartProtocol.consoleLogCap),
                    cgroups.unified == nil ? "0" : "1", String(cgroups.v1Tasks.count),
                    lockPath, RunState.path(ctid, sysroot: sysroot),
                    ConsoleOperation.socketPath(ctid, sysroot: sysroot), "--"]
        argv += initArgs.argv
        argv += ["--", vzctl, StartProtocol.reapStage, ctid.description]
        // A clean environment: only what locates the node.
        var env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        if !sysroot.prefix.isEmpty { env.append("VZ_SYSROOT=\(sysroot.prefix)") }

        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)
        // Two passes: a source may sit on another's target number (the log
        // at 5 would be overwritten by the error pipe before moving to 6),
        // so everything goes above all of them first, then into place.
        var moves: [(Int32, Int32)] = [
            (report.write.raw, StartProtocol.reportFD), (go.read.raw, StartProtocol.goFD),
            (errors.write.raw, StartProtocol.errorFD), (consoleLog.raw, StartProtocol.logFD),
        ]
        if let u = cgroups.unified { moves.append((u.raw, StartProtocol.cgroupFD)) }
        for (i, t) in cgroups.v1Tasks.enumerated() { moves.append((t.raw, StartProtocol.firstTasksFD + Int32(i))) }
        let last = moves.map(\.1).max() ?? StartProtocol.logFD
        let high = max(last, moves.map(\.0).max() ?? 0) + 1
        for (i, m) in moves.enumerated() { posix_spawn_file_actions_adddup2(&fa, m.0, high + Int32(i)) }
        for (i, m) in moves.enumerated() { posix_spawn_file_actions_adddup2(&fa, high + Int32(i), m.1) }
        vz_spawn_addclosefrom(&fa, last + 1)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The mask only: the monitor sets every disposition itself first
        // thing (monitor.c), so SETSIGDEF would be 64 more syscalls per start.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = withExtendedLifetime(cgroups) { posix_spawn(&pid, monitor, &fa, &attr, cargs, cenv) }
        guard rc == 0 else { throw VZError(.resource, "Unable to start the container monitor", errno: rc, path: monitor) }
        return Spawned(pid: pid, report: report.read, go: go.write, errors: errors.read)
    }

    static func pipe() throws(VZError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try sys("pipe", code: .resource) { vz_pipe2(&fds, O_CLOEXEC) }
        return (FileDescriptor(owning: fds[0]), FileDescriptor(owning: fds[1]))
    }

    /// Everything until EOF (bounded), for the report and error pipes.
    static func readToEnd(_ fd: FileDescriptor, limit: Int = 4096) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 512)
        while out.count < limit {
            let r = sysResult { buf.withUnsafeMutableBytes { read(fd.raw, $0.baseAddress, $0.count) } }
            guard case .success(let n) = r, n > 0 else { break }
            out += buf[0..<n]
        }
        return out
    }
}
