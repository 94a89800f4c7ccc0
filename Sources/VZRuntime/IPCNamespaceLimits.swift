import CVZShim
import Glibc
import VZCgroup
import VZConfig
import VZSystem

/// SHMPAGES as the System V shm limits of the VPS's own IPC namespace
/// (`kernel.shmall` in pages, `kernel.shmmax` in bytes). The kernel keeps
/// these per IPC namespace and `/proc/sys/kernel/shm*` shows those of the
/// *caller's* namespace, so vzctl joins the VPS's one for the two writes
/// (setns through the init's pidfd, which cannot name a recycled pid) and
/// goes back to its own. Done from the host both at start, before the VPS's
/// init runs, and live by `vzctl set`. Inside, /proc/sys is read-only and
/// VPS root has no CAP_SYS_ADMIN, so it cannot raise them.
enum IPCNamespaceLimits {
    static func apply(_ shm: ShmLimit, initPidfd: FileDescriptor) throws(VZError) {
        let own = try FileDescriptor.open("/proc/thread-self/ns/ipc", O_RDONLY, code: .setUBC)
        _ = try sys("Unable to join the container's IPC namespace", code: .setUBC) {
            vz_setns(initPidfd.raw, VZ_CLONE_NEWIPC)
        }
        var failure: VZError?
        for (file, value) in [("shmmax", shm.shmmax), ("shmall", shm.shmall)] {
            do {
                try Files.writeExisting("/proc/sys/kernel/" + file, String(value))
            } catch {
                failure = VZError(.setUBC, "Unable to set SHMPAGES: kernel.\(file) = \(value)", errno: error.errno)
                break
            }
        }
        // Staying in the VPS's namespace would be worse than any failure above.
        if vz_setns(own.raw, VZ_CLONE_NEWIPC) != 0 {
            let e = errno
            fatalError("cannot return to vzctl's own IPC namespace: \(ErrnoName.describe(e))")
        }
        if let failure { throw failure }
    }

}
