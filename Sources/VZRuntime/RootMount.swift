import CVZShim
import Glibc
import VZConfig
import VZSystem

/// The VPS's file system view, built by the init stage inside the new mount
/// namespace before pivot_root (security guide §5 mount order).
///
/// Every target inside the VPS tree is opened with openat2 confined beneath
/// an fd (RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS) and mounted through
/// `/proc/self/fd/N`, so a symlink in the image (`/dev -> /host/dir`,
/// `/proc -> ...`, `/dev/null -> /proc/sys/kernel/core_pattern`) is never
/// followed. A top-level mount point that is a symlink is replaced by an
/// empty directory in the VPS's own tree (its files, its choice); anything
/// else that is not a directory refuses the start. /dev is a fresh tmpfs, so
/// whatever the image has under /dev is hidden, symlinks included.
struct RootMount {
    let root: FileDescriptor
    /// Host /dev/null, opened before anything else and verified char 1:3:
    /// the source of every file mask (runc CVE-2025-31133).
    let null: FileDescriptor

    static let procMasks = ["kcore", "keys", "timer_list", "sched_debug", "latency_stats", "kallsyms"]
    static let procEmptyDirs = ["acpi", "scsi"]
    static let procReadOnly = ["sys", "bus", "fs", "irq", "sysrq-trigger"]
    static let sysEmptyDirs = ["firmware", "devices/virtual/powercap"]

    private static let confined = VZ_RESOLVE_BENEATH | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS

    static func fdPath(_ fd: FileDescriptor) -> String { "/proc/self/fd/\(fd.raw)" }

    /// `name` beneath `dir`, never through a symlink; nil when it does not exist.
    static func open(_ name: String, in dir: FileDescriptor, directory: Bool = true) throws(VZError) -> FileDescriptor? {
        let flags = Int32(VZ_O_PATH) | O_CLOEXEC | O_NOFOLLOW | (directory ? O_DIRECTORY : 0)
        switch sysResult({ vz_openat2(dir.raw, name, UInt64(flags), 0, confined) }) {
        case .success(let fd): return FileDescriptor(owning: fd)
        case .failure(let e) where e.rawValue == ENOENT: return nil
        case .failure(let e): throw e.error(.cannotMount, "Unsafe mount point in the container", path: "/" + name)
        }
    }

    /// A top-level directory of the VPS (`dev`, `proc`, `sys`), created when
    /// missing and replacing a symlink; refuses anything else.
    static func directory(_ name: String, in dir: FileDescriptor, mode: mode_t = 0o555) throws(VZError) -> FileDescriptor {
        if let st = statAt(dir, name), (st.st_mode & S_IFMT) == S_IFLNK {
            _ = try sys("Unable to replace the symlink", path: "/" + name, code: .cannotMount) { unlinkat(dir.raw, name, 0) }
        }
        if statAt(dir, name) == nil {
            _ = try sys("Unable to create the mount point", path: "/" + name, code: .cannotMount) { mkdirat(dir.raw, name, mode) }
        }
        guard let fd = try open(name, in: dir) else {
            throw VZError(.cannotMount, "Mount point vanished", path: "/" + name)
        }
        return fd
    }

    static func statAt(_ dir: FileDescriptor, _ name: String) -> stat? {
        var st = stat()
        return fstatat(dir.raw, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    static func mount(_ source: String?, on target: FileDescriptor, type: String?, flags: UInt, data: String? = nil, what: String) throws(VZError) {
        _ = try sys("Unable to mount \(what)", code: .cannotMount) {
            Glibc.mount(source, fdPath(target), type, flags, data)
        }
    }

    /// A read-only bind of a target onto itself.
    static func bindReadOnly(_ name: String, in dir: FileDescriptor, what: String) throws(VZError) {
        guard let t = try open(name, in: dir, directory: false) else { return }
        try mount(fdPath(t), on: t, type: nil, flags: UInt(MS_BIND | MS_REC), what: what)
        guard let again = try open(name, in: dir, directory: false) else { return }
        try mount(nil, on: again, type: nil,
                  flags: UInt(MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), what: what + " read-only")
    }

    static func emptyReadOnly(_ name: String, in dir: FileDescriptor, what: String) throws(VZError) {
        guard let t = try open(name, in: dir) else { return }
        try mount("tmpfs", on: t, type: "tmpfs", flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "mode=0555", what: what)
    }

    static func requireType(_ fd: FileDescriptor, _ magic: Int, _ what: String) throws(VZError) {
        guard vz_fstatfs_type(fd.raw) == magic else {
            throw VZError(.cannotMount, "\(what) is not the file system just mounted")
        }
    }

    /// /proc, then its masks. A mask that cannot be applied aborts the start
    /// (systemd PR #40833: silently skipped masks).
    func mountProc() throws(VZError) {
        let dir = try RootMount.directory("proc", in: root)
        try RootMount.mount("proc", on: dir, type: "proc", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), what: "/proc")
        guard let proc = try RootMount.open("proc", in: root) else { throw VZError(.cannotMount, "/proc vanished") }
        try RootMount.requireType(proc, VZ_PROC_SUPER_MAGIC, "/proc")
        for name in RootMount.procMasks {
            guard let t = try RootMount.open(name, in: proc, directory: false) else { continue }
            try RootMount.mount(RootMount.fdPath(null), on: t, type: nil, flags: UInt(MS_BIND), what: "a mask over /proc/\(name)")
        }
        for name in RootMount.procEmptyDirs {
            try RootMount.emptyReadOnly(name, in: proc, what: "a mask over /proc/\(name)")
        }
        // sysrq-trigger read-only rather than /dev/null: a write must fail,
        // not vanish (a VPS must see that it cannot reboot the host).
        for name in RootMount.procReadOnly {
            try RootMount.bindReadOnly(name, in: proc, what: "/proc/\(name)")
        }
    }

    func mountSys() throws(VZError) {
        let dir = try RootMount.directory("sys", in: root)
        try RootMount.mount("sysfs", on: dir, type: "sysfs", flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), what: "/sys")
        guard let sys = try RootMount.open("sys", in: root) else { throw VZError(.cannotMount, "/sys vanished") }
        try RootMount.requireType(sys, VZ_SYSFS_MAGIC, "/sys")
        for name in RootMount.sysEmptyDirs {
            try RootMount.emptyReadOnly(name, in: sys, what: "a mask over /sys/\(name)")
        }
    }

