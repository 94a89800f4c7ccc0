import CVZShim
import Glibc
import VZConfig

/// Small path-level helpers for host files the tool owns (configs, locks,
/// state). Never used on paths inside a container's tree; those go through
/// fd-relative walks (`SafeRemove`) or `openat2`.
public enum Files {
    /// File contents, or nil when it does not exist.
    public static func read(_ path: String) throws(VZError) -> [UInt8]? {
        switch sysResult({ Glibc.open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let fd): return try FileDescriptor(owning: fd).readAll()
        case .failure(let e) where e.rawValue == ENOENT: return nil
        case .failure(let e): throw e.error(.system, "open", path: path)
        }
    }

    public static func readString(_ path: String) throws(VZError) -> String? {
        guard let bytes = try read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool {
        statNoFollow(path) != nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        guard let st = statNoFollow(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p` with an explicit mode for the directories it creates
    /// (umask-independent, security guide §3.5).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(VZError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for comp in path.split(separator: "/") {
            prefix += "/" + comp
            switch sysResult({ Glibc.mkdir(prefix, mode) }) {
            case .success: _ = Glibc.chmod(prefix, mode)
            case .failure(let e) where e.rawValue == EEXIST:
                if !isDirectory(prefix) {
                    // A symlink to a directory is acceptable for admin-made
                    // layout (e.g. /vz -> /srv/vz); anything else is not.
                    guard let st = statFollowing(prefix), (st.st_mode & S_IFMT) == S_IFDIR else {
                        throw VZError(.cannotCreateDir, "not a directory", errno: ENOTDIR, path: prefix)
                    }
                }
            case .failure(let e): throw e.error(.cannotCreateDir, "mkdir", path: prefix)
            }
        }
    }

    public static func unlink(_ path: String) throws(VZError) {
        switch sysResult({ Glibc.unlink(path) }) {
        case .success, .failure(Errno(ENOENT)): return
        case .failure(let e): throw e.error(.system, "unlink", path: path)
        }
    }

    public static func rename(_ from: String, _ to: String, noReplace: Bool = false) throws(VZError) {
        _ = try sys("rename to \(to)", path: from) {
            noReplace ? vz_renameat2(AT_FDCWD, from, AT_FDCWD, to, VZ_RENAME_NOREPLACE) : Glibc.rename(from, to)
        }
    }

    /// fsync of a directory, so a rename or unlink in it is durable.
    public static func syncDirectory(_ path: String) throws(VZError) {
        try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY).fsync(path: path)
    }

    /// A symlink's target (never followed), nil when `path` is not a link.
    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Names in a directory (no `.`/`..`), or [] when it does not exist.
    public static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        forEachEntry(d) { name, _ in if name != "." && name != ".." { names.append(name) } }
        return names
    }

    /// Every entry of an open directory, `.` and `..` included, with its
    /// d_type (`DT_UNKNOWN` where the file system does not tell). Reads
    /// through a duplicate, rewound, so `fd` stays usable for `*at()` calls.
    /// [] when it cannot be read.
    public static func entries(ofDirectory fd: Int32) -> [(name: String, type: UInt8)] {
        let copy = dup(fd)
        guard copy >= 0, let d = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(d) }
        // The duplicate shares the file offset of `fd`.
        rewinddir(d)
        var out: [(name: String, type: UInt8)] = []
        forEachEntry(d) { out.append(($0, $1)) }
        return out
    }

    private static func forEachEntry(_ d: OpaquePointer, _ body: (String, UInt8) -> Void) {
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            body(name, ent.pointee.d_type)
        }
    }

    /// `name` in the open directory `dirfd`, read whole into `buffer` (which
    /// the caller reuses across files: vzlist reads 1,000 configs with one
    /// buffer and no fstat). Returns the length, nil when it cannot be
    /// opened or read. The file is taken to be regular: a short read ends it.
    public static func read(_ name: String, at dirfd: Int32, into buffer: inout [UInt8]) -> Int? {
        guard dirfd >= 0 else { return nil }
        let fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        guard case .success(let n) = FileDescriptor.read(fd, into: &buffer, shortReadIsEnd: true) else { return nil }
        return n
    }
}
