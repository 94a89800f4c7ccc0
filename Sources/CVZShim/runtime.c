// Namespace, mount and process system calls for `vzctl start`/`stop` and
// the init stage: raw syscalls and macros Swift cannot reach. Mechanism only.
#define _GNU_SOURCE
#include "vzshim.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int vz_pivot_root(const char *new_root, const char *put_old)
{
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int vz_unshare(int flags) { return unshare(flags); }
int vz_setns(int fd, int nstype) { return setns(fd, nstype); }

int vz_close_range(unsigned int first, unsigned int last)
{
    return (int)syscall(SYS_close_range, first, last, 0);
}

int vz_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int vz_pidfd_send_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int vz_mknod_char(int dirfd, const char *name, unsigned int mode, unsigned int major, unsigned int minor)
{
    return mknodat(dirfd, name, S_IFCHR | (mode & 07777), makedev(major, minor));
}

unsigned int vz_major(uint64_t dev) { return major((dev_t)dev); }
unsigned int vz_minor(uint64_t dev) { return minor((dev_t)dev); }

long vz_fstatfs_type(int fd)
{
    struct statfs s;
    if (fstatfs(fd, &s) != 0)
        return -1;
    return (long)s.f_type;
}

int vz_sethostname(const char *name, size_t len) { return sethostname(name, len); }

int vz_set_dumpable(int v) { return prctl(PR_SET_DUMPABLE, (unsigned long)v, 0, 0, 0); }

int vz_set_cloexec(int fd, int on)
{
    int f = fcntl(fd, F_GETFD);
    if (f < 0)
        return -1;
    return fcntl(fd, F_SETFD, on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC));
}

int vz_set_nonblock(int fd)
{
    int f = fcntl(fd, F_GETFL);
    if (f < 0)
        return -1;
    return fcntl(fd, F_SETFL, f | O_NONBLOCK);
}

int vz_sigrtmin(void) { return SIGRTMIN; }

int vz_link_up(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    return r;
}

/* A fresh, anonymous session keyring, so a VPS never shares the admin's
 * (runc and LXC do the same); KEYCTL_JOIN_SESSION_KEYRING = 1. */
int vz_join_session_keyring(void)
{
    return (int)syscall(SYS_keyctl, 1, NULL);
}
