import CVZShim
import Glibc
import Testing
import VZConfig
import VZSystem

/// SafeRemove against trees shaped the way container root could shape its
/// private area (security guide §3.1). All run as root; every test removes
/// what it made and unmounts what it mounted, on every path.
@Suite struct SafeRemoveTests {
    @Test func symlinksAreUnlinkedNeverFollowed() throws {
        let t = try TempDir("symlinks")
        defer { t.close() }
        let canary = try t.canary()
        let tree = t.path + "/tree"
        try mkdirs(tree + "/sub/deep")
        #expect(symlink(canary, tree + "/abs") == 0)
        #expect(symlink(canary + "/keep", tree + "/absfile") == 0)
        #expect(symlink("../canary", tree + "/rel") == 0)
        #expect(symlink("../../../canary", tree + "/sub/deep/up") == 0)
        #expect(symlink("/nonexistent/x", tree + "/dangling") == 0)
        #expect(symlink("loop", tree + "/loop") == 0)
        #expect(symlink("/", tree + "/sub/root") == 0)
        let before = describeTree(canary)
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
        #expect(describeTree(canary) == before)
    }

    @Test func topLevelSymlinkRemovesOnlyTheLink() throws {
        let t = try TempDir("toplink")
        defer { t.close() }
        let canary = try t.canary()
        #expect(symlink(canary, t.path + "/private") == 0)
        let before = describeTree(canary)
        try SafeRemove.removeTree(at: t.path + "/private")
        #expect(statNoFollow(t.path + "/private") == nil)
        #expect(describeTree(canary) == before)
    }

    @Test func bindMountsAreDetachedAndTheirContentKept() throws {
        let t = try TempDir("bind")
        defer { t.close() }
        let canary = try t.canary()
        let tree = t.path + "/tree"
        try mkdirs(tree + "/a/b/mnt")
        try AtomicFile.write(tree + "/a/file", "under the file mount\n")
        try AtomicFile.write(tree + "/a/b/mnt/hidden", "under the dir mount\n")
        let dirMount = tree + "/a/b/mnt", fileMount = tree + "/a/file"
        try bind(canary, dirMount)
        defer { _ = umount2(dirMount, Int32(MNT_DETACH)) }
        try bind(canary + "/keep", fileMount)
        defer { _ = umount2(fileMount, Int32(MNT_DETACH)) }
        // Same file system: st_dev alone would not notice these mounts.
        #expect(statFollowing(dirMount)?.st_dev == statFollowing(tree)?.st_dev)
        let before = describeTree(canary)

        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
        #expect(describeTree(canary) == before, "mounted content was touched")
        #expect(mountPoints(under: tree).isEmpty, "mounts left: \(mountPoints(under: tree))")
    }

    @Test func bindMountsRefusedOnRequest() throws {
        let t = try TempDir("refuse")
        defer { t.close() }
        let canary = try t.canary()
        let tree = t.path + "/tree"
        try mkdirs(tree + "/x/mnt")
        try AtomicFile.write(tree + "/x/other", "gone\n")
        try bind(canary, tree + "/x/mnt")
        defer { _ = umount2(tree + "/x/mnt", Int32(MNT_DETACH)) }
        let before = describeTree(canary)
        do throws(VZError) {
            try SafeRemove.removeTree(at: tree, mounts: .refuse)
            Issue.record("removal went through a mount point")
        } catch {
            #expect(error.code == .cannotDeletePrivate)
            #expect(error.description.contains("mount"))
        }
        #expect(describeTree(canary) == before)
        #expect(mountPoints(under: tree) == [tree + "/x/mnt"])
    }

    @Test func mountedTopIsRefused() throws {
        let t = try TempDir("topmount")
        defer { t.close() }
        let canary = try t.canary()
        let top = t.path + "/private"
        try mkdirs(top)
        try bind(canary, top)
        defer { _ = umount2(top, Int32(MNT_DETACH)) }
        let before = describeTree(canary)
        #expect(throws: VZError.self) { try SafeRemove.removeTree(at: top) }
        #expect(describeTree(canary) == before)
    }

