import Glibc

/// Keeps the worker's current directory at the parent of the members being
/// extracted, so libarchive sees short names.
///
/// Why: with SECURE_SYMLINKS, libarchive 3.6.2 re-walks every component of
/// every member name from the cwd (`openat(".")`, then `fstatat` + `openat`
/// + `close` per component). For the Debian template (9,130 members, depth
/// ~5) that is ~17 extra syscalls per member and makes the writer ~60%
/// slower than GNU tar's. Tar archives list a directory's files together, so
/// walking to the parent once per run of files and handing libarchive the
/// basename keeps its full check on what remains while the walk itself is
/// paid once per directory.
///
/// Soundness. The invariant: the cwd is the directory reached from the
/// staging root through `current`, every component opened with
/// `O_DIRECTORY|O_NOFOLLOW` (no symlink, the same test SECURE_SYMLINKS
/// applies), and since that walk only *fast* members were written. A fast
/// member is a non-directory, non-hardlink member whose name lies directly
/// in the cwd: it cannot replace the cwd or any of its ancestors. Everything
/// else (directories, hard links, names with `.`/`..`/`//`/a leading `/`,
/// members whose parent cannot be walked) goes through `reset()` first and
/// is handed to libarchive with its full name from the staging root, exactly
/// as without this cache. Directories must stay root-relative anyway:
/// libarchive records their deferred mode/time fix-ups by name. The worker
/// is the only writer in the private staging directory, so nothing else
/// changes the tree between members.
struct ParentDirectoryCache {
    /// The staging root (the worker's initial cwd).
    private let root: Int32
    /// cwd relative to the root; empty = at the root.
    private(set) var current: [UInt8] = []

    init() {
        root = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    var usable: Bool { root >= 0 }

    /// Back to the staging root.
    mutating func reset() {
        guard !current.isEmpty else { return }
        _ = fchdir(root)
        current = []
    }

    /// `name` split into (parent, basename) when it is simple enough for the
    /// fast path: relative, no empty, `.` or `..` component, no trailing
    /// slash. A leading `./` (archives made with `tar -C dir .`) is dropped.
    static func split(_ name: [UInt8]) -> (parent: [UInt8], base: [UInt8])? {
        var n = name[...]
        while n.starts(with: [0x2e, 0x2f]) { n = n.dropFirst(2) }  // "./"
        guard !n.isEmpty, n.first != 0x2f, n.last != 0x2f else { return nil }
        for comp in n.split(separator: 0x2f, omittingEmptySubsequences: false) {
            if comp.isEmpty || comp.elementsEqual([0x2e]) || comp.elementsEqual([0x2e, 0x2e]) { return nil }
        }
        guard let slash = n.lastIndex(of: 0x2f) else { return ([], Array(n)) }
        return (Array(n[n.startIndex..<slash]), Array(n[(slash + 1)...]))
    }

    /// Makes `dir` the cwd. False (and back at the root) when some component
    /// is missing, not a directory, or a symlink: libarchive then gets the
    /// full name and decides (creates the parents, or refuses).
    mutating func enter(_ dir: [UInt8]) -> Bool {
        if dir == current { return true }
        // Walk from the cwd when `dir` is below it (the invariant makes the
        // cwd as trustworthy as the root), else from the root.
        var base = root
        var rest = dir[...]
        if !current.isEmpty, dir.count > current.count + 1, dir.starts(with: current), dir[current.count] == 0x2f {
            base = AT_FDCWD
            rest = dir[(current.count + 1)...]
        } else if dir.isEmpty {
            reset()
            return true
        }
        var fd = base
        for comp in rest.split(separator: 0x2f) {
            let c = Array(comp) + [0]
            let next = c.withUnsafeBufferPointer {
                $0.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if fd != base { close(fd) }
            guard next >= 0 else {
                _ = fchdir(root)
                current = []
                return false
            }
            fd = next
        }
        let ok = fchdir(fd) == 0
        if fd != base { close(fd) }
        guard ok else {
            _ = fchdir(root)
            current = []
            return false
        }
        current = dir
        return true
    }
}
