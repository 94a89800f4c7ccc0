/*
 * vzmonitor: the per-VPS parent of the VPS's init. Mechanism only.
 *
 * Why a monitor per VPS (LXC's model) and not a node-wide event daemon
 * (OpenVZ's vzeventd): on a stock kernel the only place that learns how a
 * VPS's init ended is its parent. reboot(2) inside a child PID namespace
 * kills that namespace's init, and the parent's wait status says SIGHUP for
 * a restart and SIGINT for power-off/halt (pid_namespaces(7)). A node-wide
 * daemon would have to be the parent of every init (a subreaper that never
 * dies, a single point of failure, and state to rebuild after its own
 * restart); one small process per VPS fails alone and needs no state.
 *
 * Why C and not Swift: it lives as long as the VPS. A Swift process costs
 * about 2 MB PSS even linked statically; this, static too, costs about
 * 55 KiB (100 monitors share its pages), and nothing in CPU at rest (it
 * sleeps in poll(2)).
 *
 * Usage (built by vzctl, never typed by an admin):
 *   vzmonitor CLONE_FLAGS LOG_CAP UNIFIED NTASKS LOCK STATE CONSOLE -- INIT_ARGS... -- REAP_ARGV...
 * File descriptors on entry (StartProtocol.swift has the whole handshake):
 *   0-2 /dev/null
 *   3   report pipe: we write "<child pid>\n" (or "error <errno>\n"), close
 *   4   "go" pipe, read end: for the child only
 *   5   error pipe, write end: for the child only
 *   6   console log (O_APPEND): what the VPS writes on its console
 *   7   if UNIFIED is 1: the VPS's cgroup directory on the unified hierarchy
 *   8.. NTASKS v1 `tasks` files of the VPS's cgroups, opened for writing
 * The child is born into the VPS's cgroups: clone3(CLONE_INTO_CGROUP) on
 * 7, then it writes "0" to each `tasks` before anything else (why not
 * cgroup.procs: ContainerCgroup.openJoinFiles). The child (PID 1 of the new
 * PID namespace) gets the console pty's slave as 0-2 and keeps 4 and 5; it
 * runs the init stage (initstage.c) with INIT_ARGS. The console's output
 * goes to the log and, through the socket CONSOLE, to an attached
 * `vzctl console` (console.c). When it ends, we take the CT lock (LOCK, as vzctl's
 * ContainerLock does), and if the state file (STATE) no longer names us, a
 * `vzctl stop` has already cleaned up and we just exit: most ends of a VPS
 * are stops, and this spares each one a vzctl process. Otherwise we exec
 * REAP_ARGV with the raw wait status appended, so no monitor process is
 * left behind and the policy (restart or clean up) stays in vzctl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "console.h"
#include "initstage.h"
#include "vzshim.h"

enum { FD_REPORT = 3, FD_GO = 4, FD_ERROR = 5, FD_LOG = 6, FD_CGROUP = 7, FD_TASKS = 8 };

/* The child's failure before exec, in the init stage's "CODE message"
 * form (vzctl reads it after its "go"); 3 is VZ_SYSTEM_ERROR. */
static void child_fail(const char *what, int err)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "3 %s: errno %d\n", what, err);
    ssize_t w = write(FD_ERROR, msg, (size_t)n);
    (void)w;
    _exit(127);
}

/* The CT lock, the way ContainerLock.acquire takes it: flock on LOCK, and
 * the file must still be the one at that path (a holder unlinks it when it
 * lets go, and we may have opened it just before). -1 on failure. */
static int lock_container(const char *path)
{
    for (int i = 0; i < 100; i++) {
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        struct stat held, now;
        while (flock(fd, LOCK_EX) != 0)
            if (errno != EINTR) {
                close(fd);
                return -1;
            }
        if (fstat(fd, &held) == 0 && lstat(path, &now) == 0 && held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
            char pid[16];
            int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
            if (ftruncate(fd, 0) == 0 && write(fd, pid, (size_t)n) != n) { /* the pid is only for messages */ }
            return fd;
        }
        close(fd);
    }
    return -1;
}

/* Whether STATE still names this process as the VPS's monitor. Only a
 * hint: `__reap` checks start time and boot id before it acts. */
static int state_names_me(const char *path)
{
    char buf[512];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char want[40];
    snprintf(want, sizeof(want), "\nMONITOR_PID=%d\n", (int)getpid());
    return strstr(buf, want) != NULL;
}

static void report(const char *s)
{
    ssize_t n = write(FD_REPORT, s, strlen(s));
    (void)n;
}

/* Appends console output to the log. The cap: when the log would grow past
 * `cap` bytes it is truncated and starts again, so the file never exceeds
 * the cap plus one read (4 KiB) and the latest output is always there. */
static void relay(int master, unsigned long long cap, int *client)
{
    char buf[4096];
    ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0)
        return;
    console_to_client(client, buf, (size_t)n);
    struct stat st;
    if (cap > 0 && fstat(FD_LOG, &st) == 0 && (unsigned long long)st.st_size + (unsigned long long)n > cap)
        if (ftruncate(FD_LOG, 0) != 0) { /* keep appending; nothing better to do */ }
    ssize_t w = write(FD_LOG, buf, (size_t)n);
    (void)w;
}

