import Glibc
import VZConfig

/// A directory of small files that belongs to the caller alone, at a
/// well-known path in a shared place (vzubc's `-r`/`-i` store is
/// `/tmp/vzubc.store`, as in 4.x). Root writing into `/tmp` by name is the
/// classic symlink attack, so the directory is opened without following a
/// symlink and used only if the caller owns it and nobody else can write
/// to it; files are read and written relative to that fd, never followed,
/// replaced by rename so a reader never sees half a number.
public struct PrivateDirectory {
    public let path: String
    let fd: FileDescriptor

    /// Opens `path`, creating it (mode 0700) when missing and `create`.
    public static func open(_ path: String, create: Bool) throws(VZError) -> PrivateDirectory? {
        if create {
            switch sysResult({ Glibc.mkdir(path, 0o700) }) {
            case .success, .failure(Errno(EEXIST)): break
            case .failure(let e): throw e.error(.system, "cannot create directory", path: path)
            }
        }
        let fd: FileDescriptor
        switch sysResult({ Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }) {
        case .success(let raw): fd = FileDescriptor(owning: raw)
        case .failure(Errno(ENOENT)) where !create: return nil
        case .failure(let e): throw e.error(.system, "cannot open directory (a symlink is refused)", path: path)
        }
        let st = try fd.stat()
        guard st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else {
            throw VZError(.system, "refusing a directory that is not private to this user (owner \(st.st_uid), mode "
                          + String(st.st_mode & 0o7777, radix: 8) + ")", path: path)
        }
        return PrivateDirectory(path: path, fd: fd)
    }

    /// The number in file `name`, nil when there is none (or it is not a
    /// regular file or not a number).
    public func number(_ name: String) -> UInt64? {
        guard PrivateDirectory.isPlainName(name) else { return nil }
        let raw = openat(fd.raw, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard raw >= 0 else { return nil }
        let f = FileDescriptor(owning: raw)
        guard let st = try? f.stat(), (st.st_mode & S_IFMT) == S_IFREG, let bytes = try? f.readAll() else { return nil }
        let text = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return UInt64(text)
    }

    /// Writes `text` to `name` through a temp file and rename.
    public func write(_ name: String, _ text: String) throws(VZError) {
        guard PrivateDirectory.isPlainName(name) else {
            throw VZError(.system, "not a plain file name: \(name.debugDescription)", path: path)
        }
        let tmp = ".\(name).\(getpid())"
        let f = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600, relativeTo: fd)
        try f.writeAll(Array(text.utf8), path: path + "/" + tmp)
        _ = try sys("rename to \(name)", path: path + "/" + tmp) { renameat(fd.raw, tmp, fd.raw, name) }
    }

    /// Removes the regular files whose names `matches` accepts.
    public func remove(where matches: (String) -> Bool) {
        for e in Files.entries(ofDirectory: fd.raw) where e.name != "." && e.name != ".." && matches(e.name) {
            var st = stat()
            guard fstatat(fd.raw, e.name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            _ = unlinkat(fd.raw, e.name, 0)
        }
    }

    /// One path component, no `.`/`..`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(UInt8(ascii: "/"))
            && !name.utf8.contains(0)
    }
}
