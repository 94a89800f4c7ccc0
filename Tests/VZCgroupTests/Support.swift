import CVZShim
import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// A temp directory removed with everything in it on `close()`.
final class TempDir {
    let path: String
    init(_ tag: String) throws {
        var template = Array("/tmp/vzcg-\(tag)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let p else { throw VZError(.system, "mkdtemp", errno: errno) }
        path = String(cString: p)
    }
    func close() { _ = try? SafeRemove.removeTree(at: path) }
}

func writeFile(_ path: String, _ text: String) throws {
    try AtomicFile.write(path, text)
}

func readFile(_ path: String) -> String? {
    (try? Files.readString(path)) ?? nil
}

/// posix_spawn of `argv` with stdin from `stdin` (or /dev/null), stdout
/// and stderr to `output` (or /dev/null), every other fd closed.
func spawn(_ argv: [String], stdin: Int32? = nil, output: String? = nil) throws -> pid_t {
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    defer { posix_spawn_file_actions_destroy(&fa) }
    if let stdin {
        posix_spawn_file_actions_adddup2(&fa, stdin, 0)
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_addopen(&fa, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&fa, 1, 2)
    vz_spawn_addclosefrom(&fa, 3)
    var cargs = argv.map { strdup($0) }
    cargs.append(nil)
    defer { for a in cargs { free(a) } }
    var pid: pid_t = 0
    let r = posix_spawnp(&pid, argv[0], &fa, nil, cargs, environ)
    guard r == 0 else { throw VZError(.system, "posix_spawn \(argv[0])", errno: r) }
    return pid
}

/// Exit status (or 128+signal) of a child, blocking.
@discardableResult
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// A pipe whose read end gates a child (`read x` in sh) until `release`.
final class Gate {
    let readFD: Int32, writeFD: Int32
    init() throws {
        var fds: [Int32] = [0, 0]
        guard vz_pipe2(&fds, O_CLOEXEC) == 0 else { throw VZError(.system, "pipe2", errno: errno) }
        readFD = fds[0]
        writeFD = fds[1]
    }
    func release() {
        _ = "\n".withCString { Glibc.write(writeFD, $0, 1) }
    }
    func close() {
        Glibc.close(readFD)
        Glibc.close(writeFD)
    }
}

func sleepMillis(_ ms: Int) { usleep(UInt32(ms) * 1000) }

/// Polls until `cond` or `ms` milliseconds pass.
func eventually(_ ms: Int = 5000, _ cond: () -> Bool) -> Bool {
    for _ in 0..<(ms / 10) {
        if cond() { return true }
        sleepMillis(10)
    }
    return cond()
}

let isRoot = getuid() == 0

/// The host's real cgroup layout, when tests may use it: as root, with v1
/// controllers mounted (this machine: hybrid).
let hostLayout: CgroupLayout? = {
    guard isRoot, let l = try? CgroupLayout.detect(), !l.v1.isEmpty else { return nil }
    return l
}()

/// A scratch node with its own cgroup tag (`vz-<hash of a unique fake
/// sysroot>`), so tests never meet each other's cgroups or a real node's.
/// `close()` kills, by PID, whatever is still in the test's cgroups, and
/// removes them and the tag directory on every hierarchy.
final class ScratchNode {
    let layout: CgroupLayout
    let node: CgroupNode
    let ctid: ContainerID
    private static let counter = Counter()

    init(_ layout: CgroupLayout, ctid: UInt32 = 101) {
        self.layout = layout
        let n = ScratchNode.counter.next()
        node = CgroupNode(layout: layout, sysroot: Sysroot("/tmp/vzcg-node-\(getpid())-\(n)"))
        self.ctid = ContainerID(value: ctid)!
    }

    var cgroup: ContainerCgroup { ContainerCgroup(layout: layout, sysroot: node.sysroot, ctid: ctid) }

    /// The tag directory on every hierarchy of the host (not only `layout`'s).
    var tagDirectories: [String] {
        guard let full = hostLayout else { return [] }
        var points = full.v1.map(\.mountPoint)
        if let u = full.unified { points.append(u.mountPoint) }
        return points.map { $0 + "/" + node.directoryName }
    }

    func close() {
        guard let full = hostLayout else { return }
        let everywhere = ContainerCgroup(layout: full, sysroot: node.sysroot, ctid: ctid)
        // Thaw first: a test that failed while frozen must not leave
        // frozen processes that SIGKILL cannot reach.
        for b in everywhere.backends where b.canFreeze && Files.isDirectory(b.path) {
            try? b.thaw(until: Deadline(after: .seconds(1)))
        }
        if let pids = try? everywhere.allProcs() {
            for p in pids where p > 1 && p != getpid() { kill(p, SIGKILL) }
        }
        try? everywhere.remove(timeout: .seconds(5))
        CgroupNode(layout: full, sysroot: node.sysroot).removeIfEmpty()
    }
}

final class Counter: @unchecked Sendable {
    private var n = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func next() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        n += 1
        return n
    }
}

/// The host's v1 hierarchies only: drives the v1 freezer and the
/// freeze-and-kill path on this hybrid machine, as a pure v1 host would.
func legacyOnly(_ l: CgroupLayout) -> CgroupLayout {
    CgroupLayout(v1: l.v1, unified: nil, cgroupNamespaces: l.cgroupNamespaces)
}

/// Major:minor of the file system mounted on `/` (the host's root disk).
func rootDevice() -> (UInt32, UInt32)? {
    guard let text = readFile("/proc/self/mountinfo") else { return nil }
    for line in text.split(separator: "\n") {
        let f = line.split(separator: " ")
        guard f.count > 4, f[4] == "/" else { continue }
        let mm = f[2].split(separator: ":")
        if mm.count == 2, let a = UInt32(mm[0]), let b = UInt32(mm[1]), a != 0 { return (a, b) }
    }
    return nil
}
