import CVZShim
import Glibc
import VZConfig
import VZSystem

/// NUMPTY as the `max=` of the VPS's own devpts instance: at start in the
/// mount options (the init stage, vzmonitor's initstage.c, which uses the
/// same options as `mountData`), live by reconfiguring that
/// instance from the host. VPS root has no CAP_SYS_ADMIN, so it cannot
/// remount it with a larger max.
enum DevptsLimit {
    /// Every option the VPS's devpts is mounted with. A devpts reconfigure
    /// resets what it is not given, so the live change passes them all.
    static func options(max: UInt64?) -> [(String, String)] {
        var o = [("ptmxmode", "0666"), ("mode", "0620"), ("gid", "5")]
        if let max { o.append(("max", String(max))) }
        return o
    }

    /// The data string of mount(2): `newinstance,ptmxmode=0666,...[,max=N]`.
    static func mountData(max: UInt64?) -> String {
        (["newinstance"] + options(max: max).map { "\($0.0)=\($0.1)" }).joined(separator: ",")
    }

    static let devptsMagic = 0x1cd1

    /// Reconfigures the devpts on the running VPS's `/dev/pts` with `max`.
    /// The mount is found through the init's root (`/proc/PID/root`, opened
    /// while the pidfd shows that pid is still that init) and resolved
    /// inside it with no symlink followed; it must be a devpts mount root.
    /// fspick(2)+fsconfig(2) reach a mount of another mount namespace,
    /// which mount(2) with MS_REMOUNT cannot.
    static func apply(max: UInt64, initPid: pid_t, pidfd: FileDescriptor) throws(VZError) {
        let root = try FileDescriptor.open("/proc/\(initPid)/root", Int32(VZ_O_PATH) | O_DIRECTORY, code: .setUBC)
        guard vz_pidfd_send_signal(pidfd.raw, 0) == 0 else { throw VZError(.notRunning, "Container is not running") }
        let resolve = VZ_RESOLVE_IN_ROOT | VZ_RESOLVE_NO_SYMLINKS | VZ_RESOLVE_NO_MAGICLINKS
        let pts = try sys("Unable to find the container's /dev/pts", code: .setUBC) {
            vz_openat2(root.raw, "dev/pts", UInt64(Int32(VZ_O_PATH) | O_DIRECTORY | O_CLOEXEC), 0, resolve)
        }
        let ptsFD = FileDescriptor(owning: pts)
        guard vz_fstatfs_type(ptsFD.raw) == devptsMagic else {
            throw VZError(.setUBC, "Unable to set NUMPTY: the container's /dev/pts is not a devpts file system")
        }
        let fs = try sys("Unable to set NUMPTY: fspick /dev/pts", code: .setUBC) {
            fspick(ptsFD.raw, "", UInt32(FSPICK_EMPTY_PATH | FSPICK_CLOEXEC))
        }
        let fsFD = FileDescriptor(owning: fs)
        for (k, v) in options(max: max) {
            _ = try sys("Unable to set NUMPTY: devpts option \(k)=\(v)", code: .setUBC) {
                fsconfig(fsFD.raw, FSCONFIG_SET_STRING.rawValue, k, v, 0)
            }
        }
        _ = try sys("Unable to set NUMPTY: reconfigure devpts with max=\(max)", code: .setUBC) {
            fsconfig(fsFD.raw, FSCONFIG_CMD_RECONFIGURE.rawValue, nil, nil, 0)
        }
    }
}
