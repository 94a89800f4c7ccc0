import Glibc
import VZConfig

/// The project's one errno idiom: run the call, retry on EINTR, and on
/// failure capture `errno` at once (before any Swift code can clobber it) into
/// a `VZError` naming what was attempted and on which path.
@inline(__always)
public func sys<T: BinaryInteger>(
    _ what: @autoclosure () -> String, path: String? = nil, code: ExitCode = .system,
    _ call: () -> T
) throws(VZError) -> T {
    while true {
        let r = call()
        if r >= 0 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        throw VZError(code, what(), errno: e, path: path)
    }
}

/// Like `sys` but hands back errno instead of throwing, for callers that
/// branch on specific values (ENOENT, EEXIST, EWOULDBLOCK).
@inline(__always)
public func sysResult<T: BinaryInteger>(_ call: () -> T) -> Result<T, Errno> {
    while true {
        let r = call()
        if r >= 0 { return .success(r) }
        let e = Glibc.errno
        if e == EINTR { continue }
        return .failure(Errno(e))
    }
}

/// A raw errno value as a Swift error, for `sysResult`.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ raw: Int32) { rawValue = raw }
    public var description: String { ErrnoName.describe(rawValue) }

    public func error(_ code: ExitCode, _ what: String, path: String? = nil) -> VZError {
        VZError(code, what, errno: rawValue, path: path)
    }
}

/// `stat(2)`/`lstat(2)` by path. Free functions because inside types the name
/// `stat` resolves to the struct's initializer.
public func statFollowing(_ path: String) -> stat? {
    var st = stat()
    return stat(path, &st) == 0 ? st : nil
}

public func statNoFollow(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}
