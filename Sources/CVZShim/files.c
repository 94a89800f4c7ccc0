#define _GNU_SOURCE
#include "vzshim.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

int vz_statx(int dirfd, const char *path, int flags, struct vz_statx *out)
{
    struct statx sx;
    memset(&sx, 0, sizeof(sx));
    if (statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_MNT_ID, &sx) != 0)
        return -1;
    out->mnt_id = sx.stx_mnt_id;
    out->has_mnt_id = (sx.stx_mask & STATX_MNT_ID) ? 1 : 0;
    out->ino = sx.stx_ino;
    out->dev_major = sx.stx_dev_major;
    out->dev_minor = sx.stx_dev_minor;
    out->mode = sx.stx_mode;
    out->uid = sx.stx_uid;
    out->gid = sx.stx_gid;
    if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        out->is_mount_root = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? 1 : 0;
    else
        out->is_mount_root = -1;
    return 0;
}

int vz_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

int vz_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
