/// The user beancounter keys of compat §2.4, in the kernel's row order
/// (`UB_RESOURCES_COMPAT` without the dummies, then swappages and the
/// config-only avnumproc). The raw value is the lowercase option name.
public enum Beancounter: String, Sendable, CaseIterable, Hashable {
    case kmemsize, lockedpages, privvmpages, shmpages, numproc, physpages
    case vmguarpages, oomguarpages, numtcpsock, numflock, numpty, numsiginfo
    case tcpsndbuf, tcprcvbuf, othersockbuf, dgramrcvbuf, numothersock
    case dcachesize, numfile, numiptent, swappages, avnumproc

    /// The config key (`KMEMSIZE`).
    public var key: String { ValueSyntax.asciiUppercased(rawValue) }

    /// The `--kmemsize` option name, without dashes.
    public var option: String { rawValue }

    public var unit: ResourceUnit {
        switch self {
        case .lockedpages, .privvmpages, .shmpages, .physpages, .vmguarpages, .oomguarpages, .swappages:
            return .pages
        case .kmemsize, .tcpsndbuf, .tcprcvbuf, .othersockbuf, .dgramrcvbuf, .dcachesize:
            return .bytes
        case .numproc, .numtcpsock, .numflock, .numpty, .numsiginfo, .numothersock, .numfile, .numiptent, .avnumproc:
            return .items
        }
    }

    /// `vzctl set` short options (compat §1).
    public var shortOption: Character? {
        switch self {
        case .numproc: return "p"
        case .numpty: return "t"
        case .kmemsize: return "k"
        case .lockedpages: return "l"
        case .numflock: return "f"
        case .numsiginfo: return "i"
        case .tcprcvbuf: return "b"
        case .numfile: return "n"
        case .dcachesize: return "x"
        case .numiptent: return "e"
        default: return nil
        }
    }

    /// Keys older configs used for the same counter (vzctl `config[]` aliases).
    public var legacyKeys: [String] {
        switch self {
        case .dcachesize: return ["DCACHE"]
        case .numiptent: return ["IPTENTRIES"]
        default: return []
        }
    }

    public init?(key: String) {
        for b in Beancounter.allCases where b.key == key || b.legacyKeys.contains(key) {
            self = b
            return
        }
        return nil
    }
}

/// How a stock kernel enforces a beancounter (compat §2.4's mapping): the
/// one place that says which keys are real limits and which are only
/// accepted, validated, saved and shown. Start/set apply the first kinds;
/// vzubc and vzlist mark `.notEnforced` rows as such instead of
/// pretending a kernel counter behind them.
public enum BeancounterEnforcement: Sendable, Equatable {
    /// A memory-cgroup limit (memory.max / memory.swap.max / low / min,
    /// v1 limit_in_bytes, memsw, soft limit).
    case memoryCgroup
    /// The pids controller (processes and threads).
    case pidsCgroup
    /// A resource limit of init and of every process `exec` starts
    /// (RLIMIT_MEMLOCK, RLIMIT_SIGPENDING, RLIMIT_NOFILE).
    case rlimit
    /// The `max=` option of the VPS's own devpts instance.
    case devpts
    /// The IPC namespace's shm sysctls (kernel.shmall/shmmax).
    case ipcNamespace
    /// Accepted and saved; no stock-kernel equivalent (or, for KMEMSIZE
    /// and the socket buffers, charged to the memory limit as a whole:
    /// v1 `memory.kmem.limit_in_bytes` still exists on 6.x, but the
    /// kernel ignores what is written to it, checked on 6.18).
    case notEnforced
    /// AVNUMPROC: a sizing hint for tools, never a kernel resource.
    case configOnly
}

extension Beancounter {
    public var enforcement: BeancounterEnforcement {
        switch self {
        case .physpages, .swappages, .vmguarpages, .oomguarpages: return .memoryCgroup
        case .numproc: return .pidsCgroup
        case .lockedpages, .numsiginfo, .numfile: return .rlimit
        case .numpty: return .devpts
        case .shmpages: return .ipcNamespace
        case .avnumproc: return .configOnly
        case .kmemsize, .privvmpages, .numtcpsock, .numflock, .tcpsndbuf, .tcprcvbuf, .othersockbuf,
             .dgramrcvbuf, .numothersock, .dcachesize, .numiptent:
            return .notEnforced
        }
    }
}
