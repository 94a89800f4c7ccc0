// Thin wrappers for system calls that Swift's Glibc module lacks or types
// awkwardly. Mechanism only: no policy, no allocation.
#ifndef VZSHIM_H
#define VZSHIM_H

#include <stdint.h>
#include <sys/types.h>

/// statx(2) reduced to what the host-side walkers need: the mount id and
/// whether the object is the root of a mount (STATX_ATTR_MOUNT_ROOT), which
/// also catches bind mounts of a directory of the same file system (st_dev
/// alone does not).
struct vz_statx {
    uint64_t mnt_id;
    uint64_t ino;
    uint32_t dev_major, dev_minor;
    uint32_t mode;
    uint32_t uid, gid;
    int is_mount_root;      /* 1, 0, or -1 when the kernel did not say */
    int has_mnt_id;
};
int vz_statx(int dirfd, const char *path, int flags, struct vz_statx *out);

/// renameat2(2); flags RENAME_NOREPLACE (1) / RENAME_EXCHANGE (2).
int vz_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// openat2(2) with a resolve mask (RESOLVE_IN_ROOT 0x10, RESOLVE_NO_SYMLINKS 0x04,
/// RESOLVE_NO_MAGICLINKS 0x02, RESOLVE_NO_XDEV 0x01, RESOLVE_BENEATH 0x08).
int vz_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

#define VZ_RENAME_NOREPLACE 1u
#define VZ_RESOLVE_NO_XDEV 0x01ull
#define VZ_RESOLVE_NO_MAGICLINKS 0x02ull
#define VZ_RESOLVE_NO_SYMLINKS 0x04ull
#define VZ_RESOLVE_BENEATH 0x08ull
#define VZ_RESOLVE_IN_ROOT 0x10ull

#endif
