import CVZShim
import Glibc
import VZConfig

/// Deletes a directory tree that container root may have shaped to hurt the
/// host (security guide §3.1):
///
/// * **No symlink is ever followed.** Every step is fd-relative: children are
///   opened with `openat2(dirfd, name, O_NOFOLLOW|O_DIRECTORY,
///   RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV)` and removed with `unlinkat`, so a
///   symlink is unlinked and its target never touched.
/// * **No mount is ever crossed.** `RESOLVE_NO_XDEV` refuses to step onto a
///   mount, the opened directory's statx mount id is checked against the
///   tree's, and `unlink` of a file bind mount fails with EBUSY. `st_dev`
///   alone would miss a bind mount of a directory of the same file system
///   (which is how `rm -rf --one-file-system` deleted our canary).
/// * **Depth is unbounded.** The walk is iterative and holds one directory fd
///   at a time: it goes back up with `openat(fd, "..")` and checks the
///   parent's dev/ino against its own stack, so a 4096+-byte-deep tree neither
///   hits PATH_MAX nor needs one fd per level.
/// * **Hostile modes are repaired.** A directory without read, write or
///   search permission is chmod'ed to 0700 before use (through an O_PATH fd,
///   which needs no permission on the directory itself), and immutable or
///   append-only flags are cleared when an unlink fails with EPERM. Root here
///   has DAC override, so this matters for tool runs without it (fsuid, user
///   namespaces).
/// * **Names are bytes.** Entry names are never turned into `String`: a
///   non-UTF-8 name would come back repaired and the unlink would miss.
///
/// Mounts met inside the tree: by default they are **detached**
/// (`umount2(MNT_DETACH|UMOUNT_NOFOLLOW)` through `/proc/self/fd/<dirfd>/<name>`)
/// and the directory or file underneath is removed. What was mounted is
/// never entered, so its content survives (a bind-mounted host directory
/// stays as it was), and destroy completes instead of leaving a
/// half-deleted private area behind. A mount in a stopped container's private
/// area is an admin's leftover, never something the container still needs.
/// `.refuse` stops with an error naming the mount instead. The top of the tree
/// itself being a mount root is always refused: the caller has then confused
/// a mounted file system with a directory it owns.
public enum SafeRemove {
    public enum MountPolicy: Sendable {
        /// Detach the mount (lazily) and remove what lies underneath.
        case detach
        /// Stop with an error naming the mount point.
        case refuse
    }

    /// Removes `path` and everything below it. A missing path is not an
    /// error (a re-run destroy finishes a killed one). If `path` itself is a
    /// symlink, only the link is removed (vzctl does the same for a
    /// VE_PRIVATE symlink). Symlinks in the components *above* the last are
    /// followed: they are the admin's layout (`/vz -> /srv/vz`).
    public static func removeTree(
        at path: String, mounts: MountPolicy = .detach, code: ExitCode = .cannotDeletePrivate
    ) throws(VZError) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        let name = Files.basename(p)
        guard !p.isEmpty, p != "/", name != ".", name != ".." else {
            throw VZError(code, "refusing to remove this path", path: path)
        }
        let parentPath = Files.dirname(p)
        let parent: FileDescriptor
        switch sysResult({ open(parentPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }) {
        case .success(let fd): parent = FileDescriptor(owning: fd)
        case .failure(Errno(ENOENT)): return
        case .failure(let e): throw e.error(code, "open", path: parentPath)
        }
        try removeTree(parent: parent, name: name, mounts: mounts, code: code, displayPath: p)
    }

    /// Removes `name` (one path component) in the directory `parent`.
    public static func removeTree(
        parent: FileDescriptor, name: String, mounts: MountPolicy = .detach,
        code: ExitCode = .cannotDeletePrivate, displayPath: String? = nil
    ) throws(VZError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw VZError(code, "refusing to remove this name", path: name)
        }
        var walker = Walker(parent: parent.raw, top: Array(name.utf8CString), policy: mounts, code: code,
                            display: displayPath ?? name)
        try walker.run()
    }
}

/// One removal. `cur` is the only directory fd held open besides the
/// caller's parent.
private struct Walker {
    typealias Name = [CChar]  // NUL-terminated bytes, exactly as the kernel gave them

    struct Frame {
        var dev: UInt64
        var ino: UInt64
        var name: Name
        /// Subdirectories still to visit; nil until the directory was scanned.
        var pending: [Name]?
        /// Subdirectories whose rmdir found them non-empty again, and how often.
        var retries: [Name: Int] = [:]
    }

    let parent: Int32
    let top: Name
    let policy: SafeRemove.MountPolicy
    let code: ExitCode
    let display: String
    var stack: [Frame] = []
    var cur: FileDescriptor?
    var treeMount: UInt64 = 0

