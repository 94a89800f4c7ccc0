import VZConfig

/// Every message and fd number of the start handshake, in one place.
///
///   vzctl start (Swift, CT lock held)      vzmonitor (C)            init stage = PID 1 (Swift)
///   ─────────────────────────────────      ─────────────            ──────────────────────────
///   mount VE_PRIVATE on VE_ROOT (host)
///   create cgroups (VZCgroup), write limits
///   pipes: report, go, error; console log
///   posix_spawn ────────────────────────►  setsid, signals reset
///     fds 0-2 /dev/null, 3 report(w),      console pty
///     4 go(r), 5 error(w), 6 log           clone(NEWNS|NEWPID|NEWUTS
///                                                |NEWIPC|NEWNET) ───────►  exec `vzctl __init ...`
///                                          close 4, 5                    (0-2 = console pty slave)
///   read "<pid>\n" on 3  ◄──────────────── write pid, close 3            block on read(4)
///   attach pid to cgroups (VZCgroup)
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
///                                          exec `vzctl __reap CTID <wait status>`
///                                            takes the CT lock; acts only if the state
///                                            file still names this pid as the monitor:
///                                            cleans up; SIGHUP (reboot inside) → start again
///
/// vzctl dying at any point closes its end of "go": the init stage reads EOF
/// and exits without touching anything, the monitor runs `__reap`, which
/// waits for the lock and cleans up only what a state file says is its own.
public enum StartProtocol {
    /// Monitor's fds (monitor.c has the same numbers).
    public static let reportFD: Int32 = 3
    public static let goFD: Int32 = 4
    public static let errorFD: Int32 = 5
    public static let logFD: Int32 = 6

    /// The single byte that releases the init stage.
    public static let go: UInt8 = UInt8(ascii: "g")

    /// Console log cap (bytes): the monitor truncates and restarts the log
    /// when it would grow past this.
    public static let consoleLogCap = 1 << 20

    /// Hidden stage names (`vzctl __init ...`, `vzctl __reap ...`).
    public static let initStage = "__init"
    public static let reapStage = "__reap"

    /// What the init stage needs, passed as argv so that it reads no file
    /// of the node: it runs in the new namespaces before anything is set up.
    public struct InitArguments: Equatable, Sendable {
        public var root: String
        public var hostname: String
        public var capabilities: UInt64
        public var newCgroupNamespace: Bool
        /// NUMPTY, DEVNODES and the rlimits, applied by the init stage.
        var limits = InitLimits()

        public init(root: String, hostname: String, capabilities: UInt64, newCgroupNamespace: Bool) {
            self.root = root
            self.hostname = hostname
            self.capabilities = capabilities
            self.newCgroupNamespace = newCgroupNamespace
        }

        public var argv: [String] {
            [root, hostname.isEmpty ? "-" : hostname, String(capabilities, radix: 16), newCgroupNamespace ? "1" : "0", limits.encoded]
        }

        public init?(argv: [String]) {
            guard argv.count == 5, let caps = UInt64(argv[2], radix: 16), let l = InitLimits(encoded: argv[4]) else { return nil }
            limits = l
            root = argv[0]
            hostname = argv[1] == "-" ? "" : argv[1]
            capabilities = caps
            newCgroupNamespace = argv[3] == "1"
        }
    }

    /// An init-stage failure as sent on the error fd: `CODE message`.
    public static func encode(_ error: VZError) -> [UInt8] {
        Array("\(error.code.rawValue) \(error.description)\n".utf8)
    }

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
