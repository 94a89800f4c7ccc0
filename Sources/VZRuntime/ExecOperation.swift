import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZInventory
import VZSystem

/// `vzctl exec/exec2/exec3 CTID CMD...` (compat §1): a command run inside a
/// running VPS with every namespace and cgroup of its init, the init's
/// capability sets, the compat environment and the admin's own fds 0-2.
///
/// The join itself (`spawn`, shared with enter and runscript) is C: the
/// fork/setns/fork/execve handshake is drawn in Sources/CVZShim/enter.c.
/// Swift decides everything before the fork: that the VPS runs (verified
/// init, pinned by a pidfd), the init's capability sets, argv and envp.
public struct ExecOperation {
    public let node: Node

    public init(node: Node) { self.node = node }

    public enum Command: Sendable, Equatable {
        /// exec, exec2: the joined argv, run by `bash -c` (or `sh -c`).
        case shell(String)
        /// `-`: the shell reads the script from stdin.
        case script
        /// exec3: argv executed directly, searched in the compat PATH.
        case argv([String])
    }

    /// How the command ended.
    public enum Outcome: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        init(waitStatus s: Int32) {
            self = s & 0x7f == 0 ? .exited((s >> 8) & 0xff) : .signaled(s & 0x7f)
        }
    }

    /// vzctl 4.x's exec environment: nothing of the host's.
    public static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    public static let environment = ["HOME=/", "TERM=linux", "PATH=\(path)"]
    static let shells = ["/bin/bash", "/bin/sh"]

    public func run(_ ctid: ContainerID, _ command: Command) throws(VZError) -> Outcome {
        var p = Payload(argv: [""], environment: ExecOperation.environment, shells: ExecOperation.shells)
        switch command {
        case .shell(let line): p.argv = ["", "-c", line]
        case .script: break
        case .argv(let argv):
            p.argv = argv
            p.shells = nil
        }
        try ExecOperation.refuseDirectoryStdio()
        let signals = try SignalRelay()
        defer { signals.close() }
        let child = try ExecOperation.spawn(ctid, node: node, p)
        return ExecOperation.wait(child.pid, signals: signals)
    }

    /// exec3 of `argv` with /dev/null as its stdio, for vzctl's own use
    /// (start --wait); nil when `deadline` passed first (the payload is
    /// killed). The payload inherits fds 0-2 at the fork, so they point at
    /// /dev/null just for the spawn (vzctl has one thread).
    func runQuietly(_ ctid: ContainerID, _ argv: [String], until deadline: Deadline) throws(VZError) -> Outcome? {
        let null = try FileDescriptor.open("/dev/null", O_RDWR)
        let saved = (0...2).map { dup($0) }
        defer {
            for (i, fd) in saved.enumerated() where fd >= 0 { dup2(fd, Int32(i)); Glibc.close(fd) }
        }
        for i: Int32 in 0...2 { dup2(null.raw, i) }
        let child = try ExecOperation.spawn(ctid, node: node, Payload(argv: argv, environment: ExecOperation.environment, shells: nil))
        for (i, fd) in saved.enumerated() where fd >= 0 { dup2(fd, Int32(i)) }
        while true {
            var status: Int32 = 0
            let r = waitpid(child.pid, &status, WNOHANG)
            if r == child.pid { return Outcome(waitStatus: status) }
            if r < 0 && errno != EINTR { return .exited(Int32(ExitCode.system.rawValue)) }
            if deadline.passed {
                kill(child.pid, SIGKILL)
                while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
                return nil
            }
            usleep(50_000)
        }
    }

    /// What runs inside, as the C side takes it.
    struct Payload {
        var argv: [String]
        var environment: [String]
        /// Shells tried in order (argv[0] becomes their name); nil: execvp(argv[0]).
        var shells: [String]?
        var login = false
        var stdinFD: Int32 = -1
        var tty = false
        var rows: UInt16 = 0
        var cols: UInt16 = 0
    }

    struct Spawned {
        let pid: pid_t
        let master: FileDescriptor?
    }

    /// Joins the running VPS and execs `payload`; returns once it has
    /// exec'd. The returned pid is our child (reap it).
    static func spawn(_ ctid: ContainerID, node: Node, _ payload: Payload) throws(VZError) -> Spawned {
        guard let initID = RunState.runningInit(ctid, node: node), let pidfd = initID.open() else {
            throw VZError(.notRunning, "Container is not running")
        }
        let caps = capabilities(initID.pid)
        // The sets were read by pid: still the same process only if the
        // pinned one is alive now (a live process keeps its pid).
        guard let caps, vz_pidfd_send_signal(pidfd.raw, 0) == 0 else {
            throw VZError(.notRunning, "Container is not running")
        }
        let join = try CgroupSupport.cgroup(ctid, node: node).openJoinFiles()
        var flags = VZ_CLONE_NEWNS | VZ_CLONE_NEWUTS | VZ_CLONE_NEWIPC | VZ_CLONE_NEWNET | VZ_CLONE_NEWPID
        if access("/proc/self/ns/cgroup", F_OK) == 0 { flags |= VZ_CLONE_NEWCGROUP }

        let argv = payload.argv.map { strdup($0) } + [nil]
        let envp = payload.environment.map { strdup($0) } + [nil]
        let shells = (payload.shells ?? []).map { UnsafePointer(strdup($0)) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
            shells.forEach { free(UnsafeMutablePointer(mutating: $0)) }
        }
        let fds = join.v1Tasks.map(\.raw)
        var result = vz_enter_result()
        // The fds are used by raw number in the child: keep their owners
        // alive across the call (an optimised build releases them early).
        let limits = try PayloadLimits(initPid: initID.pid, pidfd: pidfd)
        let rc = withExtendedLifetime((pidfd, join, limits)) { fds.withUnsafeBufferPointer { fdp in
            argv.withUnsafeBufferPointer { av in
                envp.withUnsafeBufferPointer { ev in
                    shells.withUnsafeBufferPointer { sp in
                        var a = vz_enter_args(
                            pidfd: pidfd.raw, nsflags: flags, cgroup_fds: fdp.baseAddress, cgroup_count: Int32(fds.count),
                            cgroup_dir: join.unified?.raw ?? -1,
                            cap_bnd: caps.bnd, cap_prm: caps.prm, cap_eff: caps.eff, cap_inh: caps.inh,
                            argv: av.baseAddress, envp: ev.baseAddress, paths: payload.shells == nil ? nil : sp.baseAddress,
                            login: payload.login ? 1 : 0, stdin_fd: payload.stdinFD, tty: payload.tty ? 1 : 0,
                            rows: payload.rows, cols: payload.cols,
                            rlimit_res: limits.resources, rlimits: limits.values, rlimit_count: limits.count)
                        return vz_enter(&a, &result)
                    }
                }
            }
        } }
        let master = result.master >= 0 ? FileDescriptor(owning: result.master) : nil
        guard rc == 0 else {
            if result.pid > 0 { var s: Int32 = 0; while waitpid(result.pid, &s, 0) < 0 && errno == EINTR {} }
            throw stageError(result.stage, result.err, payload: payload)
        }
        return Spawned(pid: result.pid, master: master)
    }

    static func stageError(_ stage: Int32, _ err: Int32, payload: Payload) -> VZError {
        switch stage {
        case VZ_ENTER_SETNS where err == ESRCH:
            return VZError(.notRunning, "Container is not running")
        case VZ_ENTER_CGROUP: return VZError(.system, "Unable to join the container's cgroups", errno: err)
        case VZ_ENTER_SETNS: return VZError(.system, "Unable to join the container's namespaces", errno: err)
        case VZ_ENTER_PTY: return VZError(.system, "Unable to open a pty in the container", errno: err)
        case VZ_ENTER_TTY: return VZError(.system, "Unable to set up the session and terminal", errno: err)
        case VZ_ENTER_CHDIR: return VZError(.system, "Unable to change to / in the container", errno: err)
        case VZ_ENTER_CAPS: return VZError(.setCapability, "Unable to set capabilities", errno: err)
        case VZ_ENTER_RLIMIT: return VZError(.setUBC, "Unable to set the container's resource limits", errno: err)
        case VZ_ENTER_EXEC:
            let what = payload.shells.map { $0.joined(separator: " or ") } ?? (payload.argv.first ?? "")
            return VZError(.commandExecution, "Unable to execute \(what)", errno: err)
        default: return VZError(.system, "Unable to fork", errno: err)
        }
    }

    /// CapBnd/CapPrm/CapEff/CapInh of a process (hex in /proc/PID/status).
    static func capabilities(_ pid: pid_t) -> (bnd: UInt64, prm: UInt64, eff: UInt64, inh: UInt64)? {
        guard let text = (try? Files.readString("/proc/\(pid)/status")) ?? nil else { return nil }
        var v: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Cap") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            v[line[..<colon]] = UInt64(line[line.index(after: colon)...].filter { !$0.isWhitespace }, radix: 16)
        }
        guard let b = v["CapBnd"], let p = v["CapPrm"], let e = v["CapEff"], let i = v["CapInh"] else { return nil }
        return (b, p, e, i)
    }

    /// fds 0-2 go inside as they are (no relay). A directory among them
    /// would hand VPS root an `openat(fd, "..")` walk of the host.
    static func refuseDirectoryStdio() throws(VZError) {
        for fd: Int32 in 0...2 {
            var st = stat()
            if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                throw VZError(.commandExecution, "fd \(fd) is a directory; refusing to pass it into the container")
            }
        }
    }

    /// Waits for our child `pid`, passing on signals sent to vzctl (the
    /// payload has its own session, so the terminal's ^C reaches vzctl
    /// only) and, when given, writing `feed` to a non-blocking fd (the
    /// payload's stdin pipe, closed here when done: EOF for the reader) as
    /// it drains. Returns how the child ended.
    static func wait(_ pid: pid_t, signals: SignalRelay, feed: (fd: Int32, bytes: [UInt8])? = nil) -> Outcome {
        var feedFD = feed?.fd
        defer { if let fd = feedFD { Glibc.close(fd) } }
        var off = 0
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return Outcome(waitStatus: status) }
            if r < 0 && errno != EINTR { return .exited(Int32(ExitCode.system.rawValue)) }
            var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: feedFD ?? -1, events: Int16(POLLOUT), revents: 0)]
            if poll(&fds, 2, -1) < 0 { continue }
            if fds[0].revents != 0 {
                for sig in signals.read() where sig != SIGCHLD { kill(pid, sig) }
            }
            if let fd = feedFD, let bytes = feed?.bytes, fds[1].revents != 0 {
                let n = off < bytes.count
                    ? bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) } : 0
                if n > 0 { off += n }
                // Done, or the reader is gone (EPIPE: SIGPIPE is ignored): EOF for the shell.
                if off >= bytes.count || (n < 0 && errno != EAGAIN && errno != EINTR) {
                    Glibc.close(fd)
                    feedFD = nil
                }
            }
        }
    }
}