    init(parent: Int32, top: Name, policy: SafeRemove.MountPolicy, code: ExitCode, display: String) {
        self.parent = parent
        self.top = top
        self.policy = policy
        self.code = code
        self.display = display
    }

    mutating func run() throws(VZError) {
        var sx = vz_statx()
        if top.withUnsafeBufferPointer({ vz_statx(parent, $0.baseAddress, AT_SYMLINK_NOFOLLOW, &sx) }) != 0 {
            let e = errno
            if e == ENOENT { return }
            throw VZError(code, "statx", errno: e, path: display)
        }
        if sx.is_mount_root == 1 {
            throw VZError(code, "refusing to remove a mount point", path: display)
        }
        guard sx.mode & UInt32(S_IFMT) == UInt32(S_IFDIR) else {
            try unlinkEntry(dir: parent, top, topLevel: true)
            return
        }
        // The loop repeats only when the top directory was found non-empty
        // again at the end (something was created meanwhile).
        for _ in 0..<4 {
            switch openChild(parent, top) {
            case .directory(let fd, let d):
                cur = fd
                treeMount = d.mnt_id
                stack = [Frame(dev: devOf(d), ino: d.ino, name: top, pending: nil)]
            case .gone: return
            case .notDirectory: try unlinkEntry(dir: parent, top, topLevel: true); return
            case .mount: throw VZError(code, "refusing to remove a mount point", path: display)
            case .failed(let e, let what): throw VZError(code, what, errno: e, path: display)
            }
            try walkBelowTop()
            cur = nil
            stack = []
            if try removeDirectory(in: parent, top, topLevel: true) { return }
        }
        throw VZError(code, "directory keeps changing during removal", errno: ENOTEMPTY, path: display)
    }

    // MARK: - the walk

    /// Empties the top directory. Depth-first; returns with the top scanned
    /// and all its subdirectories removed.
    private mutating func walkBelowTop() throws(VZError) {
        while let dirFd = cur?.raw {
            let depth = stack.count - 1
            if stack[depth].pending == nil {
                stack[depth].pending = try scan(dirFd)
            }
            if let sub = stack[depth].pending?.popLast() {
                try descend(into: sub, from: dirFd)
                continue
            }
            if depth == 0 { return }
            // Every entry found is gone: go up and remove this directory.
            let done = stack.removeLast()
            let up = try openParent(of: dirFd)
            cur = up
            if try !removeDirectory(in: up.raw, done.name, topLevel: false) {
                let n = (stack[depth - 1].retries[done.name] ?? 0) + 1
                guard n <= 3 else {
                    throw VZError(code, "directory keeps changing during removal", errno: ENOTEMPTY, path: path(done.name))
                }
                stack[depth - 1].retries[done.name] = n
                stack[depth - 1].pending?.append(done.name)
            }
        }
    }

    private mutating func descend(into sub: Name, from dirFd: Int32) throws(VZError) {
        // Several mounts may be stacked on one directory; each is detached in turn.
        for _ in 0..<16 {
            switch openChild(dirFd, sub) {
            case .directory(let fd, let d):
                if d.has_mnt_id != 0 && d.mnt_id != treeMount {
                    try handleMount(dirFd, sub)
                    continue
                }
                stack.append(Frame(dev: devOf(d), ino: d.ino, name: sub, pending: nil))
                cur = fd  // closes the parent's fd: one directory fd at a time
                return
            case .gone:
                return
            case .notDirectory:
                try unlinkEntry(dir: dirFd, sub, topLevel: false)
                return
            case .mount:
                try handleMount(dirFd, sub)
            case .failed(let e, let what):
                throw VZError(code, what, errno: e, path: path(sub))
            }
        }
        throw VZError(code, "too many mounts stacked on one directory", path: path(sub))
    }

