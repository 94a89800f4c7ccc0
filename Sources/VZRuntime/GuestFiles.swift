import CVZShim
import Glibc
import VZConfig
import VZSystem

/// Files inside a VPS that vzctl writes from the host (`/etc/hostname`,
/// `/etc/hosts`, `/etc/resolv.conf`), never through a path the VPS
/// controls (security guide §3.2): every name is resolved by openat2 with
/// RESOLVE_IN_ROOT against an fd of the VPS's root, so a symlink, even an
/// absolute one or one full of `..`, resolves inside the VPS; the file is
/// replaced by renaming a new one over it, which replaces a symlink there
/// instead of writing through it.
struct GuestFiles {
    /// The VPS's `/`.
    let root: FileDescriptor

    static let resolve = VZ_RESOLVE_IN_ROOT | VZ_RESOLVE_NO_MAGICLINKS
    static let maxSize = 1 << 20

    /// VE_ROOT as the host sees it: at start, before the init stage has
    /// made the VPS's own mounts.
    static func at(hostRoot: String) throws(VZError) -> GuestFiles {
        GuestFiles(root: try FileDescriptor.open(hostRoot, Int32(VZ_O_PATH) | O_DIRECTORY))
    }

    /// A running VPS's own view: its init's root, in its mount namespace.
    static func of(_ initProcess: ProcessIdentity) throws(VZError) -> GuestFiles {
        guard let pidfd = initProcess.open() else { throw VZError(.notRunning, "Container is not running") }
        let fd = try FileDescriptor.open("/proc/\(initProcess.pid)/root", Int32(VZ_O_PATH) | O_DIRECTORY)
        // Opened by pid: still that process only if the pinned one lives.
        guard vz_pidfd_send_signal(pidfd.raw, 0) == 0 else { throw VZError(.notRunning, "Container is not running") }
        return GuestFiles(root: fd)
    }

    /// The text of `path` ("etc/hosts"), nil when it is missing or not a
    /// regular file of at most 1 MiB (a FIFO planted there does not block:
    /// O_NONBLOCK, then fstat), or a view of kernel state (the VPS's /proc
    /// through a symlink: `isKernelStateFile`).
    func read(_ path: String) -> String? {
        let raw = vz_openat2(root.raw, path, UInt64(O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), 0, GuestFiles.resolve)
        guard raw >= 0 else { return nil }
        let fd = FileDescriptor(owning: raw)
        guard let st = try? fd.stat(), (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= GuestFiles.maxSize,
              !fd.isKernelStateFile, let bytes = try? fd.readAll() else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces `dir/name` with a regular file (0644, root) holding `text`.
    func write(dir: String, name: String, _ text: String) throws(VZError) {
        let shown = "/\(dir)/\(name)"
        let d = try sys("Unable to open the container's /\(dir)", path: "/" + dir) {
            vz_openat2(root.raw, dir, UInt64(Int32(VZ_O_PATH) | O_DIRECTORY | O_CLOEXEC), 0, GuestFiles.resolve)
        }
        let dirFD = FileDescriptor(owning: d)
        let tmp = ".\(name).vzctl-\(getpid())"
        _ = unlinkat(dirFD.raw, tmp, 0)
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644, relativeTo: dirFD)
        do {
            _ = fchmod(fd.raw, 0o644)
            try fd.writeAll(Array(text.utf8), path: shown)
            _ = try sys("Unable to replace the container's \(shown)", path: shown) { renameat(dirFD.raw, tmp, dirFD.raw, name) }
        } catch {
            _ = unlinkat(dirFD.raw, tmp, 0)
            throw error
        }
    }

    /// sethostname(2) in the UTS namespace of a running VPS's init.
    static func setHostname(_ name: String, of initProcess: ProcessIdentity) throws(VZError) {
        guard let pidfd = initProcess.open() else { throw VZError(.notRunning, "Container is not running") }
        let home = try FileDescriptor.open("/proc/thread-self/ns/uts", O_RDONLY)
        _ = try sys("Unable to enter the container's UTS namespace", code: .badHostname) { vz_setns(pidfd.raw, Int32(VZ_CLONE_NEWUTS)) }
        let r = sysResult { name.withCString { sethostname($0, strlen($0)) } }
        if vz_setns(home.raw, Int32(VZ_CLONE_NEWUTS)) != 0 {
            fatalError("vzctl: unable to return to the host UTS namespace: \(ErrnoName.describe(errno))")
        }
        if case .failure(let e) = r { throw e.error(.badHostname, "Unable to set the hostname") }
    }
}
