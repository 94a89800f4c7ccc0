import Glibc
import VZConfig
import VZSystem

/// Limits one extraction may not exceed; going over either is exit code 46.
/// They stop zip bombs (one member claiming terabytes) and inode bombs
/// (millions of empty files) before the disk is full, and they are checked
/// against each member's header *before* it is written.
public struct ExtractBudget: Sendable, Equatable {
    /// Sum of member sizes (apparent bytes, as the tar headers state them).
    public var maxBytes: UInt64
    /// Number of archive members, directories and links included.
    public var maxEntries: UInt64

    public init(maxBytes: UInt64, maxEntries: UInt64) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }

    public static let unlimited = ExtractBudget(maxBytes: .max, maxEntries: .max)

    /// What is free for an unprivileged writer on the file system holding
    /// `path` (statvfs f_bavail / f_favail: the root reserve is left alone,
    /// as `df` and vzctl's `vps-create` space check do). A file system that
    /// reports no inode count (btrfs, some tmpfs) gives no inode limit.
    public static func freeSpace(at path: String) throws(VZError) -> ExtractBudget {
        var sv = statvfs()
        _ = try sys("statvfs", path: path, code: .noDiskSpace) { statvfs(path, &sv) }
        let bytes = UInt64(sv.f_bavail).multipliedReportingOverflow(by: UInt64(sv.f_frsize))
        let inodes: UInt64 = sv.f_files == 0 ? .max : UInt64(sv.f_favail)
        return ExtractBudget(maxBytes: bytes.overflow ? .max : bytes.partialValue, maxEntries: inodes)
    }

    /// The budget for a new private area under `path`: free space, further
    /// capped by the container's DISKSPACE and DISKINODES hard limits (KB and
    /// inodes, `soft:hard`) when they are set and not unlimited.
    public static func forPrivateArea(at path: String, config: EffectiveConfig) throws(VZError) -> ExtractBudget {
        var b = try freeSpace(at: path)
        if let text = config["DISKSPACE"], let v = ResourceValue.parse(text, unit: .kilobytes), !v.isLimitUnlimited {
            let r = v.limit.multipliedReportingOverflow(by: 1024)
            if !r.overflow { b.maxBytes = min(b.maxBytes, r.partialValue) }
        }
        if let text = config["DISKINODES"], let v = ResourceValue.parse(text, unit: .items), !v.isLimitUnlimited {
            b.maxEntries = min(b.maxEntries, v.limit)
        }
        return b
    }
}
