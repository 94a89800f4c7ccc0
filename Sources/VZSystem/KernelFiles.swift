import Glibc
import VZConfig

extension Files {
    /// One `write(2)` of `value` to an existing kernel file (a sysctl under
    /// /proc/sys, a cgroup interface file): never created, never split, as
    /// such files parse each write as one command.
    public static func writeExisting(_ path: String, _ value: String, code: ExitCode = .system) throws(VZError) {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_TRUNC, code: code)
        let bytes = Array(value.utf8)
        let n = try sys("write \(value.debugDescription)", path: path, code: code) {
            bytes.withUnsafeBytes { Glibc.write(fd.raw, $0.baseAddress, $0.count) }
        }
        guard n == bytes.count else { throw VZError(code, "short write of \(value.debugDescription)", errno: EIO, path: path) }
    }
}
