import Glibc
import VZConfig

/// The capability set a VPS's root keeps, from `CAPABILITY` over vzctl's
/// defaults, as a kernel bit mask (bit N = capability N).
///
/// Three tiers (security guide §5):
/// - never: capabilities that break isolation on a kernel without user
///   namespaces (mount/unmask, module load, raw I/O, clock, ptrace of host
///   helpers, open_by_handle_at, rlimit bypass, audit/MAC/syslog/BPF). A
///   `CAPABILITY=...:on` for them is ignored with a warning.
/// - off by default, allowed on request: hardening (immutable files that
///   block a host destroy, accounting, nice, wake alarms, ...), NET_ADMIN
///   (vzctl 4.x default off; module autoload risk) and MKNOD (only safe
///   with a device cgroup allowlist, so it is granted only when one is in
///   effect).
/// - on by default: what a normal Linux userland needs as root.
public enum Capabilities {
    /// Kernel numbering (linux/capability.h).
    public static let kernelNames: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    public static let never: Set<String> = [
        "DAC_READ_SEARCH", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "SYS_ADMIN", "SYS_RESOURCE",
        "SYS_TIME", "AUDIT_CONTROL", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "PERFMON", "BPF",
    ]

    public static let defaults: Set<String> = [
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_CHROOT",
        "SYS_BOOT", "SYS_TTY_CONFIG", "LEASE", "AUDIT_WRITE", "SETFCAP",
    ]

    public static func bit(_ name: String) -> UInt64? {
        kernelNames.firstIndex(of: name).map { UInt64(1) << UInt64($0) }
    }

    /// The mask for a VPS, and warnings for requests that were refused.
    public static func mask(config: String?, deviceCgroup: Bool) -> (mask: UInt64, warnings: [String]) {
        var on = defaults
        var warnings: [String] = []
        let settings = OnOffSettings.parseLenient(config ?? "", kind: .capability)
        for (name, enabled) in settings.entries {
            if !enabled {
                on.remove(name)
                continue
            }
            if never.contains(name) {
                warnings.append("Warning: capability \(name) is never given to a container; ignored")
            } else if name == "MKNOD" && !deviceCgroup {
                warnings.append("Warning: capability MKNOD needs a device cgroup allowlist; not given")
            } else if bit(name) != nil {
                on.insert(name)
            }
            // VE_ADMIN, SETVEID: OpenVZ-kernel capabilities with no meaning here.
        }
        var m: UInt64 = 0
        for name in on { if let b = bit(name) { m |= b } }
        return (m, warnings)
    }
}
