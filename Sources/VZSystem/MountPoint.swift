import CVZShim
import Glibc

/// Whether a path is the root of a mount, from the kernel's own answer
/// (statx STATX_ATTR_MOUNT_ROOT, Linux ≥ 5.8): exact for bind mounts of a
/// directory on the same file system, which st_dev comparisons miss. The
/// final component is not followed.
public func isMountPoint(_ path: String) -> Bool {
    var sx = vz_statx()
    guard vz_statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &sx) == 0 else { return false }
    if sx.is_mount_root >= 0 { return sx.is_mount_root == 1 }
    // Older kernels: compare with the parent's device.
    var parent = vz_statx()
    guard vz_statx(AT_FDCWD, path + "/..", 0, &parent) == 0 else { return false }
    return parent.dev_major != sx.dev_major || parent.dev_minor != sx.dev_minor
}
