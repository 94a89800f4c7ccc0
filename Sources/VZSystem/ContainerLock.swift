import Glibc
import VZConfig

/// The per-container lock, `LOCKDIR/CTID.lck`, as vzctl 4.x keeps it: the
/// file exists while a vzctl holds the container and contains the holder's
/// pid, so scripts and admins can look at it. Unlike 4.x's link() dance, the
/// exclusion itself is an `flock`, which the kernel drops when the holder
/// dies: a lock left by a killed vzctl is stale by construction and is taken
/// over without guessing from pids.
///
///     open(O_CREAT) ─► flock(EX|NB) ─► same inode as the path? ─► write pid
///                         │ EWOULDBLOCK          │ no (unlinked by a releasing
///                         ▼                      ▼  holder): close, retry
///                  exit 9 "Locked by: pid N"
///
/// Release unlinks the file *while still holding* the flock, then closes, so
/// a waiter that opened the old inode notices the mismatch and retries.
public final class ContainerLock {
    public let path: String
    private let fd: FileDescriptor

    private init(path: String, fd: FileDescriptor) {
        self.path = path
        self.fd = fd
    }

    deinit { release() }

    /// Takes the lock or throws 9 naming the holder; with `wait`, blocks
    /// until the holder releases it instead (the kernel wakes the waiter the
    /// moment the holder's fd closes: no polling).
    public static func acquire(lockDir: String, name: String, status: String = "", wait: Bool = false) throws(VZError) -> ContainerLock {
        try Files.makeDirectories(lockDir, mode: 0o700)
        let path = Self.path(lockDir: lockDir, name: name)
        for _ in 0..<100 {
            let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
            switch sysResult({ flock(fd.raw, wait ? LOCK_EX : LOCK_EX | LOCK_NB) }) {
            case .success:
                break
            case .failure(let e) where e.rawValue == EWOULDBLOCK:
                throw VZError(.locked, "Container already locked" + holderDescription(fd))
            case .failure(let e):
                throw e.error(.system, "Unable to lock", path: path)
            }
            // The holder we waited on may have unlinked the file just before
            // we opened it: then our flock is on a dead inode.
            var st = Glibc.stat()
            guard fstat(fd.raw, &st) == 0, let now = statNoFollow(path),
                  now.st_ino == st.st_ino, now.st_dev == st.st_dev else { continue }
            _ = ftruncate(fd.raw, 0)
            try fd.writeAll(Array("\(getpid())\n\(status)\n".utf8), path: path)
            return ContainerLock(path: path, fd: fd)
        }
        throw VZError(.locked, "Unable to lock: lock file keeps changing", path: path)
    }

    /// The lock file (vzmonitor takes the same lock in C: monitor.c).
    public static func path(lockDir: String, name: String) -> String { "\(lockDir)/\(name).lck" }

    /// Whether someone holds the lock now, without touching it (a probe
    /// with flock would make a concurrent non-blocking acquire fail): the
    /// holder's file exists, and the pid it wrote is alive or not written
    /// yet. A crashed holder's file, with a dead pid, is not held.
    public static func isHeld(lockDir: String, name: String) -> Bool {
        guard let text = (try? Files.readString(path(lockDir: lockDir, name: name))) ?? nil else { return false }
        guard let pid = pid_t(text.split(separator: "\n").first ?? "") else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Tries the lock without waiting; nil when someone holds it.
    public static func tryAcquire(lockDir: String, name: String) throws(VZError) -> ContainerLock? {
        do {
            return try acquire(lockDir: lockDir, name: name)
        } catch where error.code == .locked {
            return nil
        }
    }

    private var released = false
    public func release() {
        guard !released else { return }
        released = true
        _ = Glibc.unlink(path)
    }

    /// "\nLocked by: pid N, cmdline ..." for the message of exit 9.
    private static func holderDescription(_ fd: FileDescriptor) -> String {
        guard let bytes = try? fd.readAll() else { return "" }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let first = text.split(separator: "\n").first, let pid = Int32(first) else { return "" }
        var cmd = ""
        if let c = try? Files.read("/proc/\(pid)/cmdline") {
            cmd = String(decoding: c.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            while cmd.hasSuffix(" ") { cmd.removeLast() }
        }
        return " (locked by: pid \(pid)\(cmd.isEmpty ? "" : ", cmdline \(cmd)"))"
    }
}
