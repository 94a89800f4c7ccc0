import Glibc
import Testing

/// Running VPSes on a scratch node: the monitor binary, busybox containers,
/// the state file, and commands run inside with `nsenter -a` (until `vzctl
/// exec` exists). `TestNode.withRunning` stops every VPS of the node before
/// the node is taken down, on every exit path.
extension TestNode {
    /// vzmonitor is built by the Makefile (`make monitor`); a plain `swift
    /// build` does not, so the fixture runs that target for this build
    /// (the scratch path is two levels above the binaries: .build/<triple>/debug),
    /// which rebuilds it when any of its sources is newer.
    static let monitorReady: Bool = {
        let scratch = Spawn.binDir + "/../.."
        let r = Spawn.shell("make -s -C '\(repo)' monitor BUILD='\(scratch)'")
        precondition(r.status == 0 && access(Spawn.binDir + "/vzmonitor", X_OK) == 0, "building vzmonitor failed: \(r.output)")
        return true
    }()

    static func withRunning<T>(_ body: (TestNode) throws -> T) rethrows -> T {
        precondition(monitorReady)
        return try with { node in
            defer { node.stopEverything() }
            return try body(node)
        }
    }

    /// Stops every VPS with a state file (`--fast`), then SIGKILLs any
    /// process still running a binary of this test's build for this node.
    func stopEverything() {
        for ctid in Spawn.shell("ls '\(root)/var/lib/vzctl/run' 2>/dev/null").stdout.split(separator: "\n") {
            _ = vzctl("stop", "--fast", String(ctid))
        }
        for pid in processes() { kill(pid, SIGKILL) }
        // A `vzctl __reap` started by a monitor names the node only in its
        // environment (VZ_SYSROOT): let it finish (it removes its VPS's
        // cgroup), so the node's directory below can go too.
        for _ in 0..<100 where !reapers().isEmpty { usleep(50_000) }
        // The node's own cgroup directory (vz-<hash>) on every hierarchy:
        // vzctl keeps it between VPSes, a scratch node must not leave it.
        _ = Spawn.shell("rmdir /sys/fs/cgroup/*/\(cgroupDirectory)/* /sys/fs/cgroup/*/\(cgroupDirectory) /sys/fs/cgroup/\(cgroupDirectory) 2>/dev/null")
    }

    /// Processes whose environment carries this node's VZ_SYSROOT.
    func reapers() -> [pid_t] {
        guard let d = opendir("/proc") else { return [] }
        defer { closedir(d) }
        let needle = "VZ_SYSROOT=\(root)\0"
        var out: [pid_t] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), pid != getpid() else { continue }
            if (Spawn.readText("/proc/\(pid)/environ") + "\0").contains(needle) { out.append(pid) }
        }
        return out
    }

    /// `vz-<fnv1a32 of VZ_SYSROOT>`, as VZCgroup names a scratch node's cgroups.
    var cgroupDirectory: String {
        var h: UInt32 = 0x811c_9dc5
        for b in root.utf8 { h ^= UInt32(b); h = h &* 0x0100_0193 }
        let hex = String(h, radix: 16)
        return "vz-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Host processes whose command line names this node (monitors,
    /// `__init`/`__reap` stages): none may be left when a VPS is down.
    func processes() -> [pid_t] {
        guard let d = opendir("/proc") else { return [] }
        defer { closedir(d) }
        let needle = Array((root + "/").utf8)
        var out: [pid_t] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), pid != getpid() else { continue }
            let cmd = Array(Spawn.readText("/proc/\(pid)/cmdline").utf8)
            if cmd.count >= needle.count, (0...(cmd.count - needle.count)).contains(where: { cmd[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                out.append(pid)
            }
        }
        return out
    }

    /// Creates a busybox VPS with a short STOP_TIMEOUT.
    func createBusybox(_ ctid: String, hostname: String = "ct.example.com", stopTimeout: Int = 10) {
        let r = vzctl("create", ctid, "--ostemplate", TestNode.busyboxName, "--hostname", hostname)
        precondition(r.status == 0, "create failed: \(r.output)")
        appendConfig(ctid, "STOP_TIMEOUT=\(stopTimeout)")
    }

    func appendConfig(_ ctid: String, _ line: String) {
        let r = Spawn.shell("echo '\(line)' >> '\(root)/etc/vz/conf/\(ctid).conf'")
        precondition(r.status == 0)
    }

    func privatePath(_ ctid: String) -> String { "\(root)/vz/private/\(ctid)" }
    func rootPath(_ ctid: String) -> String { "\(root)/vz/root/\(ctid)" }

    /// The state file's claims (INIT_PID, MONITOR_PID, ...).
    func state(_ ctid: String) -> [String: String] {
        var kv: [String: String] = [:]
        for line in read("/var/lib/vzctl/run/\(ctid)").split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            kv[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return kv
    }

    func initPid(_ ctid: String) -> pid_t? { state(ctid)["INIT_PID"].flatMap { pid_t($0) } }
    func monitorPid(_ ctid: String) -> pid_t? { state(ctid)["MONITOR_PID"].flatMap { pid_t($0) } }

    func status(_ ctid: String) -> String { vzctl("status", ctid).stdout.trimmingNewline }

    /// `sh -c SCRIPT` inside the VPS, through every namespace of its init.
    func inside(_ ctid: String, _ script: String) -> ProcessResult {
        guard let pid = initPid(ctid) else { return ProcessResult(status: -1, signal: nil, stdout: "", stderr: "no init pid") }
        return Spawn.run(["/usr/bin/nsenter", "-t", String(pid), "-a", "/bin/sh", "-c", script],
                         env: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Double(monotonicMillis()) + seconds * 1000
        while Double(monotonicMillis()) < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// Nothing of the VPS is left: no mount, no state, no process, no cgroup.
    func isClean(_ ctid: String) -> Bool {
        mounts().isEmpty && !exists("/var/lib/vzctl/run/\(ctid)") && processes().isEmpty && cgroups(ctid).isEmpty
    }

    /// The VPS's cgroup directories (`vz-<fnv1a32 of VZ_SYSROOT>/CTID`, as
    /// VZCgroup names them) on every mounted hierarchy.
    func cgroups(_ ctid: String) -> [String] {
        let dir = cgroupDirectory
        let r = Spawn.shell("ls -d /sys/fs/cgroup/*/\(dir)/\(ctid) /sys/fs/cgroup/\(dir)/\(ctid) 2>/dev/null")
        return r.stdout.split(separator: "\n").map(String.init)
    }
}

func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func readLink(_ path: String) -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buf, buf.count - 1)
    guard n > 0 else { return "" }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension String {
    var trimmingNewline: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