/// Signals vzctl takes through a signalfd while a payload runs: blocked
/// (so the payload's parent cannot be killed with the terminal left raw or
/// the payload orphaned), read in the poll loop, and the old mask restored
/// by `close()`. The payload unblocks everything before its execve.
final class SignalRelay {
    static let forwarded: [Int32] = [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCHLD]
    let fd: Int32
    private var saved = sigset_t()

    init() throws(VZError) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in SignalRelay.forwarded { sigaddset(&set, s) }
        sigprocmask(SIG_BLOCK, &set, &saved)
        let fd = vz_signalfd(&set)
        guard fd >= 0 else {
            let e = errno
            sigprocmask(SIG_SETMASK, &saved, nil)
            throw VZError(.system, "signalfd", errno: e)
        }
        self.fd = fd
    }

    /// The signals pending now (the fd is readable).
    func read() -> [Int32] {
        // struct signalfd_siginfo is 128 bytes; ssi_signo comes first.
        var buf = [UInt32](repeating: 0, count: 32 * 8)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return [] }
        return stride(from: 0, to: n / 128, by: 1).map { Int32(bitPattern: buf[$0 * 32]) }
    }

    func close() {
        Glibc.close(fd)
        sigprocmask(SIG_SETMASK, &saved, nil)
    }
}
