import Glibc
import Testing
import VZConfig
import VZSystem
@testable import VZCgroup

/// Against this machine's kernel (hybrid: v1 controllers + a cgroup2 mount
/// with only hugetlb), as root. Each test has its own node tag
/// (`vz-<hash>`), touches only the cgroups it makes, ends its processes by
/// PID, and removes its cgroups on every path (`ScratchNode.close`).
/// "v1" tests drive the host's v1 hierarchies only (v1 freezer, freeze and
/// SIGKILL), "hybrid" tests the whole layout (cgroup2 freezer and
/// cgroup.kill on the unified hierarchy, v1 for the rest).
@Suite(.serialized, .enabled(if: hostLayout != nil, "needs root and v1 cgroups"))
struct RealCgroupTests {
    let host = hostLayout!

    @Test func createAttachListRemoveOnEveryHierarchy() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        try c.create()  // idempotent
        #expect(c.paths.count == host.v1.count + 1)
        for p in c.paths { #expect(Files.isDirectory(p), "\(p)") }
        // v1 cpuset: copied from the parent, or attaching would fail.
        let cpuset = try #require(host.v1Hierarchy(for: "cpuset")).mountPoint
        #expect(readFile(cpuset + "/" + c.relativePath + "/cpuset.cpus") == readFile(cpuset + "/cpuset.cpus"))
        #expect(readFile(cpuset + "/" + c.relativePath + "/cpuset.mems") == readFile(cpuset + "/cpuset.mems"))
        #expect(try !c.isPopulated())
        #expect(n.node.runningContainers().isEmpty)

        let pid = try spawn(["sleep", "100"])
        var reaped = false
        defer { if !reaped { kill(pid, SIGKILL); reap(pid) } }
        try c.attach(pid)
        #expect(try c.procs() == [pid])
        #expect(try c.isPopulated())
        #expect(n.node.runningContainers() == [n.ctid])
        // Every hierarchy, as the kernel sees the process.
        let lines = (readFile("/proc/\(pid)/cgroup") ?? "").split(separator: "\n")
        #expect(lines.count == host.v1.count + 1)
        for l in lines { #expect(l.hasSuffix(":/" + c.relativePath), "\(l)") }
        // The pids and freezer hierarchies agree (v1 membership path).
        let legacy = ContainerCgroup(layout: legacyOnly(host), sysroot: n.node.sysroot, ctid: n.ctid)
        #expect(try legacy.procs() == [pid])
        #expect(try legacy.isPopulated())
        #expect(CgroupNode(layout: legacyOnly(host), sysroot: n.node.sysroot).runningContainers() == [n.ctid])

        try c.killAll(timeout: .seconds(5))
        #expect(reap(pid) == 128 + SIGKILL)
        reaped = true
        #expect(try !c.isPopulated())
        #expect(n.node.runningContainers().isEmpty)
        try c.remove()
        for p in c.paths { #expect(!Files.exists(p), "\(p)") }
        n.node.removeIfEmpty()
        for d in n.tagDirectories { #expect(!Files.exists(d), "\(d)") }
    }

    /// The start and exec paths: files opened by vzctl, used by a C child
    /// that cannot run Swift (after fork): v1 `tasks` (the child writes
    /// "0"; here the test writes the PID of a one-thread process, the same
    /// move) and the unified leaf (clone3's directory; here its
    /// cgroup.procs, the fallback for kernels without CLONE_INTO_CGROUP).
    @Test func joinFilesReachEveryHierarchy() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        let join = try c.openJoinFiles()
        #expect(join.v1Tasks.count + (join.unified == nil ? 0 : 1) == c.paths.count)
        let pid = try spawn(["sleep", "100"])
        defer { kill(pid, SIGKILL); reap(pid) }
        var fds = join.v1Tasks
        if let u = join.unified { fds.append(try FileDescriptor(owning: sys("openat") { openat(u.raw, "cgroup.procs", O_WRONLY | O_CLOEXEC) })) }
        for fd in fds {
            let s = String(pid)
            #expect(s.withCString { Glibc.write(fd.raw, $0, strlen($0)) } == s.utf8.count)
        }
        let lines = (readFile("/proc/\(pid)/cgroup") ?? "").split(separator: "\n")
        for l in lines { #expect(l.hasSuffix(":/" + c.relativePath), "\(l)") }
        #expect(try c.procs() == [pid])
    }

    @Test func v1FreezerFreezesAndThaws() throws {
        let n = ScratchNode(legacyOnly(host))
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        let pid = try spawn(["sleep", "100"])
        defer { kill(pid, SIGKILL); reap(pid) }
        try c.attach(pid)
        let state = try #require(host.v1Hierarchy(for: "freezer")).mountPoint + "/" + c.relativePath + "/freezer.state"
        try c.freeze()
        #expect(readFile(state) == "FROZEN\n")
        // A task frozen by the v1 freezer shows as D (uninterruptible).
        #expect(processState(pid) == "D")
        try c.thaw()
        #expect(readFile(state) == "THAWED\n")
        #expect(eventually { processState(pid) == "S" })
    }

    @Test func hybridFreezesOnTheUnifiedHierarchy() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        let pid = try spawn(["sleep", "100"])
        defer { kill(pid, SIGKILL); reap(pid) }
        try c.attach(pid)
        let unified = try #require(host.unified).mountPoint + "/" + c.relativePath
        try c.freeze()
        #expect(readFile(unified + "/cgroup.events")?.contains("frozen 1") == true)
        #expect(readFile(unified + "/cgroup.freeze") == "1\n")
        try c.thaw()
        #expect(readFile(unified + "/cgroup.events")?.contains("frozen 0") == true)
    }

    @Test func v1KillAllCatchesAForkingProcess() throws {
        try killForkingProcess(layout: legacyOnly(host))
    }

    @Test func hybridKillAllCatchesAForkingProcess() throws {
        try killForkingProcess(layout: host)
    }

    /// `sh -c 'while :; do sleep 1 & done'` forks as fast as it can (about
    /// 1,500 live processes here): every one must be dead and the cgroup
    /// empty, and stay empty.
    private func killForkingProcess(layout: CgroupLayout) throws {
        let n = ScratchNode(layout)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        // A safety net far above the ~1,500 the loop keeps alive, should
        // killAll fail: the loop stays inside this test's cgroup.
        try c.write(controller: "pids", file: "pids.max", value: "4000")
        let gate = try Gate()
        defer { gate.close() }
        let sh = try spawn(["sh", "-c", "read x; while :; do sleep 1 & done"], stdin: gate.readFD)
        var reaped = false
        defer { if !reaped { kill(sh, SIGKILL); reap(sh) } }
        try c.attach(sh)
        gate.release()
        #expect(eventually { ((try? c.procs()) ?? []).count > 200 })
        let before = try c.procs().count
        try c.killAll(timeout: .seconds(10))
        #expect(try c.procs().isEmpty)
        #expect(try !c.isPopulated())
        #expect(reap(sh) == 128 + SIGKILL)
        reaped = true
        sleepMillis(300)
        #expect(try c.procs().isEmpty, "a process escaped")
        #expect(before > 200)
        try c.remove()
        for p in c.paths { #expect(!Files.exists(p)) }
    }

    @Test func removeRetriesWhileTheKernelReaps() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        // A child cgroup, as systemd inside a VPS makes: removed leaf first.
        let pidsPath = try #require(c.backend(for: "pids")).path
        #expect(mkdir(pidsPath + "/init.scope", 0o755) == 0)
        let pid = try spawn(["sleep", "100"])
        try c.attach(pid)
        try CgroupFiles.write(pidsPath + "/init.scope/cgroup.procs", String(pid))
        #expect(try c.procs() == [pid])
        kill(pid, SIGKILL)
        // Not reaped yet: a zombie no longer counts, so remove succeeds,
        // at worst after a few EBUSY retries.
        try c.remove(timeout: .seconds(5))
        reap(pid)
        for p in c.paths { #expect(!Files.exists(p)) }
    }

    @Test func removeFailsWhileProcessesRemain() throws {
        let n = ScratchNode(host)
        defer { n.close() }
        let c = n.cgroup
        try c.create()
        let pid = try spawn(["sleep", "100"])
        defer { kill(pid, SIGKILL); reap(pid) }
        try c.attach(pid)
        #expect(throws: VZError.self) { try c.remove(timeout: .milliseconds(100)) }
        #expect(try c.isPopulated())
    }
}

/// The one-letter state from /proc/<pid>/status.
func processState(_ pid: pid_t) -> String? {
    guard let text = readFile("/proc/\(pid)/status") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("State:") {
        return line.dropFirst(6).trimmed().first.map(String.init)
    }
    return nil
}