    /// 130 levels of 50-character names (6630 bytes, past PATH_MAX), then
    /// more short-named levels than this process may hold descriptors
    /// (RLIMIT_NOFILE): a walker holding one fd per level would hit EMFILE.
    @Test func treeDeeperThanPathMaxAndDescriptorLimit() throws {
        let t = try TempDir("deep")
        defer { t.close() }
        let tree = t.path + "/tree"
        try mkdirs(tree)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let shortLevels = Int(min(limit.rlim_cur, 100_000)) + 64
        var fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(fd >= 0)
        let long = String(repeating: "d", count: 50)
        for level in 0..<(130 + shortLevels) {
            let name = level < 130 ? long : "s"
            #expect(mkdirat(fd, name, 0o755) == 0)
            if level % 10 == 0 {
                let f = openat(fd, "file\(level)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                #expect(f >= 0)
                close(f)
                #expect(symlinkat("/etc/passwd", fd, "link\(level)") == 0)
            }
            let next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(fd)
            fd = next
            if fd < 0 { break }
        }
        close(fd)
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
    }

    @Test func directoriesWithoutPermissions() throws {
        let t = try TempDir("perms")
        defer { t.close() }
        let tree = t.path + "/tree"
        try makeLockedTree(tree)
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
    }

    /// The same tree, owned by nobody and removed with this thread's fsuid
    /// set to nobody: the kernel then drops the thread's DAC override, so
    /// the chmod repairs are what make it work.
    @Test func directoriesWithoutPermissionsAndWithoutDACOverride() throws {
        let t = try TempDir("fsuid")
        defer { t.close() }
        let nobody: uid_t = 65534
        #expect(chown(t.path, nobody, nobody) == 0)
        let tree = t.path + "/tree"
        try makeLockedTree(tree, owner: nobody)
        _ = vz_setfsuid(nobody)
        var failure: VZError?
        do throws(VZError) { try SafeRemove.removeTree(at: tree) } catch { failure = error }
        _ = vz_setfsuid(0)
        #expect(vz_setfsuid(0) == 0, "fsuid not restored")
        #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
        #expect(!Files.exists(tree))
    }

    @Test func hostileNames() throws {
        let t = try TempDir("names")
        defer { t.close() }
        let tree = t.path + "/tree"
        try mkdirs(tree)
        let names: [[UInt8]] = [
            Array("new\nline".utf8), Array("-rf".utf8), Array("$(touch PWNED)".utf8), Array("`touch PWNED`".utf8),
            Array("*".utf8), Array(" ".utf8), Array("\\".utf8), Array("...".utf8), Array("-".utf8),
            [0xff, 0xfe, 0x2f - 1], Array("caf".utf8) + [0xe9], [UInt8](repeating: UInt8(ascii: "n"), count: 255),
        ]
        let dirFd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dirFd) }
        for (i, n) in names.enumerated() {
            let c = n.map { CChar(bitPattern: $0) } + [0]
            if i % 2 == 0 {
                #expect(mkdirat(dirFd, c, 0o755) == 0)
                let sub = openat(dirFd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                #expect(mkdirat(sub, c, 0o755) == 0)
                let f = openat(sub, "-rf", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                close(f)
                close(sub)
            } else {
                let f = openat(dirFd, c, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                #expect(f >= 0)
                close(f)
            }
        }
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
        #expect(!Files.exists(t.path + "/PWNED") && !Files.exists("PWNED"))
    }

    @Test func immutableAndAppendOnlyFlagsCleared() throws {
        let t = try TempDir("chattr")
        defer { t.close() }
        let tree = t.path + "/tree"
        try mkdirs(tree + "/appendonly")
        try AtomicFile.write(tree + "/immutable", "x")
        try AtomicFile.write(tree + "/appendonly/f", "x")
        for (p, flag) in [(tree + "/immutable", VZ_FS_IMMUTABLE_FL), (tree + "/appendonly", VZ_FS_APPEND_FL)] {
            let fd = open(p, O_RDONLY | O_CLOEXEC)
            defer { close(fd) }
            var flags: UInt32 = 0
            guard vz_fs_getflags(fd, &flags) == 0, vz_fs_setflags(fd, flags | flag) == 0 else {
                Issue.record("this file system does not take chattr flags: \(errno)")
                return
            }
        }
        #expect(unlink(tree + "/immutable") != 0, "flag did not stick")
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
    }

    /// Special files are unlinked without being opened: opening the FIFO
    /// would block this test forever.
    @Test func specialFilesUnlinkedNotOpened() throws {
        let t = try TempDir("special")
        defer { t.close() }
        let tree = t.path + "/tree"
        try mkdirs(tree + "/dev")
        #expect(mkfifo(tree + "/dev/initctl", 0o600) == 0)
        #expect(mknod(tree + "/dev/null", S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0)
        #expect(mknod(tree + "/dev/sda", S_IFBLK | 0o600, dev_t(8 << 8)) == 0)
        try SafeRemove.removeTree(at: tree)
        #expect(!Files.exists(tree))
    }

    @Test func missingPathAndPlainFile() throws {
        let t = try TempDir("missing")
        defer { t.close() }
        try SafeRemove.removeTree(at: t.path + "/nothing")
        try SafeRemove.removeTree(at: t.path + "/no/such/parent")
        try AtomicFile.write(t.path + "/file", "x")
        try SafeRemove.removeTree(at: t.path + "/file")
        #expect(!Files.exists(t.path + "/file"))
    }

    @Test(arguments: ["/", "", ".", "..", "/tmp/..", "/tmp/."])
    func refusesRootAndDots(_ path: String) {
        #expect(throws: VZError.self) { try SafeRemove.removeTree(at: path) }
    }

    @Test func relativeToADescriptor() throws {
        let t = try TempDir("fd")
        defer { t.close() }
        try mkdirs(t.path + "/a/b/c")
        let parent = try FileDescriptor.openDirectory(t.path)
        try SafeRemove.removeTree(parent: parent, name: "a")
        #expect(!Files.exists(t.path + "/a"))
        #expect(throws: VZError.self) { try SafeRemove.removeTree(parent: parent, name: "a/b") }
    }
}

// MARK: - helpers

/// A private temporary directory, removed (by plain path-based means that
/// do not depend on the code under test working) when the test ends.
struct TempDir {
    let path: String

    init(_ label: String) throws {
        var template = Array("/tmp/vzsr-\(label).XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw VZError(.system, "mkdtemp", errno: errno)
        }
        path = String(cString: p)
    }

    /// A canary directory next to the tree: `keep` and `sub/deeper`.
    func canary() throws -> String {
        let c = path + "/canary"
        try mkdirs(c + "/sub")
        try AtomicFile.write(c + "/keep", "canary\n")
        try AtomicFile.write(c + "/sub/deeper", "canary too\n")
        return c
    }

    func close() {
        // Unmount anything a failed test left, then rm -rf by plain means.
        for m in mountPoints(under: path).reversed() { _ = umount2(m, Int32(MNT_DETACH)) }
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("rm"), strdup("-rf"), strdup("--one-file-system"), strdup("--"), strdup(path), nil]
        defer { argv.forEach { free($0) } }
        _ = vz_setfsuid(0)
        if posix_spawn(&pid, "/bin/rm", nil, nil, argv, nil) == 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

func mkdirs(_ path: String) throws {
    try Files.makeDirectories(path, mode: 0o755)
}

func bind(_ source: String, _ target: String) throws {
    guard mount(source, target, nil, UInt(MS_BIND), nil) == 0 else {
        throw VZError(.cannotMount, "bind mount", errno: errno, path: target)
    }
}

/// Mount points at or below `prefix`, from /proc/self/mountinfo.
func mountPoints(under prefix: String) -> [String] {
    guard let text = try? Files.readString("/proc/self/mountinfo") else { return [] }
    return text.split(separator: "\n").compactMap { line in
        let f = line.split(separator: " ")
        guard f.count > 4 else { return nil }
        let mp = String(f[4])
        return mp == prefix || mp.hasPrefix(prefix + "/") ? mp : nil
    }
}

/// Names, types, modes, sizes and contents below `path`, for before/after.
func describeTree(_ path: String) -> [String] {
    var out: [String] = []
    for name in Files.list(path).sorted() {
        let p = path + "/" + name
        guard let st = statNoFollow(p) else { continue }
        out.append("\(name) \(String(st.st_mode, radix: 8)) \(st.st_size) \(st.st_nlink)")
        if st.st_mode & S_IFMT == S_IFDIR {
            out += describeTree(p).map { name + "/" + $0 }
        } else if st.st_mode & S_IFMT == S_IFREG, let b = try? Files.read(p) {
            out.append(String(decoding: b, as: UTF8.self))
        }
    }
    return out
}

/// A tree whose directories have modes 000, 0100 and 0500 (no read, no
/// write or no search), with files and subdirectories inside each.
func makeLockedTree(_ tree: String, owner: uid_t = 0) throws {
    try mkdirs(tree + "/a/b/c")
    try mkdirs(tree + "/ro/sub")
    try mkdirs(tree + "/x/y")
    for f in ["/a/f", "/a/b/f", "/a/b/c/f", "/ro/f", "/ro/sub/f", "/x/f", "/x/y/f"] {
        try AtomicFile.write(tree + f, "x")
    }
    for p in ["", "/a", "/a/b", "/a/b/c", "/a/f", "/a/b/f", "/a/b/c/f", "/ro", "/ro/sub", "/ro/f", "/ro/sub/f", "/x", "/x/y", "/x/f", "/x/y/f"] {
        #expect(lchown(tree + p, owner, owner) == 0)
    }
    for (p, mode) in [("/a/b/c", 0o000), ("/a/b", 0o000), ("/a", 0o100), ("/ro/sub", 0o500), ("/ro", 0o500), ("/x/y", 0o200), ("/x", 0o000)] {
        #expect(chmod(tree + p, mode_t(mode)) == 0)
    }
}
