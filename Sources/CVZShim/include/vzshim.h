// Thin wrappers for system calls that Swift's Glibc module lacks or types
// awkwardly. Mechanism only: no policy, no allocation.
#ifndef VZSHIM_H
#define VZSHIM_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/xattr.h>

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

/* --- posix_spawn file actions and chattr flags (template extraction,
 * SafeRemove); see spawn.c. glibc declares the _np actions only under
 * _GNU_SOURCE, which Swift's Glibc module does not define. --- */
#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34): close every fd >= from.
int vz_spawn_addclosefrom(posix_spawn_file_actions_t *fa, int from);
/// posix_spawn_file_actions_addfchdir_np (glibc >= 2.29): fchdir(fd) in the child.
int vz_spawn_addfchdir(posix_spawn_file_actions_t *fa, int fd);

/// FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (chattr): ioctl(2) is variadic, which Swift cannot call.
int vz_fs_getflags(int fd, unsigned int *flags);
int vz_fs_setflags(int fd, unsigned int flags);
#define VZ_FS_IMMUTABLE_FL 0x00000010u
#define VZ_FS_APPEND_FL 0x00000020u

/// setfsuid(2) (declared in <sys/fsuid.h>, outside Swift's Glibc module).
/// Per thread; a non-zero fsuid drops the thread's DAC capabilities.
int vz_setfsuid(uid_t uid);

/// prctl(PR_SET_PDEATHSIG, sig): prctl(2) is variadic.
int vz_set_pdeathsig(int sig);

/// pipe2(2) (GNU): both ends O_CLOEXEC from the start.
int vz_pipe2(int fds[2], int flags);

#define VZ_AT_EMPTY_PATH 0x1000
#define VZ_UMOUNT_NOFOLLOW 0x8
#define VZ_O_PATH 010000000

/* --- Running containers (runtime.c): namespace, mount and process calls
 * that Swift's Glibc module lacks or cannot call (variadic, macros). --- */

/// pivot_root(2).
int vz_pivot_root(const char *new_root, const char *put_old);
/// unshare(2) and setns(2) (GNU-only declarations).
int vz_unshare(int flags);
int vz_setns(int fd, int nstype);
/// close_range(2) with flags 0.
int vz_close_range(unsigned int first, unsigned int last);
/// pidfd_open(2) and pidfd_send_signal(2).
int vz_pidfd_open(pid_t pid);
int vz_pidfd_send_signal(int pidfd, int sig);
/// mknodat(2) of a character device major:minor (makedev is a macro).
int vz_mknod_char(int dirfd, const char *name, unsigned int mode, unsigned int major, unsigned int minor);
/// major/minor of a dev_t (macros in C).
unsigned int vz_major(uint64_t dev);
unsigned int vz_minor(uint64_t dev);
/// f_type of fstatfs(2).
long vz_fstatfs_type(int fd);
/// sethostname(2).
int vz_sethostname(const char *name, size_t len);
/// prctl(PR_SET_DUMPABLE, v).
int vz_set_dumpable(int v);
/// fcntl(F_SETFD, FD_CLOEXEC) / clear (fcntl is variadic).
int vz_set_cloexec(int fd, int on);
/// fcntl(F_SETFL, O_NONBLOCK) on.
int vz_set_nonblock(int fd);
/// Sets a network interface up (SIOCSIFFLAGS; ioctl is variadic).
int vz_link_up(const char *name);
/// SIGRTMIN+n (glibc computes SIGRTMIN at run time).
int vz_sigrtmin(void);

#define VZ_CLONE_NEWNS 0x00020000
#define VZ_CLONE_NEWCGROUP 0x02000000
#define VZ_CLONE_NEWUTS 0x04000000
#define VZ_CLONE_NEWIPC 0x08000000
#define VZ_CLONE_NEWPID 0x20000000
#define VZ_CLONE_NEWNET 0x40000000
#define VZ_PROC_SUPER_MAGIC 0x9fa0L
#define VZ_SYSFS_MAGIC 0x62656572L
#define VZ_TMPFS_MAGIC 0x01021994L