    /// /dev: a fresh tmpfs with the usual nodes and those of DEVNODES,
    /// devpts newinstance (at most `ptyMax` ptys: NUMPTY), shm, mqueue, and
    /// the console pty (fd 0) bound on /dev/console.
    func mountDev(ptyMax: UInt64? = nil, deviceNodes: [DeviceNodeSpec] = []) throws(VZError) {
        let dir = try RootMount.directory("dev", in: root, mode: 0o755)
        try RootMount.mount("tmpfs", on: dir, type: "tmpfs", flags: UInt(MS_NOSUID | MS_NOEXEC), data: "mode=755,size=65536k", what: "/dev")
        guard let dev = try RootMount.open("dev", in: root) else { throw VZError(.cannotMount, "/dev vanished") }
        try RootMount.requireType(dev, VZ_TMPFS_MAGIC, "/dev")
        let nodes: [(String, UInt32, UInt32)] = [
            ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
        ]
        for (name, major, minor) in nodes {
            _ = try sys("Unable to create /dev/\(name)", code: .cannotMount) { vz_mknod_char(dev.raw, name, 0o666, major, minor) }
        }
        let links: [(String, String)] = [
            ("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
        ]
        for (name, target) in links {
            _ = try sys("Unable to create /dev/\(name)", code: .cannotMount) { symlinkat(target, dev.raw, name) }
        }
        let pts = try RootMount.directory("pts", in: dev, mode: 0o755)
        try RootMount.mount("devpts", on: pts, type: "devpts", flags: UInt(MS_NOSUID | MS_NOEXEC),
                            data: DevptsLimit.mountData(max: ptyMax), what: "/dev/pts")
        let shm = try RootMount.directory("shm", in: dev, mode: 0o1777)
        try RootMount.mount("shm", on: shm, type: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=1777", what: "/dev/shm")
        try DeviceNodes.create(deviceNodes, in: dev)
        let mq = try RootMount.directory("mqueue", in: dev, mode: 0o755)
        try RootMount.mount("mqueue", on: mq, type: "mqueue", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), what: "/dev/mqueue")

        // /dev/console: a file of ours in our tmpfs, the pty slave bound on it.
        let c = try sys("Unable to create /dev/console", code: .cannotMount) {
            openat(dev.raw, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        close(c)
        if isatty(0) == 1, let slave = try RootMount.consoleSlave(),
           let console = try RootMount.open("console", in: dev, directory: false) {
            try RootMount.mount(RootMount.fdPath(slave), on: console, type: nil, flags: UInt(MS_BIND), what: "/dev/console")
        }
    }

    /// The console pty slave as seen through *our* copy of the host's
    /// devpts mount: fd 0 was opened by the monitor in the host's mount
    /// namespace, and a bind from another namespace's mount is EINVAL. The
    /// path is the host's (we have not pivoted), checked by device number.
    static func consoleSlave() throws(VZError) -> FileDescriptor? {
        guard let path = Files.readLink("/proc/self/fd/0"), path.hasPrefix("/dev/pts/") else { return nil }
        var want = stat()
        guard fstat(0, &want) == 0 else { return nil }
        let fd = try FileDescriptor.open(path, Int32(VZ_O_PATH) | O_NOFOLLOW, code: .cannotMount)
        let got = try fd.stat()
        guard (got.st_mode & S_IFMT) == S_IFCHR, got.st_rdev == want.st_rdev else {
            throw VZError(.cannotMount, "The console pty is not what the monitor opened", path: path)
        }
        return fd
    }

    /// /run as a tmpfs when the image has it as a plain directory.
    func mountRun() throws(VZError) {
        guard let st = RootMount.statAt(root, "run"), (st.st_mode & S_IFMT) == S_IFDIR,
              let run = try RootMount.open("run", in: root) else { return }
        try RootMount.mount("run", on: run, type: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=755", what: "/run")
    }

    /// Host /dev/null, verified to be the null device.
    static func openNull() throws(VZError) -> FileDescriptor {
        let fd = try FileDescriptor.open("/dev/null", Int32(VZ_O_PATH) | O_NOFOLLOW, code: .cannotMount)
        let st = try fd.stat()
        guard (st.st_mode & S_IFMT) == S_IFCHR, vz_major(UInt64(st.st_rdev)) == 1, vz_minor(UInt64(st.st_rdev)) == 3 else {
            throw VZError(.cannotMount, "/dev/null on the host is not the null device")
        }
        return fd
    }
}
