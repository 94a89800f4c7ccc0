import CVZShim
import Glibc
import VZConfig

/// NUMPTY's held value: the pseudo-terminals open in a VPS's own devpts
/// instance. devpts keeps one numbered entry per pty whose master is open,
/// which is exactly what OpenVZ's numpty counted; the kernel keeps no peak
/// and no count of `max=` refusals.
public enum ContainerPtys {
    /// `DEVPTS_SUPER_MAGIC`.
    static let devptsMagic = 0x1cd1 as Int

    /// The number of ptys in the devpts mounted at `/dev/pts` in the root
    /// of `process` (the VPS's init), nil when that cannot be told.
    ///
    /// Read from the host without trusting the VPS's tree: `/proc/PID` is
    /// held open first and the start time checked through it, so a
    /// recycled pid cannot substitute another process's root; `dev/pts` is
    /// then opened beneath that root with no symlink or magic link
    /// followed (VPS root could make it point at a host directory), and it
    /// must be a devpts file system. Only names are read.
    public static func count(in process: ProcessIdentity) -> Int? {
        guard let proc = try? FileDescriptor.open("/proc/\(process.pid)", O_RDONLY | O_DIRECTORY),
              startTime(proc) == process.startTime,
              let root = try? FileDescriptor.open("root", VZ_O_PATH | O_DIRECTORY, relativeTo: proc)
        else { return nil }
        let fd = vz_openat2(root.raw, "dev/pts", UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                            VZ_RESOLVE_BENEATH | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS)
        guard fd >= 0 else { return nil }
        let pts = FileDescriptor(owning: fd)
        guard vz_fstatfs_type(pts.raw) == devptsMagic else { return nil }
        return Files.entries(ofDirectory: pts.raw).reduce(0) { n, e in
            n + (!e.name.isEmpty && e.name.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? 1 : 0)
        }
    }

    /// Field 22 of `stat` read through an open `/proc/PID`.
    private static func startTime(_ proc: FileDescriptor) -> UInt64? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        guard let n = Files.read("stat", at: proc.raw, into: &buffer) else { return nil }
        return ProcessIdentity.startTime(stat: buffer[0..<n])
    }
}
