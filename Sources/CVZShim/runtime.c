// Process and file system calls Swift cannot reach (raw syscalls, macros),
// for vzctl and for vzmonitor, which compiles this file too (vz_clone_into).
// Mechanism only.
#define _GNU_SOURCE
#include "vzshim.h"
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int vz_setns(int fd, int nstype) { return setns(fd, nstype); }
int vz_prlimit(pid_t pid, int res, const struct rlimit *set, struct rlimit *old) { return prlimit(pid, res, set, old); }

int vz_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int vz_pidfd_send_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

long vz_fstatfs_type(int fd)
{
    struct statfs s;
    if (fstatfs(fd, &s) != 0)
        return -1;
    return (long)s.f_type;
}

/* A fresh, anonymous session keyring, so a VPS never shares the admin's
 * (runc and LXC do the same); KEYCTL_JOIN_SESSION_KEYRING = 1. */
int vz_join_session_keyring(void)
{
    return (int)syscall(SYS_keyctl, 1, NULL);
}

pid_t vz_clone_into(unsigned long flags, int cgroup_dir, int *joined)
{
    *joined = 0;
    if (cgroup_dir >= 0) {
        // CLONE_PARENT takes the caller's own exit signal: clone3 refuses
        // one given with it (EINVAL).
        struct clone_args a = { .flags = flags | CLONE_INTO_CGROUP, .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
                                .cgroup = (uint64_t)cgroup_dir };
        pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
        // ENOSYS: no clone3 (< 5.3); EINVAL/E2BIG: no CLONE_INTO_CGROUP (< 5.7).
        if (pid >= 0 || (errno != ENOSYS && errno != EINVAL && errno != E2BIG))
            return *joined = 1, pid;
    }
    return (pid_t)syscall(SYS_clone, flags | ((flags & CLONE_PARENT) ? 0 : SIGCHLD), 0, 0, 0, 0);
}