/* --- cgroup v2 device controller (bpf.c): bpf(2) has no glibc wrapper and
 * union bpf_attr cannot be filled from Swift. Instructions are struct
 * bpf_insn laid out as little-endian uint64_t. --- */

/// BPF_PROG_LOAD of a BPF_PROG_TYPE_CGROUP_DEVICE program; returns the prog fd
/// (O_CLOEXEC). The verifier's log goes to `log` when given.
int vz_bpf_load_device_prog(const uint64_t *insns, uint32_t count, char *log, uint32_t log_size);
/// BPF_PROG_ATTACH / BPF_PROG_DETACH with attach type BPF_CGROUP_DEVICE.
int vz_bpf_attach_device_prog(int cgroup_fd, int prog_fd, uint32_t flags);
int vz_bpf_detach_device_prog(int cgroup_fd, int prog_fd);
/// BPF_PROG_QUERY: ids of the device programs attached to the cgroup itself;
/// *count is the capacity in, the number attached out.
int vz_bpf_query_device_progs(int cgroup_fd, uint32_t *ids, uint32_t *count);
/// BPF_PROG_GET_FD_BY_ID.
int vz_bpf_prog_fd_by_id(uint32_t id);
#define VZ_BPF_F_ALLOW_MULTI 2u

/* --- exec, enter, runscript (enter.c): the fork → setns → fork → execve
 * path, drawn in enter.c. Everything is decided by the caller. --- */
#include <signal.h>

struct vz_enter_args {
    int pidfd;                      /* the VPS's verified init */
    int nsflags;                    /* VZ_CLONE_* to join through the pidfd */
    const int *cgroup_fds;          /* cgroup.procs of each hierarchy, opened for writing */
    int cgroup_count;
    uint64_t cap_bnd, cap_prm, cap_eff, cap_inh;   /* the init's sets */
    char *const *argv;              /* NULL-terminated; argv[0] replaced when paths is set */
    char *const *envp;              /* the whole environment of the payload */
    const char *const *paths;       /* shells tried in order; NULL: execvp(argv[0]) in envp's PATH */
    int login;                      /* argv[0] = "-" + basename(path) */
    int stdin_fd;                   /* >= 0: becomes fd 0 (no tty) */
    int tty;                        /* 1: a PTY in the VPS's devpts; master returned */
    unsigned short rows, cols;      /* its initial size (0: leave) */
};
struct vz_enter_result {
    pid_t pid;                      /* the payload, a child of the caller; -1 if none */
    int master;                     /* PTY master (O_CLOEXEC) or -1 */
    int stage;                      /* VZ_ENTER_* that failed, 0 on success */
    int err;                        /* its errno */
};
#define VZ_ENTER_FORK 1
#define VZ_ENTER_CGROUP 2
#define VZ_ENTER_SETNS 3
#define VZ_ENTER_PTY 4
#define VZ_ENTER_TTY 5
#define VZ_ENTER_CHDIR 6
#define VZ_ENTER_CAPS 7
#define VZ_ENTER_EXEC 8
/// Returns 0 once the payload has exec'd, -1 with r->stage/err otherwise
/// (r->pid, when > 0, must still be reaped).
int vz_enter(const struct vz_enter_args *a, struct vz_enter_result *r);
/// signalfd(2), O_CLOEXEC and O_NONBLOCK (sys/signalfd.h is outside Swift's Glibc module).
int vz_signalfd(const sigset_t *mask);
/// TIOCGWINSZ / TIOCSWINSZ (ioctl is variadic).
int vz_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
int vz_set_winsize(int fd, unsigned short rows, unsigned short cols);

/// A new anonymous session keyring for the calling process (keyctl(2)).
int vz_join_session_keyring(void);

#endif
