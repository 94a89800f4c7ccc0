// posix_spawn file actions, pipe2, prctl, chattr flags and setfsuid: GNU-only or variadic
// interfaces that Swift cannot reach through its Glibc module.
#define _GNU_SOURCE
#include "vzshim.h"
#include <spawn.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/fs.h>
#include <unistd.h>

int vz_spawn_addclosefrom(posix_spawn_file_actions_t *fa, int from)
{
    return posix_spawn_file_actions_addclosefrom_np(fa, from);
}

int vz_spawn_addfchdir(posix_spawn_file_actions_t *fa, int fd)
{
    return posix_spawn_file_actions_addfchdir_np(fa, fd);
}

int vz_set_pdeathsig(int sig)
{
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0);
}

int vz_pipe2(int fds[2], int flags)
{
    return pipe2(fds, flags);
}

int vz_fs_getflags(int fd, unsigned int *flags)
{
    int f = 0;
    int r = ioctl(fd, FS_IOC_GETFLAGS, &f);
    if (r == 0)
        *flags = (unsigned int)f;
    return r;
}

int vz_fs_setflags(int fd, unsigned int flags)
{
    int f = (int)flags;
    return ioctl(fd, FS_IOC_SETFLAGS, &f);
}

int vz_setfsuid(uid_t uid)
{
    return setfsuid(uid);
}
