import CVZShim
import Glibc
import VZConfig

/// A process named by pid *and* start time (field 22 of /proc/PID/stat, in
/// clock ticks since boot) and the boot it belongs to, so that a recycled
/// pid, or any pid after a node reboot, is never taken for it (crun
/// `status.c`). Every signal and setns goes through `open()`, which pins the
/// process with a pidfd and checks the start time *after* pinning.
public struct ProcessIdentity: Equatable, Sendable {
    public var pid: pid_t
    public var startTime: UInt64

    public init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of a live pid now, nil when it is gone (or a zombie).
    public static func current(_ pid: pid_t) -> ProcessIdentity? {
        guard pid > 0, let bytes = try? Files.read("/proc/\(pid)/stat"),
              let start = startTime(stat: bytes[...]) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// The start time in a `/proc/PID/stat` text, nil for a zombie (or a
    /// text that does not parse).
    public static func startTime(stat bytes: ArraySlice<UInt8>) -> UInt64? {
        // comm may hold spaces and parentheses: fields start after the last ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); start time is field 22.
        guard fields.count > 19 else { return nil }
        if fields[0].first == UInt8(ascii: "Z") || fields[0].first == UInt8(ascii: "X") { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    public var isAlive: Bool { ProcessIdentity.current(pid) == self }

    /// A pidfd for this very process, or nil when it is gone.
    public func open() -> FileDescriptor? {
        let fd = vz_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        let pinned = FileDescriptor(owning: fd)
        return isAlive ? pinned : nil
    }

    /// Waits until the process has ended or `seconds` passed; true when it ended.
    public static func waitExit(_ pidfd: FileDescriptor, seconds: Double) -> Bool {
        var p = pollfd(fd: pidfd.raw, events: Int16(POLLIN), revents: 0)
        var left = Int32(max(0, seconds * 1000))
        while true {
            let before = Monotonic.now
            let r = poll(&p, 1, left)
            if r > 0 { return true }
            if r == 0 { return false }
            if errno != EINTR { return false }
            left -= Int32(Monotonic.now - before)
            if left <= 0 { return false }
        }
    }
}

/// Milliseconds on CLOCK_MONOTONIC.
public enum Monotonic {
    public static var now: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func sleep(milliseconds: Int) {
        var ts = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }
}

