import Glibc
import VZConfig
import VZSystem

/// File-level cgroupfs access shared by both backends. Deliberately plain
/// `open`/`write`/`rmdir` so that a fake tree of ordinary files in a temp
/// directory behaves like cgroupfs for everything the tests check.
enum CgroupFiles {
    /// Contents, nil when the file does not exist (a controller that is not
    /// enabled, a cgroup already removed).
    static func read(_ path: String) throws(VZError) -> String? {
        try Files.readString(path)
    }

    /// One `write(2)` of `value`: cgroupfs parses each write as one command,
    /// so a value must never be split. Never O_CREAT: a missing interface
    /// file means a missing controller, which must be an error, not a new
    /// file (and in a fake tree, a write the test did not expect).
    /// O_TRUNC so a fake tree holds exactly the last value written, as
    /// `cat` of the real file would show it.
    static func write(_ path: String, _ value: String, code: ExitCode = .system) throws(VZError) {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_TRUNC, code: code)
        try writeOnce(fd, path, value, code: code)
    }

    /// Several commands to one file, one `write(2)` each (v1
    /// `devices.allow` takes one rule per write).
    static func writeEach(_ path: String, _ values: [String], code: ExitCode = .system) throws(VZError) {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_TRUNC, code: code)
        for v in values { try writeOnce(fd, path, v + "\n", code: code) }
    }

    private static func writeOnce(_ fd: FileDescriptor, _ path: String, _ value: String, code: ExitCode) throws(VZError) {
        let bytes = Array(value.utf8)
        let n = try sys("write \(value.debugDescription)", path: path, code: code) {
            bytes.withUnsafeBytes { Glibc.write(fd.raw, $0.baseAddress, $0.count) }
        }
        guard n == bytes.count else {
            throw VZError(code, "short write of \(value.debugDescription)", errno: EIO, path: path)
        }
    }

    /// PIDs (or TIDs) listed one per line, as `cgroup.procs` has them.
    static func pids(_ text: String?) -> [pid_t] {
        guard let text else { return [] }
        return text.split(separator: "\n").compactMap { pid_t($0.trimmed()) }
    }

    /// The value of `key` in a flat keyed file (`cgroup.events`:
    /// `populated 1\nfrozen 0\n`).
    static func keyed(_ text: String?, _ key: String) -> String? {
        guard let text else { return nil }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 1)
            if f.count == 2 && f[0] == key { return String(f[1]).trimmed() }
        }
        return nil
    }

    /// Names of the child cgroups of `dir` (its subdirectories).
    static func children(_ dir: String) -> [String] {
        guard let fd = try? FileDescriptor.openDirectory(dir) else { return [] }
        return Files.entries(ofDirectory: fd.raw).compactMap { e in
            guard e.name != ".", e.name != ".." else { return nil }
            if e.type == UInt8(DT_DIR) { return e.name }
            if e.type == UInt8(DT_UNKNOWN), Files.isDirectory(dir + "/" + e.name) { return e.name }
            return nil
        }
    }

    /// `dir` and every cgroup below it, parents before children.
    static func subtree(_ dir: String) -> [String] {
        var out = [dir]
        var i = 0
        while i < out.count {
            let d = out[i]
            out.append(contentsOf: children(d).map { d + "/" + $0 })
            i += 1
        }
        return out
    }

    /// `mkdir`, an existing directory being success (create is idempotent).
    static func makeDirectory(_ path: String) throws(VZError) -> Bool {
        switch sysResult({ Glibc.mkdir(path, 0o755) }) {
        case .success: return true
        case .failure(Errno(EEXIST)):
            guard Files.isDirectory(path) else {
                throw VZError(.system, "cannot create cgroup: exists and is not a directory", errno: EEXIST, path: path)
            }
            return false
        case .failure(let e):
            throw e.error(.system, "cannot create cgroup", path: path)
        }
    }

    /// Removes a cgroup and everything below it, leaf first. cgroupfs
    /// refuses `rmdir` with EBUSY while a just-killed task is still being
    /// reaped, so that is retried until `deadline`; a directory already gone
    /// is success. `fakeTree`: the directories are a test's plain files
    /// standing in for cgroupfs, whose interface files vanish with the
    /// cgroup; their files are unlinked first. Never set for a real
    /// hierarchy, so production code unlinks nothing.
    static func removeTree(_ dir: String, until deadline: Deadline, fakeTree: Bool = false) throws(VZError) {
        guard Files.isDirectory(dir) else { return }
        for d in subtree(dir).reversed() {
            var delay: UInt32 = 1_000
            while true {
                switch sysResult({ Glibc.rmdir(d) }) {
                case .success, .failure(Errno(ENOENT)):
                    break
                case .failure(Errno(ENOTEMPTY)) where fakeTree && removeFakeFiles(d):
                    continue
                case .failure(let e) where e.rawValue == EBUSY && !deadline.passed:
                    usleep(delay)
                    delay = min(delay * 2, 50_000)
                    continue
                case .failure(let e):
                    throw e.error(.system, "cannot remove cgroup", path: d)
                }
                break
            }
        }
    }

    /// Unlinks the regular files in a fake tree's `dir`; true if any.
    private static func removeFakeFiles(_ dir: String) -> Bool {
        guard let fd = try? FileDescriptor.openDirectory(dir) else { return false }
        var removed = false
        for e in Files.entries(ofDirectory: fd.raw) where e.type == UInt8(DT_REG) {
            if unlinkat(fd.raw, e.name, 0) == 0 { removed = true }
        }
        return removed
    }
}

/// A point on CLOCK_MONOTONIC by which a wait must end.
public struct Deadline: Sendable {
    let nanos: UInt64

    public init(after d: Duration) {
        let c = d.components
        let add = max(0, c.seconds) * 1_000_000_000 + max(0, c.attoseconds / 1_000_000_000)
        nanos = Deadline.now() &+ UInt64(add)
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private init(nanos: UInt64) { self.nanos = nanos }

    public var passed: Bool { Deadline.now() >= nanos }

    /// This deadline or `d` from now, whichever comes first.
    public func capped(_ d: Duration) -> Deadline {
        Deadline(nanos: min(nanos, Deadline(after: d).nanos))
    }

    /// Milliseconds left, at least 0, at most `cap`.
    func remainingMillis(cap: Int32) -> Int32 {
        let n = Deadline.now()
        guard n < nanos else { return 0 }
        return Int32(min(UInt64(cap), (nanos - n) / 1_000_000))
    }

    /// Polls `done` with a growing sleep (50 µs → 10 ms) until it holds or
    /// the deadline passes; true when it held. The kernel settles freezer
    /// states and reaps cgroups within microseconds to milliseconds, so a
    /// short first sleep keeps stop fast and the cap keeps the CPU idle.
    func wait(_ done: () throws(VZError) -> Bool) throws(VZError) -> Bool {
        var delay: UInt32 = 50
        while true {
            if try done() { return true }
            if passed { return false }
            usleep(delay)
            delay = min(delay * 2, 10_000)
        }
    }
}

extension Substring {
    func trimmed() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s.removeLast() }
        return s
    }
}

extension String {
    func trimmed() -> String { String(self[...].trimmed()) }
}
