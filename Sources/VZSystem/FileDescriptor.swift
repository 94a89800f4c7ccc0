import Glibc
import CVZShim
import VZConfig

/// An owned file descriptor, closed when the last reference goes away.
/// Always opened O_CLOEXEC: no descriptor of ours may leak into a child.
public final class FileDescriptor: @unchecked Sendable {
    public let raw: Int32
    public init(owning raw: Int32) { self.raw = raw }
    deinit { Glibc.close(raw) }

    /// `openat(dir, path, flags|O_CLOEXEC, mode)`; `dir` nil means AT_FDCWD.
    public static func open(
        _ path: String, _ flags: Int32, mode: mode_t = 0, relativeTo dir: FileDescriptor? = nil,
        code: ExitCode = .system
    ) throws(VZError) -> FileDescriptor {
        let fd = try sys("open", path: path, code: code) {
            openat(dir?.raw ?? AT_FDCWD, path, flags | O_CLOEXEC, mode)
        }
        return FileDescriptor(owning: fd)
    }

    /// Opens a directory without following a final symlink.
    public static func openDirectory(_ path: String, relativeTo dir: FileDescriptor? = nil) throws(VZError) -> FileDescriptor {
        try open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, relativeTo: dir)
    }

    /// The rest of the file. Sized by fstat, so a config costs one
    /// allocation and one read() rather than a 64 KiB scratch buffer, copies
    /// and a second read() for the 0 that ends it (vzlist reads 1,000).
    public func readAll() throws(VZError) -> [UInt8] {
        var st = Glibc.stat()
        // /proc files are regular but report size 0: start at 16 KiB and grow.
        let size = fstat(raw, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        // One byte over the size: a short read is then the end, and a file
        // that grew since fstat is still read whole.
        var out = [UInt8](repeating: 0, count: size > 0 ? size + 1 : 16_384)
        switch FileDescriptor.read(raw, into: &out, shortReadIsEnd: size > 0) {
        case .success(let n):
            out.removeLast(out.count - n)
            return out
        case .failure(let e):
            throw e.error(.system, "read")
        }
    }

    /// Reads `fd` to its end into `buffer` from offset 0, doubling the
    /// buffer when full, and returns the length read; the bytes past it are
    /// left as they were. The caller owns the buffer so it can reuse one
    /// for many files. `shortReadIsEnd`: the fd is a regular file, where a
    /// read() returning less than asked means end of file, which saves the
    /// read() that would return 0.
    public static func read(_ fd: Int32, into buffer: inout [UInt8], shortReadIsEnd: Bool) -> Result<Int, Errno> {
        if buffer.isEmpty { buffer = [UInt8](repeating: 0, count: 4096) }
        var used = 0
        while true {
            if used == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let r = sysResult { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) } }
            guard case .success(let n) = r else { return r }
            used += n
            if n == 0 || (shortReadIsEnd && used < buffer.count) { return .success(used) }
        }
    }

    public func writeAll(_ bytes: [UInt8], path: String? = nil) throws(VZError) {
        var off = 0
        while off < bytes.count {
            let n = try sys("write", path: path) {
                bytes.withUnsafeBytes { Glibc.write(raw, $0.baseAddress! + off, bytes.count - off) }
            }
            off += n
        }
    }

    public func fsync(path: String? = nil) throws(VZError) {
        _ = try sys("fsync", path: path) { Glibc.fsync(raw) }
    }

    public func stat() throws(VZError) -> stat {
        var st = Glibc.stat()
        _ = try sys("fstat") { fstat(raw, &st) }
        return st
    }
}

extension FileDescriptor {
    /// Sets or clears FD_CLOEXEC on a raw descriptor (fds inherited by
    /// number, such as the start handshake's).
    @discardableResult
    public static func setCloseOnExec(_ fd: Int32, _ on: Bool) -> Bool {
        let f = fcntl(fd, F_GETFD)
        guard f >= 0 else { return false }
        return fcntl(fd, F_SETFD, on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC)) == 0
    }

    @discardableResult
    public static func setNonBlocking(_ fd: Int32) -> Bool {
        let f = fcntl(fd, F_GETFL)
        guard f >= 0 else { return false }
        return fcntl(fd, F_SETFL, f | O_NONBLOCK) == 0
    }
}

extension FileDescriptor {
    /// Kernel file systems whose "files" are views of kernel state (proc,
    /// sysfs, debugfs, tracefs, securityfs, cgroupfs, bpffs, configfs,
    /// pstore, efivarfs). The host must never read one on a VPS's behalf:
    /// a VPS's `/etc/hosts -> /proc/vmallocinfo` would hand VPS root what
    /// only the host's root may read. Their sizes are 0, so a size cap
    /// alone does not stop them either.
    public var isKernelStateFile: Bool {
        let magics: Set<Int> = [0x9fa0, 0x6265_6572, 0x6462_6720, 0x7472_6163, 0x7363_6673, 0x0027_e0eb,
                                0x6367_7270, 0xcafe_4a11, 0x6265_6570, 0x6165_676c, 0xde5e_81e4]
        let t = Int(vz_fstatfs_type(raw))
        return t < 0 || magics.contains(t)
    }
}