    /// `..` of the current directory, checked to be the directory the stack
    /// says we came from: if the tree was rearranged under us, stop rather
    /// than delete somewhere else.
    private func openParent(of dirFd: Int32) throws(VZError) -> FileDescriptor {
        // Messages are built only on failure: `path()` walks the whole stack.
        let fd: Int32
        switch sysResult({ openat(dirFd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }) {
        case .success(let f): fd = f
        case .failure(let e): throw e.error(code, "open ..", path: path(nil))
        }
        let up = FileDescriptor(owning: fd)
        var sx = vz_statx()
        if case .failure(let e) = sysResult({ vz_statx(fd, "", VZ_AT_EMPTY_PATH, &sx) }) {
            throw e.error(code, "statx ..", path: path(nil))
        }
        let expected = stack[stack.count - 1]
        guard devOf(sx) == expected.dev, sx.ino == expected.ino else {
            throw VZError(code, "directory moved during removal", path: path(nil))
        }
        return up
    }

    /// rmdir of a directory whose entries were all removed. False when it is
    /// not empty after all (an entry appeared), so the caller rescans.
    private mutating func removeDirectory(in dirFd: Int32, _ name: Name, topLevel: Bool) throws(VZError) -> Bool {
        for attempt in 0..<3 {
            let r = name.withUnsafeBufferPointer { unlinkat(dirFd, $0.baseAddress!, AT_REMOVEDIR) }
            if r == 0 { return true }
            let e = errno
            switch e {
            case ENOENT: return true
            case ENOTEMPTY, EEXIST: return false
            case EBUSY where !topLevel:
                // Became a mount point after we left it.
                try handleMount(dirFd, name)
                return false
            case EACCES where attempt == 0: makeWritable(dirFd)
            case EPERM where attempt < 2: clearFlags(dirFd: dirFd, name)
            default: throw VZError(code, "rmdir", errno: e, path: topLevel ? display : path(name))
            }
        }
        throw VZError(code, "rmdir", errno: EPERM, path: topLevel ? display : path(name))
    }

    // MARK: - one directory

    /// Removes every non-directory entry of `dirFd` and returns the names of
    /// its subdirectories. Names are collected before anything is unlinked:
    /// what readdir returns while the directory changes is unspecified.
    private mutating func scan(_ dirFd: Int32) throws(VZError) -> [Name] {
        var sx = vz_statx()
        if vz_statx(dirFd, "", VZ_AT_EMPTY_PATH, &sx) == 0, sx.mode & 0o700 != 0o700 {
            // Hostile or just restrictive mode: unlinking needs w+x, the walk
            // needs r. Failing here (not owner, no CAP_FOWNER) is left to
            // the calls that need it to report.
            _ = fchmod(dirFd, 0o700)
        }
        let dupFd: Int32
        switch sysResult({ fcntl(dirFd, F_DUPFD_CLOEXEC, 0) }) {
        case .success(let f): dupFd = f
        case .failure(let e): throw e.error(code, "dup", path: path(nil))
        }
        guard let dir = fdopendir(dupFd) else {
            let e = errno
            close(dupFd)
            throw VZError(code, "opendir", errno: e, path: path(nil))
        }
        rewinddir(dir)  // the dup shares the offset with earlier scans
        var subdirs: [Name] = []
        var others: [Name] = []
        var unknown: [Name] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                let e = errno
                if e != 0 {
                    closedir(dir)
                    throw VZError(code, "readdir", errno: e, path: path(nil))
                }
                break
            }
            let name: Name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: CChar.self)
                let n = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[0..<n]) + [0]
            }
            if name == [46, 0] || name == [46, 46, 0] { continue }  // "." and ".."
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_DIR): subdirs.append(name)
            case Int32(DT_UNKNOWN): unknown.append(name)
            default: others.append(name)
            }
        }
        closedir(dir)
        for name in unknown {
            var st = vz_statx()
            let r = name.withUnsafeBufferPointer { vz_statx(dirFd, $0.baseAddress, AT_SYMLINK_NOFOLLOW, &st) }
            if r != 0 { continue }  // gone
            if st.mode & UInt32(S_IFMT) == UInt32(S_IFDIR) { subdirs.append(name) } else { others.append(name) }
        }
        for name in others {
            if try !unlinkEntry(dir: dirFd, name, topLevel: false) { subdirs.append(name) }
        }
        return subdirs
    }

    /// unlink of a non-directory. Returns false when the name turned out to
    /// be a directory after all.
    @discardableResult
    private mutating func unlinkEntry(dir dirFd: Int32, _ name: Name, topLevel: Bool) throws(VZError) -> Bool {
        for attempt in 0..<20 {
            let r = name.withUnsafeBufferPointer { unlinkat(dirFd, $0.baseAddress!, 0) }
            if r == 0 { return true }
            let e = errno
            switch e {
            case ENOENT: return true
            case EISDIR: return false
            case EBUSY:
                // A file bind mount: unlink refuses mount points.
                if topLevel { throw VZError(code, "refusing to remove a mount point", path: display) }
                try handleMount(dirFd, name)
            case EACCES where attempt < 2: makeWritable(dirFd)
            case EPERM where attempt < 2: clearFlags(dirFd: dirFd, name)
            default: throw VZError(code, "unlink", errno: e, path: topLevel ? display : path(name))
            }
        }
        throw VZError(code, "unlink keeps failing", path: path(name))
    }

    // MARK: - opening a child

    enum Opened {
        case directory(FileDescriptor, vz_statx)
        case gone
        case notDirectory
        case mount
        case failed(Int32, String)
    }

    /// Opens a subdirectory without following a symlink and without
    /// stepping onto a mount. A directory we may not read is chmod'ed 0700
    /// through an O_PATH descriptor (opening O_PATH needs no permission on
    /// the directory; fchmod on O_PATH does not work, the magic link does).
    private func openChild(_ dirFd: Int32, _ name: Name) -> Opened {
        let resolve = VZ_RESOLVE_NO_XDEV | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS | VZ_RESOLVE_BENEATH
        func open2(_ flags: Int32) -> Result<Int32, Errno> {
            sysResult {
                name.withUnsafeBufferPointer {
                    vz_openat2(dirFd, $0.baseAddress, UInt64(flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), 0, resolve)
                }
            }
        }
        var result = open2(O_RDONLY)
        if case .failure(Errno(EACCES)) = result, case .success(let pfd) = open2(VZ_O_PATH) {
            let opath = FileDescriptor(owning: pfd)
            _ = chmod("/proc/self/fd/\(opath.raw)", 0o700)
            result = sysResult { openat(opath.raw, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        switch result {
        case .success(let fd):
            let dir = FileDescriptor(owning: fd)
            var sx = vz_statx()
            guard vz_statx(fd, "", VZ_AT_EMPTY_PATH, &sx) == 0 else { return .failed(errno, "statx") }
            if sx.is_mount_root == 1 { return .mount }
            return .directory(dir, sx)
        case .failure(let e):
            switch e.rawValue {
            case ENOENT: return .gone
            case ENOTDIR, ELOOP: return .notDirectory
            case EXDEV: return .mount
            default: return .failed(e.rawValue, "open")
            }
        }
    }

    // MARK: - repairs

    private mutating func handleMount(_ dirFd: Int32, _ name: Name) throws(VZError) {
        guard policy == .detach else {
            throw VZError(code, "refusing to remove through a mount point", path: path(name))
        }
        // A non-UTF-8 name cannot go through String; build the path as bytes.
        var bytes = Array("/proc/self/fd/\(dirFd)/".utf8CString.dropLast())
        bytes.append(contentsOf: name)
        let r = bytes.withUnsafeBufferPointer { umount2($0.baseAddress!, Int32(MNT_DETACH) | VZ_UMOUNT_NOFOLLOW) }
        if r != 0 {
            let e = errno
            throw VZError(code, "cannot detach mount point inside the tree", errno: e, path: path(name))
        }
    }

    /// Gives the owner rwx on a directory so its entries can be unlinked.
    private func makeWritable(_ dirFd: Int32) {
        _ = fchmod(dirFd, 0o700)
    }

    /// Clears immutable/append-only flags (chattr +i/+a) on the directory and
    /// on the entry, when the entry is a regular file or a directory: only
    /// those carry such flags, and opening anything else (a device node, a
    /// FIFO) could have side effects.
    private func clearFlags(dirFd: Int32, _ name: Name) {
        let mask = VZ_FS_IMMUTABLE_FL | VZ_FS_APPEND_FL
        func clear(_ fd: Int32) {
            var flags: UInt32 = 0
            if vz_fs_getflags(fd, &flags) == 0, flags & mask != 0 { _ = vz_fs_setflags(fd, flags & ~mask) }
        }
        clear(dirFd)
        let fd = name.withUnsafeBufferPointer {
            vz_openat2(dirFd, $0.baseAddress, UInt64(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), 0,
                       VZ_RESOLVE_NO_XDEV | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_BENEATH)
        }
        guard fd >= 0 else { return }
        defer { close(fd) }
        var sx = vz_statx()
        guard vz_statx(fd, "", VZ_AT_EMPTY_PATH, &sx) == 0 else { return }
        let type = sx.mode & UInt32(S_IFMT)
        if type == UInt32(S_IFREG) || type == UInt32(S_IFDIR) { clear(fd) }
    }

    // MARK: - helpers

    private func devOf(_ sx: vz_statx) -> UInt64 { UInt64(sx.dev_major) << 32 | UInt64(sx.dev_minor) }

    /// Display path of the current directory (plus `name`) for messages,
    /// shortened in the middle when deep; invalid UTF-8 shows as U+FFFD.
    private func path(_ name: Name?) -> String {
        var parts = stack.dropFirst().map { $0.name }
        if let name { parts.append(name) }
        var s = display
        for p in parts {
            s += "/" + String(decoding: p.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        if s.count > 512 { s = String(s.prefix(200)) + "/…/" + String(s.suffix(300)) }
        return s
    }
}
