import Glibc
import VZSystem

/// The mount points of this mount namespace, from one read of
/// /proc/self/mountinfo, so that listing 1,000 containers costs one read
/// rather than a statx per VE_ROOT. (/proc is a kernel interface: never
/// prefixed with VZ_SYSROOT.)
public struct InventoryMountTable: Sendable {
    public private(set) var mountPoints: Set<String>
    /// Resolved parent directories, so a VE_ROOT under a symlinked /vz
    /// still matches the real path the kernel reports.
    private var resolvedParents: [String: String] = [:]

    public init(mountPoints: Set<String>) { self.mountPoints = mountPoints }

    /// Reads /proc/self/mountinfo; an unreadable table means "nothing mounted".
    public static func current() -> InventoryMountTable {
        guard let bytes = try? Files.read("/proc/self/mountinfo") else { return InventoryMountTable(mountPoints: []) }
        return InventoryMountTable(mountinfo: bytes)
    }

    /// Parses mountinfo(5): the mount point is the fifth field, with space,
    /// tab, newline and backslash escaped as `\ooo`.
    public init(mountinfo bytes: [UInt8]) {
        var set = Set<String>()
        var fieldStart = 0
        var field = 0
        var i = 0
        while i <= bytes.count {
            let c: UInt8 = i < bytes.count ? bytes[i] : 0x0A
            if c == 0x20 || c == 0x0A {
                if field == 4 { set.insert(InventoryMountTable.unescape(bytes[fieldStart..<i])) }
                field = c == 0x0A ? 0 : field + 1
                fieldStart = i + 1
            }
            i += 1
        }
        mountPoints = set
    }

    static func unescape(_ s: ArraySlice<UInt8>) -> String {
        guard s.contains(0x5C) else { return String(decoding: s, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == 0x5C, i + 3 < s.endIndex,
               (0x30...0x37).contains(s[i + 1]), (0x30...0x37).contains(s[i + 2]), (0x30...0x37).contains(s[i + 3]) {
                out.append((s[i + 1] - 0x30) << 6 | (s[i + 2] - 0x30) << 3 | (s[i + 3] - 0x30))
                i += 4
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `hostPath` (already sysroot-prefixed) is a mount point.
    public mutating func isMountPoint(_ hostPath: String) -> Bool {
        var p = hostPath
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if mountPoints.contains(p) { return true }
        guard let slash = p.lastIndex(of: "/"), slash != p.startIndex else { return false }
        let parent = String(p[..<slash])
        let resolved: String
        if let r = resolvedParents[parent] {
            resolved = r
        } else {
            resolved = InventoryMountTable.realpath(parent) ?? parent
            resolvedParents[parent] = resolved
        }
        guard resolved != parent else { return false }
        return mountPoints.contains(resolved + p[slash...])
    }

    private static func realpath(_ path: String) -> String? {
        guard let r = Glibc.realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(decoding: UnsafeRawBufferPointer(start: r, count: strlen(r)), as: UTF8.self)
    }
}

/// A directory held open for `*at()` calls; closed when the last copy goes.
final class InventoryDirectory {
    let fd: Int32
    /// Entry name → d_type, read once on the first `contains`.
    private var entries: [String: UInt8]?

    init(_ path: String) { fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    deinit { if fd >= 0 { close(fd) } }

    func exists(_ name: String) -> Bool {
        guard fd >= 0 else { return false }
        var st = stat()
        return fstatat(fd, name, &st, 0) == 0
    }

    /// Whether `name` exists, following a final symlink as stat(2) would,
    /// from one directory read rather than a stat per name (1,000 private
    /// areas under /vz/private). Symlinks and untyped entries are stat'ed.
    func contains(_ name: String) -> Bool {
        guard fd >= 0 else { return false }
        if entries == nil { entries = readEntries() }
        guard let type = entries?[name] else { return false }
        if type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) { return exists(name) }
        return true
    }

    private func readEntries() -> [String: UInt8] {
        var out: [String: UInt8] = [:]
        for (name, type) in Files.entries(ofDirectory: fd) { out[name] = type }
        return out
    }
}

/// One buffer reused for every config file of a listing: open, read,
/// close and no allocation per container.
struct InventoryReadBuffer {
    private var bytes = [UInt8](repeating: 0, count: 65_536)
    private var used = 0

    /// Reads `name` in `dir` whole; false when it cannot be opened or read.
    mutating func read(at dir: InventoryDirectory, _ name: String) -> Bool {
        guard let n = Files.read(name, at: dir.fd, into: &bytes) else { return false }
        used = n
        return true
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<used])) }
    }
}
