import Glibc
import VZCgroup
import VZConfig
import VZSystem

/// `/var/lib/vzctl/run/CTID` (under VZ_SYSROOT): who the VPS's init and
/// monitor are. A claim, never the truth by itself: `running` means the
/// recorded init is alive with the recorded start time in this boot and sits
/// in the VPS's cgroup. vzctl (start/stop/status) and vzlist both decide
/// "running" here, so they cannot disagree.
public struct RunState: Equatable, Sendable {
    public var initProcess: ProcessIdentity
    public var monitor: ProcessIdentity
    public var bootID: String

    public init(initProcess: ProcessIdentity, monitor: ProcessIdentity, bootID: String) {
        self.initProcess = initProcess
        self.monitor = monitor
        self.bootID = bootID
    }

    public static func directory(_ sysroot: Sysroot) -> String { "\(sysroot.stateDir)/run" }

    public static func path(_ ctid: ContainerID, sysroot: Sysroot) -> String {
        "\(directory(sysroot))/\(ctid)"
    }

    public static func currentBootID() -> String {
        let text = (try? Files.readString("/proc/sys/kernel/random/boot_id")) ?? nil
        return text.map { String($0.filter { $0 != "\n" }) } ?? ""
    }

    public var text: String {
        "INIT_PID=\(initProcess.pid)\nINIT_START=\(initProcess.startTime)\nMONITOR_PID=\(monitor.pid)\nMONITOR_START=\(monitor.startTime)\nBOOT_ID=\(bootID)\n"
    }

    public static func parse(_ text: String) -> RunState? {
        var kv: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            kv[line[..<eq]] = line[line.index(after: eq)...]
        }
        guard let ip = kv["INIT_PID"].flatMap({ pid_t($0) }), let ist = kv["INIT_START"].flatMap({ UInt64($0) }),
              let mp = kv["MONITOR_PID"].flatMap({ pid_t($0) }), let mst = kv["MONITOR_START"].flatMap({ UInt64($0) })
        else { return nil }
        return RunState(initProcess: ProcessIdentity(pid: ip, startTime: ist),
                        monitor: ProcessIdentity(pid: mp, startTime: mst), bootID: String(kv["BOOT_ID"] ?? ""))
    }

    public static func load(_ ctid: ContainerID, sysroot: Sysroot) -> RunState? {
        guard let text = (try? Files.readString(path(ctid, sysroot: sysroot))) ?? nil else { return nil }
        return parse(text)
    }

    public func save(_ ctid: ContainerID, sysroot: Sysroot) throws(VZError) {
        try Files.makeDirectories(RunState.directory(sysroot), mode: 0o700)
        // Not durable: the file only ever names this boot's processes
        // (bootID), so after a power cut it is void whatever it says.
        try AtomicFile.write(RunState.path(ctid, sysroot: sysroot), text, mode: 0o600, durable: false)
    }

    public static func remove(_ ctid: ContainerID, sysroot: Sysroot) {
        _ = unlink(path(ctid, sysroot: sysroot))
    }

    /// The init, verified against the kernel: this boot, same pid and start
    /// time, and in the VPS's cgroup.
    public func liveInit(_ ctid: ContainerID, sysroot: Sysroot) -> ProcessIdentity? {
        guard bootID == RunState.currentBootID(), initProcess.isAlive,
              RunState.isInCgroup(initProcess.pid, ctid: ctid, sysroot: sysroot) else { return nil }
        return initProcess
    }

    /// The running VPS's verified init, or nil.
    public static func runningInit(_ ctid: ContainerID, sysroot: Sysroot) -> ProcessIdentity? {
        load(ctid, sysroot: sysroot)?.liveInit(ctid, sysroot: sysroot)
    }

    /// CTIDs with a state file, verified or not (one directory listing).
    public static func claimed(_ sysroot: Sysroot) -> [ContainerID] {
        Files.list(directory(sysroot)).compactMap { ContainerID($0) }
    }

    /// Whether `pid` is in the VPS's cgroup: its /proc/PID/cgroup names the
    /// VPS's path on some hierarchy.
    public static func isInCgroup(_ pid: pid_t, ctid: ContainerID, sysroot: Sysroot) -> Bool {
        let rel = "/" + CgroupNode.relativePath(sysroot, ctid)
        guard let text = (try? Files.readString("/proc/\(pid)/cgroup")) ?? nil else { return false }
        for line in text.split(separator: "\n") {
            // hierarchy-id:controllers:path
            guard let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last else { continue }
            if path == rel || path.hasPrefix(rel + "/") { return true }
        }
        return false
    }
}
