// `vzctl exec/exec2/exec3/enter/runscript`: fork → join → fork → execve, all
// in C, because no Swift may run between a fork and its exec (architecture
// guide §5.1). Mechanism only: argv, envp, capability masks, namespaces and
// cgroup fds are decided in Swift (ExecOperation.swift) and handed over.
//
//  vzctl (Swift, host)          intermediate (host pid ns)        payload (VPS pid ns)
//  pidfd of the verified init,
//  v1 tasks fds, unified dir,
//  argv/envp,
//  socketpair(SEQPACKET, CLOEXEC)
//  fork ──────────────────────▶ PR_SET_DUMPABLE 0
//                               "0" → every v1 tasks fd
//                               setns(pidfd, MNT|UTS|IPC|NET|PID)
//                               [tty] open /dev/pts/ptmx of the VPS's
//                                     devpts, unlock, TIOCSWINSZ
//                               clone3(CLONE_PARENT|INTO_CGROUP) ─▶ [setns(pidfd, CGROUP)]
//                                                                   setsid (no route to the
//  ◀── PID [+ master, SCM_RIGHTS]                                   admin's tty: TIOCSTI)
//                               _exit(0)                            [tty] TIOCGPTPEER, TIOCSCTTY,
//  reap the intermediate                                            slave → 0,1,2 | stdin_fd → 0
//                                                                   chdir("/"), rlimits, setgroups(0),
//                                                                   bounding/capset = init's,
//                                                                   signals default, mask empty,
//  ◀── ERR {stage, errno} from either, then _exit(127)              close_range(3.., CLOEXEC)
//  EOF: every copy of the socket is gone, i.e. execve succeeded ◀── execve
//  waitpid(payload): CLONE_PARENT made it our child, so no process waits in between.
//
// The payload is a non-dumpable copy of vzctl until execve, so VPS root
// (no CAP_SYS_PTRACE) cannot open its /proc/PID/exe (CVE-2019-5736); the
// intermediate, the only other copy, is never in the VPS's pid namespace.
#define _GNU_SOURCE
#include "vzshim.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define CLOSE_RANGE_CLOEXEC_FLAG (1U << 2)
#define DEVPTS_MAGIC 0x1cd1

extern char **environ;

struct msg { int kind, value, err; };
enum { MSG_PID = 1, MSG_ERR = 2 };
typedef union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } cmsgbuf;