int main(int argc, char **argv)
{
    if (argc < 11 || strcmp(argv[8], "--") != 0)
        return 2;
    unsigned long flags = strtoul(argv[1], NULL, 0);
    unsigned long long cap = strtoull(argv[2], NULL, 0);
    int cgroup_fd = strcmp(argv[3], "1") == 0 ? FD_CGROUP : -1;
    int ntasks = atoi(argv[4]);
    const char *lock_path = argv[5], *state_path = argv[6], *console_path = argv[7];
    char **init_argv = &argv[9];
    char **reap_argv = NULL;
    for (int i = 9; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL;
            reap_argv = &argv[i + 1];
            break;
        }
    struct init_args init;
    if (reap_argv == NULL || reap_argv[0] == NULL || init_args_parse(init_argv, &init) != 0)
        return 2;

    /* Our own session: vzctl's terminal, process group and its signals
     * (Ctrl-C on the admin's shell) must not reach the VPS. */
    setsid();

    /* Signals: everything default, SIGCHLD taken through a signalfd. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < _NSIG; s++)
        sigaction(s, &dfl, NULL);
    /* A HUP or INT to the monitor (an admin's stray kill) must not end it:
     * the VPS would lose its cleanup. */
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &chld, NULL);

    /* The console: a pty on the host's devpts. The child binds its slave
     * onto the VPS's /dev/console and uses it as init's stdio, as the kernel
     * gives /dev/console to a real init; we copy the master into the log. */
    /* Non-blocking: input nobody in the VPS reads (an attached admin
     * pasting into a console no getty serves) must never stop this loop,
     * or the VPS's own console writes would block behind it. */
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    char slave_name[64];
    int slave = -1;
    if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 &&
        ptsname_r(master, slave_name, sizeof(slave_name)) == 0)
        slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "error %d console\n", errno);
        report(msg);
        return 1;
    }
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        t.c_oflag &= ~(tcflag_t)ONLCR; /* the log gets \n, not \r\n */
        tcsetattr(slave, TCSANOW, &t);
    }

    /* This process has one thread and the child does only raw system calls
     * before execve. */
    int joined;
    pid_t pid = vz_clone_into(flags, cgroup_fd, &joined);
    if (pid < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "error %d clone\n", errno);
        report(msg);
        return 1;
    }
    if (pid == 0) {
        /* Into the VPS's cgroups before anything runs that the VPS could
         * influence. One thread: "0" moves the whole process. */
        if (cgroup_fd >= 0 && !joined) {
            int procs = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
            if (procs < 0 || write(procs, "0", 1) != 1)
                child_fail("cannot join the unified cgroup", errno);
            close(procs);
        }
        for (int i = 0; i < ntasks; i++) {
            if (write(FD_TASKS + i, "0", 1) != 1)
                child_fail("cannot join a v1 cgroup", errno);
            close(FD_TASKS + i);
        }
        if (cgroup_fd >= 0)
            close(cgroup_fd);
        close(FD_REPORT);
        close(FD_LOG);
        close(master);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        close(slave);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        init_stage(&init, FD_GO, FD_ERROR);
    }
    close(FD_GO);
    close(FD_ERROR);
    if (cgroup_fd >= 0)
        close(cgroup_fd);
    for (int i = 0; i < ntasks; i++)
        close(FD_TASKS + i);
    {
        char msg[32];
        snprintf(msg, sizeof(msg), "%d\n", (int)pid);
        report(msg);
        close(FD_REPORT);
    }
    /* We keep the slave open: with no slave open the master reports POLLHUP
     * without end, and sysvinit opens and closes /dev/console per message. */

    int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
    int listener = console_listen(console_path), client = -1;
    int status = 0;
    for (;;) {
        struct pollfd p[4] = { { .fd = master, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
                               { .fd = listener, .events = POLLIN }, { .fd = client, .events = POLLIN } };
        if (sfd < 0 || poll(p, 4, -1) < 0) {
            if (sfd >= 0 && errno == EINTR)
                continue;
            /* Without signalfd or poll we can no longer relay, but __reap
             * must never run while init lives (it would tear the VPS
             * down): block in waitpid for the real end instead. */
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        if (p[0].revents & POLLIN)
            relay(master, cap, &client);
        if (p[2].revents & POLLIN)
            console_accept(listener, &client);
        if (client >= 0 && p[3].fd == client && p[3].revents)
            console_from_client(&client, master);
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            ssize_t r = read(sfd, &si, sizeof(si));
            (void)r;
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                break;
        }
    }
    /* What the VPS wrote last, then hand over to vzctl. */
    for (int i = 0; i < 64; i++) {
        struct pollfd p = { .fd = master, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
            break;
        relay(master, cap, &client);
    }

    /* The console ends with the init: detach the admin, remove the socket. */
    if (listener >= 0) {
        unlink(console_path);
        close(listener);
    }
    if (client >= 0)
        close(client);
    close(master);
    close(slave);
    close(sfd);
    close(FD_LOG);
    /* A stop holds the lock until it has cleaned up and removed the state
     * file; wait for it. Without the lock, let __reap sort it out. */
    int lock = lock_container(lock_path);
    if (lock >= 0) {
        int mine = state_names_me(state_path);
        unlink(lock_path);
        close(lock);
        if (!mine)
            return 0;
    }

    int n = 0;
    while (reap_argv[n])
        n++;
    char st[16];
    snprintf(st, sizeof(st), "%d", status);
    char **args = calloc((size_t)n + 2, sizeof(char *));
    if (args == NULL)
        return 1;
    for (int i = 0; i < n; i++)
        args[i] = reap_argv[i];
    args[n] = st;
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(args[0], args, environ);
    return 127;
}
