import Glibc
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

    public func readAll() throws(VZError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try sys("read") { chunk.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress, $0.count) } }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
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