static void send_msg(int sock, int kind, int value, int err, int fd)
{
    struct msg m = { kind, value, err };
    struct iovec iov = { &m, sizeof(m) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    cmsgbuf u;
    if (fd >= 0) {
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

static void fail(int sock, int stage, int err)
{
    send_msg(sock, MSG_ERR, stage, err, -1);
    _exit(127);
}
#define CHECK(cond, stage) do { if (!(cond)) fail(sock, stage, errno); } while (0)

static void payload(const struct vz_enter_args *a, int sock, int master, int joined)
{
    if (a->cgroup_dir >= 0 && !joined) {   // a kernel without CLONE_INTO_CGROUP
        int procs = openat(a->cgroup_dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        CHECK(procs >= 0 && write(procs, "0", 1) == 1, VZ_ENTER_CGROUP);
    }
    // Only now: a cgroup namespace rooted at the VPS's cgroup could hide
    // our source cgroup from the move above (nsdelegate).
    CHECK(!(a->nsflags & CLONE_NEWCGROUP) || setns(a->pidfd, CLONE_NEWCGROUP) == 0, VZ_ENTER_SETNS);
    CHECK(setsid() >= 0, VZ_ENTER_TTY);
    if (master >= 0) {
        int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        CHECK(slave >= 0 && ioctl(slave, TIOCSCTTY, 0) == 0, VZ_ENTER_TTY);
        for (int i = 0; i < 3; i++) CHECK(dup2(slave, i) == i, VZ_ENTER_TTY);
    } else if (a->stdin_fd >= 0) {
        CHECK(dup2(a->stdin_fd, 0) == 0, VZ_ENTER_TTY);
    }
    CHECK(chdir("/") == 0, VZ_ENTER_CHDIR);
    for (int i = 0; i < a->rlimit_count; i++) CHECK(setrlimit(a->rlimit_res[i], &a->rlimits[i]) == 0, VZ_ENTER_RLIMIT);
    // Bounding set first: dropping needs CAP_SETPCAP, which capset may remove.
    CHECK(setgroups(0, NULL) == 0, VZ_ENTER_CAPS);
    vz_join_session_keyring();   // not the admin's session keyring
    for (int c = 0; c < 64; c++)
        if (!((a->cap_bnd >> c) & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
            fail(sock, VZ_ENTER_CAPS, errno);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = {
        { (uint32_t)a->cap_eff, (uint32_t)a->cap_prm, (uint32_t)a->cap_inh },
        { (uint32_t)(a->cap_eff >> 32), (uint32_t)(a->cap_prm >> 32), (uint32_t)(a->cap_inh >> 32) },
    };
    CHECK(syscall(SYS_capset, &h, d) == 0, VZ_ENTER_CAPS);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    // vzctl ignores SIGPIPE and blocks what it relays; ignored dispositions
    // and the mask survive execve, so reset both. The raw call also reaches
    // 32 and 33, which glibc's sigaction() refuses to touch.
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, 0, 0 };
    for (int s = 1; s < NSIG; s++) syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(uint64_t));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    CHECK(syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC_FLAG) == 0, VZ_ENTER_EXEC);
    environ = (char **)a->envp;   // execvp searches this PATH, not the host's
    char **argv = (char **)a->argv;
    if (!a->paths) {
        execvp(argv[0], argv);
        fail(sock, VZ_ENTER_EXEC, errno);
    }
    char name[64];
    int err = ENOENT;
    for (const char *const *p = a->paths; *p; p++) {
        const char *base = strrchr(*p, '/');
        name[0] = '-';
        strncpy(name + 1, base ? base + 1 : *p, sizeof(name) - 2);
        name[sizeof(name) - 1] = 0;
        argv[0] = a->login ? name : name + 1;   // busybox picks its applet by argv[0]
        execve(*p, argv, environ);
        err = errno;
    }
    fail(sock, VZ_ENTER_EXEC, err);
}

static void intermediate(const struct vz_enter_args *a, int sock)
{
    int master = -1;
    CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, VZ_ENTER_CGROUP);
    // One thread: "0" to v1 tasks moves the process without the RCU wait
    // of cgroup.procs (ContainerCgroup.openJoinFiles); the payload inherits.
    for (int i = 0; i < a->cgroup_count; i++)
        CHECK(write(a->cgroup_fds[i], "0", 1) == 1, VZ_ENTER_CGROUP);
    CHECK(setns(a->pidfd, a->nsflags & ~CLONE_NEWCGROUP) == 0, VZ_ENTER_SETNS);
    if (a->tty) {
        struct statfs sf;
        int unlock = 0;
        struct winsize ws = { a->rows, a->cols, 0, 0 };
        // The VPS's own devpts: only a devpts master is accepted, whatever
        // VPS root has put at that path.
        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
        CHECK(master >= 0 && fstatfs(master, &sf) == 0, VZ_ENTER_PTY);
        if (sf.f_type != DEVPTS_MAGIC) fail(sock, VZ_ENTER_PTY, ENOTTY);
        CHECK(ioctl(master, TIOCSPTLCK, &unlock) == 0, VZ_ENTER_PTY);
        CHECK(a->rows == 0 || ioctl(master, TIOCSWINSZ, &ws) == 0, VZ_ENTER_PTY);
    }
    int joined = 0;
    pid_t pid = vz_clone_into(CLONE_PARENT, a->cgroup_dir, &joined);
    if (pid == 0) payload(a, sock, master, joined);
    CHECK(pid > 0, VZ_ENTER_FORK);
    send_msg(sock, MSG_PID, pid, 0, master);
    _exit(0);
}

int vz_enter(const struct vz_enter_args *a, struct vz_enter_result *r)
{
    int sv[2], status = 0;
    r->pid = -1, r->master = -1, r->stage = 0, r->err = 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        r->stage = VZ_ENTER_FORK, r->err = errno;
        return -1;
    }
    pid_t child = fork();
    if (child == 0) {
        close(sv[0]);
        intermediate(a, sv[1]);
    }
    int e = errno;
    close(sv[1]);
    if (child < 0) {
        close(sv[0]);
        r->stage = VZ_ENTER_FORK, r->err = e;
        return -1;
    }
    for (;;) {
        struct msg m;
        struct iovec iov = { &m, sizeof(m) };
        cmsgbuf u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        ssize_t n = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < (ssize_t)sizeof(m)) break;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&r->master, CMSG_DATA(c), sizeof(int));
        if (m.kind == MSG_PID) r->pid = m.value;
        else if (m.kind == MSG_ERR && !r->stage) r->stage = m.value, r->err = m.err;
    }
    close(sv[0]);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (!r->stage && r->pid <= 0) r->stage = VZ_ENTER_FORK, r->err = ECHILD;
    return r->stage ? -1 : 0;
}

int vz_signalfd(const sigset_t *mask) { return signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK); }

int vz_get_winsize(int fd, unsigned short *rows, unsigned short *cols)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row, *cols = ws.ws_col;
    return 0;
}

int vz_set_winsize(int fd, unsigned short rows, unsigned short cols)
{
    struct winsize ws = { rows, cols, 0, 0 };
    return ioctl(fd, TIOCSWINSZ, &ws);
}
