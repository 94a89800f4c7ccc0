import VZConfig

/// Every message and fd number of the start handshake, in one place.
///
///   vzctl start (Swift, CT lock held)      vzmonitor (C)            init stage = PID 1 (C)
///   ─────────────────────────────────      ─────────────            ──────────────────────────
///   mount VE_PRIVATE on VE_ROOT (host)
///   create cgroups (VZCgroup), write limits
///   pipes: report, go, error; console log;
///   open the cgroups' join files
///   posix_spawn ────────────────────────►  setsid, signals reset
///     fds 0-2 /dev/null, 3 report(w),      console pty
///     4 go(r), 5 error(w), 6 log,          clone3(NEWNS|NEWPID|NEWUTS|NEWIPC
///     7 unified cgroup dir,                  |NEWNET|INTO_CGROUP 7) ─────►  "0" → each v1 tasks (8..)
///     8.. v1 tasks files                   close 4, 5, 7, 8..              init stage (initstage.c,
///                                                                        0-2 = console pty slave)
///   read "<pid>\n" on 3  ◄──────────────── write pid, close 3            block on read(4)
///   shm sysctls in its IPC ns (setns)
///   write state (pid, start time, monitor)
///   write "g" on go, close ─────────────────────────────────────────────► unshare(NEWCGROUP)
///                                                                        mounts, masks, /dev,
///                                                                        hostname, pivot_root,
///                                                                        close fds, rlimits, drop caps
///   read 5 until EOF  ◄─────── "CODE message\n" on failure, or EOF ──── execve /sbin/init (5 is CLOEXEC)
///   EOF: "Container start in progress..."
///   text: undo (kill, unmount, cgroups, state), exit CODE
///                                          waitpid(init) ... (poll: console → log, capped)
///                                          take the CT lock; state file gone
///                                          (a stop cleaned up): exit. Else
///                                          exec `vzctl __reap CTID <wait status>`
///                                            takes the CT lock; acts only if the state
///                                            file still names this pid as the monitor:
///                                            cleans up; SIGHUP (reboot inside) → start again
///
/// vzctl dying at any point closes its end of "go": the init stage reads EOF
/// and exits without touching anything, the monitor runs `__reap` (the
/// state file still names it), which
/// waits for the lock and cleans up only what a state file says is its own.
public enum StartProtocol {
    /// Monitor's fds (monitor.c has the same numbers).
    public static let reportFD: Int32 = 3
    public static let goFD: Int32 = 4
    public static let errorFD: Int32 = 5
    public static let logFD: Int32 = 6
    /// The VPS's unified cgroup directory (clone3 CLONE_INTO_CGROUP), then
    /// one v1 `tasks` file per hierarchy: the child is born into its cgroups.
    public static let cgroupFD: Int32 = 7
    public static let firstTasksFD: Int32 = 8

    /// The single byte that releases the init stage.
    public static let go: UInt8 = UInt8(ascii: "g")

    /// Console log cap (bytes): the monitor truncates and restarts the log
    /// when it would grow past this.
    public static let consoleLogCap = 1 << 20

    /// The hidden stage the monitor execs when the init has ended.
    public static let reapStage = "__reap"

    /// What the init stage (vzmonitor's initstage.c) needs, passed as argv
    /// so that it reads no file of the node: it runs in the new namespaces
    /// before anything is set up. `struct init_args` is the C side.
    public struct InitArguments: Equatable, Sendable {
        public var root: String
        public var hostname: String
        public var capabilities: UInt64
        public var newCgroupNamespace: Bool
        /// NUMPTY, DEVNODES and the rlimits, applied by the init stage.
        var limits = InitLimits()
        /// An idle `/bin/sh` as PID 1 instead of the VPS's init (runscript
        /// on a stopped VPS).
        public var bare: Bool

        public init(root: String, hostname: String, capabilities: UInt64, newCgroupNamespace: Bool, bare: Bool = false) {
            self.root = root
            self.hostname = hostname
            self.capabilities = capabilities
            self.newCgroupNamespace = newCgroupNamespace
            self.bare = bare
        }

        public var argv: [String] {
            [root, hostname.isEmpty ? "-" : hostname, String(capabilities, radix: 16), newCgroupNamespace ? "1" : "0",
             limits.encoded, bare ? "bare" : "init"]
        }
    }

    /// An init-stage failure as sent on the error fd (initstage.c's
    /// `fail`): `CODE message`.
    public static func decode(_ bytes: [UInt8]) -> VZError {
        let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        if let space = text.firstIndex(of: " "), let raw = Int32(text[..<space]), let code = ExitCode(rawValue: raw) {
            return VZError(code, String(text[text.index(after: space)...]))
        }
        return VZError(.system, "init stage: \(text)")
    }

    /// How the monitor's child ended, from the raw wait status.
    public enum InitEnd: Equatable, Sendable {
        /// reboot(2) RESTART inside the PID namespace.
        case reboot
        /// reboot(2) POWER_OFF/HALT inside.
        case powerOff
        case exited(Int32)
        case killed(Int32)

        public init(waitStatus s: Int32) {
            let sig = s & 0x7f
            if sig == 0 {
                self = .exited((s >> 8) & 0xff)
            } else if sig == 1 /* SIGHUP */ {
                self = .reboot
            } else if sig == 2 /* SIGINT */ {
                self = .powerOff
            } else {
                self = .killed(sig)
            }
        }
    }
}
