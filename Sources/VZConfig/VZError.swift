import Glibc

/// The one error type of the project. Every failure that reaches the CLI is a
/// `VZError`: a vzctl exit code, a message for the admin, and, when a system
/// call failed, its errno and the path or argument it was acting on (crun's
/// rule: no syscall error without its context).
public struct VZError: Error, Sendable, CustomStringConvertible {
    public var code: ExitCode
    public var message: String
    public var errno: Int32?
    public var path: String?

    public init(_ code: ExitCode, _ message: String, errno: Int32? = nil, path: String? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.path = path
    }

    /// `message[: path][: strerror]`, the line printed to stderr.
    public var description: String {
        var s = message
        if let path, !message.contains(path) { s += ": \(path)" }
        if let errno { s += ": \(ErrnoName.describe(errno))" }
        return s
    }

    /// The same error with a different exit code: lower layers report what
    /// failed, the operation decides what it means for vzctl's exit code.
    public func with(code: ExitCode) -> VZError {
        var e = self
        e.code = code
        return e
    }

    /// Prefix context (`"destroy CT 101: "`) while keeping errno and path.
    public func prefixed(_ prefix: String) -> VZError {
        var e = self
        e.message = prefix + message
        return e
    }
}

/// errno text. `strerror` only formats a string; VZConfig makes no syscalls.
public enum ErrnoName {
    public static func describe(_ e: Int32) -> String {
        guard let p = strerror(e) else { return "errno \(e)" }
        return String(cString: p)
    }
}
