/*
 * The init stage: what the monitor's child does as PID 1 of the new PID
 * namespace, between "go" and the execve of the VPS's own init.
 *
 * Why C, in the monitor, and not a `vzctl __init` re-exec: it runs once per
 * start on the critical path, and a Swift process costs a start an execve
 * of a 16 MB binary plus the runtime's start-up; this is a function call in
 * a process that already exists. The policy stays in vzctl: root, hostname,
 * capability mask and options arrive as argv (StartProtocol.InitArguments);
 * this file only carries them out, in the order of the security guide §5.
 *
 * Single-threaded: the monitor has one thread, and so does its clone.
 * It never logs: a failure goes as "CODE message" on fd 5 (vzctl's exit
 * code first), which is CLOEXEC at the final execve, so vzctl reads EOF
 * exactly when init runs. Until then the only process of the PID namespace
 * is this copy of vzmonitor, which no VPS code can reach.
 *
 * Every target inside the VPS tree is opened with openat2 confined beneath
 * an fd (RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS) and mounted through
 * /proc/self/fd/N, so a symlink in the image (`/dev -> /host/dir`, `/proc
 * -> ...`, `/dev/null -> /proc/sys/kernel/core_pattern`) is never followed.
 * A top-level mount point that is a symlink is replaced by an empty
 * directory in the VPS's own tree (its files, its choice); anything else
 * that is not a directory refuses the start. /dev is a fresh tmpfs, so
 * whatever the image has under /dev is hidden, symlinks included.
 */
#define _GNU_SOURCE
#include "initstage.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* vzctl's exit codes (ExitCode.swift). */
enum { E_SETUBC = 1, E_SYSTEM = 3, E_SETCAP = 13, E_BADTMPL = 47, E_MOUNT = 50, E_HOSTNAME = 70, E_DEVICES = 86 };

static int error_fd = -1;

/* Reports "CODE message[: path][: strerror]" and ends the stage. */
static void __attribute__((noreturn, format(printf, 3, 4))) fail(int code, int err, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%d ", code);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    if (err && n < (int)sizeof(msg))
        n += snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
    if (n >= (int)sizeof(msg) - 1)
        n = (int)sizeof(msg) - 2;
    msg[n++] = '\n';
    ssize_t w = write(error_fd, msg, (size_t)n);
    (void)w;
    _exit(1);
}

#define TRY(call, code, ...) do { if ((call) < 0) fail(code, errno, __VA_ARGS__); } while (0)

static char *fd_path(int fd, char buf[32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

/* `name` beneath `dir`, never through a symlink; -1 when it does not exist. */
static int open_beneath(int dir, const char *name, int directory)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW | (directory ? O_DIRECTORY : 0),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dir, name, &how, sizeof(how));
    if (fd < 0 && errno != ENOENT)
        fail(E_MOUNT, errno, "Unsafe mount point in the container: /%s", name);
    return fd;
}

static int must_open(int dir, const char *name, int directory)
{
    int fd = open_beneath(dir, name, directory);
    if (fd < 0)
        fail(E_MOUNT, 0, "Mount point vanished: /%s", name);
    return fd;
}

/* A top-level directory of the VPS (`dev`, `proc`, `sys`), created when
 * missing and replacing a symlink; refuses anything else. */
static int directory(int dir, const char *name, mode_t mode)
{
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        TRY(unlinkat(dir, name, 0), E_MOUNT, "Unable to replace the symlink: /%s", name);
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        TRY(mkdirat(dir, name, mode), E_MOUNT, "Unable to create the mount point: /%s", name);
    return must_open(dir, name, 1);
}

static void mount_on(const char *source, int target, const char *type, unsigned long flags, const char *data,
                     const char *what)
{
    char t[32];
    TRY(mount(source, fd_path(target, t), type, flags, data), E_MOUNT, "Unable to mount %s", what);
}

static void require_type(int fd, long magic, const char *what)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0 || (long)sf.f_type != magic)
        fail(E_MOUNT, 0, "%s is not the file system just mounted", what);
}

/* A read-only bind of a target onto itself. */
static void bind_read_only(int dir, const char *name, const char *what)
{
    char s[32];
    int t = open_beneath(dir, name, 0);
    if (t < 0)
        return;
    mount_on(fd_path(t, s), t, NULL, MS_BIND | MS_REC, NULL, what);
    close(t);
    if ((t = open_beneath(dir, name, 0)) < 0)
        return;
    mount_on(NULL, t, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, what);
    close(t);
}

static void empty_read_only(int dir, const char *name, const char *what)
{
    int t = open_beneath(dir, name, 1);
    if (t < 0)
        return;
    mount_on("tmpfs", t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555", what);
    close(t);
}

/* /proc, then its masks. A mask that cannot be applied aborts the start
 * (systemd PR #40833: silently skipped masks). sysrq-trigger is read-only
 * rather than /dev/null: a write must fail, not vanish (a VPS must see
 * that it cannot reboot the host). */
static void mount_proc(int root, int null)
{
    static const char *masks[] = { "kcore", "keys", "timer_list", "sched_debug", "latency_stats", "kallsyms", NULL };
    static const char *empty[] = { "acpi", "scsi", NULL };
    static const char *read_only[] = { "sys", "bus", "fs", "irq", "sysrq-trigger", NULL };
    char s[32], what[64];
    int dir = directory(root, "proc", 0555);
    mount_on("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/proc");
    close(dir);
    int proc = must_open(root, "proc", 1);
    require_type(proc, PROC_SUPER_MAGIC, "/proc");
    for (const char **m = masks; *m; m++) {
        int t = open_beneath(proc, *m, 0);
        if (t < 0)
            continue;
        snprintf(what, sizeof(what), "a mask over /proc/%s", *m);
        mount_on(fd_path(null, s), t, NULL, MS_BIND, NULL, what);
        close(t);
    }
    for (const char **m = empty; *m; m++) {
        snprintf(what, sizeof(what), "a mask over /proc/%s", *m);
        empty_read_only(proc, *m, what);
    }
    for (const char **m = read_only; *m; m++) {
        snprintf(what, sizeof(what), "/proc/%s", *m);
        bind_read_only(proc, *m, what);
    }
    close(proc);
}

static void mount_sys(int root)
{
    int dir = directory(root, "sys", 0555);
    mount_on("sysfs", dir, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/sys");
    close(dir);
    int sys = must_open(root, "sys", 1);
    require_type(sys, SYSFS_MAGIC, "/sys");
    empty_read_only(sys, "firmware", "a mask over /sys/firmware");
    empty_read_only(sys, "devices/virtual/powercap", "a mask over /sys/devices/virtual/powercap");
    close(sys);
}

/* The console pty slave as seen through *our* copy of the host's devpts
 * mount: fd 0 was opened by the monitor in the host's mount namespace,
 * and a bind from another namespace's mount is EINVAL. The path is the
 * host's (we have not pivoted), checked by device number. -1: no console. */
static int console_slave(void)
{
    char path[64];
    ssize_t n = readlink("/proc/self/fd/0", path, sizeof(path) - 1);
    struct stat want, got;
    if (n <= 0 || !isatty(0) || fstat(0, &want) != 0)
        return -1;
    path[n] = 0;
    if (strncmp(path, "/dev/pts/", 9) != 0)
        return -1;
    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &got) != 0 || !S_ISCHR(got.st_mode) || got.st_rdev != want.st_rdev)
        fail(E_MOUNT, 0, "The console pty is not what the monitor opened: %s", path);
    return fd;
}

/* The nodes of DEVNODES (those that grant access), with their parent
 * directories; every directory opened beneath /dev with no symlink
 * followed, an existing entry left as it is. */
static void make_devnodes(int dev, const struct init_args *a)
{
    for (int i = 0; i < a->ndevnodes; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s", a->devnodes[i].name);
        int dir = dup(dev);
        char *part = name, *slash;
        while ((slash = strchr(part, '/')) != NULL) {
            *slash = 0;
            if (mkdirat(dir, part, 0755) != 0 && errno != EEXIST)
                fail(E_DEVICES, errno, "Unable to create /dev/%s", a->devnodes[i].name);
            struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                                    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
            int next = (int)syscall(SYS_openat2, dir, part, &how, sizeof(how));
            TRY(next, E_DEVICES, "Unable to create /dev/%s", a->devnodes[i].name);
            close(dir);
            dir = next;
            part = slash + 1;
        }
        if (mknodat(dir, part, a->devnodes[i].type_mode, makedev(a->devnodes[i].major, a->devnodes[i].minor)) != 0 &&
            errno != EEXIST)
            fail(E_DEVICES, errno, "Unable to create /dev/%s", a->devnodes[i].name);
        close(dir);
    }
}

/* /dev: a fresh tmpfs with the usual nodes only, devpts newinstance, shm,
 * mqueue, and the console pty (fd 0) bound on /dev/console. */
static void mount_dev(int root, const struct init_args *a)
{
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
    };
    static const char *links[][2] = {
        { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
    };
    char s[32], opts[96];
    int dir = directory(root, "dev", 0755);
    mount_on("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k", "/dev");
    close(dir);
    int dev = must_open(root, "dev", 1);
    require_type(dev, TMPFS_MAGIC, "/dev");
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
        TRY(mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)), E_MOUNT,
            "Unable to create /dev/%s", nodes[i].name);
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        TRY(symlinkat(links[i][1], dev, links[i][0]), E_MOUNT, "Unable to create /dev/%s", links[i][0]);
    int pts = directory(dev, "pts", 0755);
    snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620,gid=5%s%s", a->pty_max ? ",max=" : "",
             a->pty_max ? a->pty_max : "");
    mount_on("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, opts, "/dev/pts");
    close(pts);
    int shm = directory(dev, "shm", 01777);
    mount_on("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", "/dev/shm");
    close(shm);
    make_devnodes(dev, a);
    int mq = directory(dev, "mqueue", 0755);
    mount_on("mqueue", mq, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/dev/mqueue");
    close(mq);

    /* /dev/console: a file of ours in our tmpfs, the pty slave bound on it. */
    int c = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    TRY(c, E_MOUNT, "Unable to create /dev/console");
    close(c);
    int slave = console_slave();
    if (slave >= 0) {
        int console = must_open(dev, "console", 0);
        mount_on(fd_path(slave, s), console, NULL, MS_BIND, NULL, "/dev/console");
        close(console);
        close(slave);
    }
    close(dev);
}

/* /run as a tmpfs when the image has it as a plain directory. */
static void mount_run(int root)
{
    struct stat st;
    if (fstatat(root, "run", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
        return;
    int run = open_beneath(root, "run", 1);
    if (run < 0)
        return;
    mount_on("run", run, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", "/run");
    close(run);
}

/* The loopback of the new network namespace starts down; a VPS's root has
 * no NET_ADMIN by default, and OpenVZ brought it up too. */
static void loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        fail(E_SYSTEM, errno, "Unable to set up the loopback interface");
    ifr.ifr_flags |= IFF_UP;
    TRY(ioctl(s, SIOCSIFFLAGS, &ifr), E_SYSTEM, "Unable to set up the loopback interface");
    close(s);
}

/* The bounding set first (dropping needs CAP_SETPCAP, which the new
 * permitted set may not have), then exactly `mask` as permitted and
 * effective, nothing inheritable or ambient. After execve, root's sets
 * become the bounding set. No NO_NEW_PRIVS: setuid programs (su, ping)
 * must keep working inside. */
static void drop_capabilities(uint64_t mask)
{
    int last = (int)cap_max_bits() - 1;
    for (int c = 0; c <= last; c++)
        if (!(mask >> c & 1) && cap_drop_bound((cap_value_t)c) != 0 && errno != EINVAL)
            fail(E_SETCAP, errno, "Unable to drop capability %d from the bounding set", c);
    cap_t caps = cap_init();
    if (caps == NULL)
        fail(E_SETCAP, errno, "cap_init");
    cap_value_t values[64];
    int n = 0;
    for (int c = 0; c <= last && c < 64; c++)
        if (mask >> c & 1)
            values[n++] = (cap_value_t)c;
    if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, values, CAP_SET) != 0 ||
                  cap_set_flag(caps, CAP_EFFECTIVE, n, values, CAP_SET) != 0))
        fail(E_SETCAP, errno, "cap_set_flag");
    if (cap_set_proc(caps) != 0)
        fail(E_SETCAP, errno, "Unable to set capabilities");
    cap_free(caps);
    cap_reset_ambient();
}

void init_stage(const struct init_args *a, int go_fd, int err_fd)
{
    error_fd = err_fd;
    /* Wait for "go": vzctl has written the state. EOF means vzctl died:
     * leave without touching anything. */
    char byte = 0;
    ssize_t r;
    while ((r = read(go_fd, &byte, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1 || byte != 'g')
        _exit(1);
    close(go_fd);

    umask(0);
    /* Made here, after we were born into the VPS's cgroups, so its root is
     * the VPS's cgroup and not the monitor's. */
    if (a->cgroup_namespace)
        TRY(unshare(CLONE_NEWCGROUP), E_SYSTEM, "Unable to create the cgroup namespace");
    /* Nothing we mount may propagate to the host, and host mounts under
     * VE_ROOT after this point do not reach the VPS. */
    TRY(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), E_MOUNT, "Unable to make / private");

    /* Host /dev/null, opened before anything else and verified char 1:3:
     * the source of every file mask (runc CVE-2025-31133). */
    struct stat st;
    int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (null < 0 || fstat(null, &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        fail(E_MOUNT, 0, "/dev/null on the host is not the null device");

    TRY(mount(a->root, a->root, NULL, MS_BIND | MS_REC, NULL), E_MOUNT, "Unable to bind the container root: %s", a->root);
    int root = open(a->root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    TRY(root, E_MOUNT, "Unable to open the container root: %s", a->root);
    mount_proc(root, null);
    mount_sys(root);
    mount_dev(root, a);
    mount_run(root);

    if (a->hostname[0])
        TRY(sethostname(a->hostname, strlen(a->hostname)), E_HOSTNAME, "Unable to set the hostname");
    loopback_up();

    /* pivot_root(".", "."): the old root is stacked under the new one and
     * detached at once; nothing of the host stays reachable. */
    TRY(fchdir(root), E_MOUNT, "Unable to enter the container root");
    TRY(syscall(SYS_pivot_root, ".", "."), E_MOUNT, "pivot_root");
    TRY(umount2(".", MNT_DETACH), E_MOUNT, "Unable to detach the old root");
    TRY(chdir("/"), E_MOUNT, "chdir /");

    /* No fd of ours survives into init but 0-2 (the console) and the error
     * fd, which closes itself at execve. */
    syscall(SYS_close_range, 3, (unsigned)err_fd - 1, 0);
    syscall(SYS_close_range, (unsigned)err_fd + 1, ~0U, 0);
    fcntl(err_fd, F_SETFD, FD_CLOEXEC);

    /* The VPS must not share the admin's session keyring (keyctl(2) reaches
     * it even with /proc/keys masked); KEYCTL_JOIN_SESSION_KEYRING = 1. */
    syscall(SYS_keyctl, 1, NULL);
    /* The process limits last, so none of the work above is bound by them;
     * root with every capability still, so hard limits may also go up. */
    for (int i = 0; i < a->nrlimits; i++)
        TRY(setrlimit(a->rlimits[i].resource, &a->rlimits[i].value), E_SETUBC, "Unable to set resource limit %d",
            a->rlimits[i].resource);
    drop_capabilities(a->capabilities);
    umask(022);

    /* vzctl 4.x's argv: `-z` plus blanks that init may overwrite with its
     * status for ps; sysvinit accepts -z for this, busybox ignores it. */
    char *env[] = { "container=vzctl", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=linux", "HOME=/", NULL };
    if (a->bare) {
        /* `runscript` on a stopped VPS (4.x's bare CT): none of the VPS's
         * services start; an idle shell holds the namespaces while vzctl
         * runs the script through exec, then `stop --fast` ends it. */
        char *sh[] = { "sh", "-c", "while :; do sleep 3600 & wait $!; done", NULL };
        execve("/bin/sh", sh, env);
        fail(E_BADTMPL, errno, "Unable to start /bin/sh for the script");
    }
    char *argv[] = { "init", "-z", "      ", NULL };
    static const char *paths[] = { "/sbin/init", "/etc/init", "/bin/init" };
    int last = ENOENT;
    for (size_t i = 0; i < 3; i++) {
        execve(paths[i], argv, env);
        if (errno != ENOENT && errno != ENOTDIR)
            last = errno;
    }
    fail(E_BADTMPL, last == ENOENT ? 0 : last, "Unable to start init, probably incorrect template");
}

static int parse_limit_value(const char *s, rlim_t *out)
{
    char *end;
    if (strcmp(s, "inf") == 0)
        return *out = RLIM_INFINITY, 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = (rlim_t)v;
    return 0;
}

/* One InitLimits token (see initstage.h); tokens are edited in place. */
static int parse_limit(char *t, struct init_args *a)
{
    char *f[6];
    int n = 0;
    if (strncmp(t, "pty=", 4) == 0) {
        a->pty_max = t + 4;
        /* A mount option: digits only, nothing that could add another. */
        return *a->pty_max && strspn(a->pty_max, "0123456789") == strlen(a->pty_max) ? 0 : -1;
    }
    int is_rlimit = strncmp(t, "rlimit=", 7) == 0, is_dev = strncmp(t, "dev=", 4) == 0;
    if (!is_rlimit && !is_dev)
        return -1;
    char *p = strchr(t, '=') + 1;
    /* The device name is the last field and may itself hold no ':'. */
    while (n < (is_rlimit ? 3 : 6)) {
        f[n++] = p;
        char *c = strchr(p, ':');
        if (c == NULL)
            break;
        *c = 0;
        p = c + 1;
    }
    if (is_rlimit) {
        if (n != 3 || a->nrlimits == INIT_MAX_RLIMITS)
            return -1;
        a->rlimits[a->nrlimits].resource = atoi(f[0]);
        if (parse_limit_value(f[1], &a->rlimits[a->nrlimits].value.rlim_cur) != 0 ||
            parse_limit_value(f[2], &a->rlimits[a->nrlimits].value.rlim_max) != 0)
            return -1;
        a->nrlimits++;
        return 0;
    }
    if (n != 6 || a->ndevnodes == INIT_MAX_DEVNODES || (strcmp(f[0], "c") != 0 && strcmp(f[0], "b") != 0) || !*f[5] ||
        f[5][0] == '/')
        return -1;
    /* Access without r or w (only q, quota) grants nothing: no node. */
    if (strpbrk(f[4], "rw") == NULL)
        return 0;
    mode_t perm = (mode_t)strtoul(f[3], NULL, 8) & 07777;
    a->devnodes[a->ndevnodes].type_mode = (f[0][0] == 'b' ? S_IFBLK : S_IFCHR) | perm;
    a->devnodes[a->ndevnodes].major = (unsigned)strtoul(f[1], NULL, 10);
    a->devnodes[a->ndevnodes].minor = (unsigned)strtoul(f[2], NULL, 10);
    a->devnodes[a->ndevnodes].name = f[5];
    a->ndevnodes++;
    return 0;
}

int init_args_parse(char **argv, struct init_args *a)
{
    int n = 0;
    while (argv[n])
        n++;
    if (n != 6 || (strcmp(argv[5], "init") != 0 && strcmp(argv[5], "bare") != 0))
        return -1;
    char *end, *save = NULL;
    memset(a, 0, sizeof(*a));
    a->root = argv[0];
    a->hostname = strcmp(argv[1], "-") == 0 ? "" : argv[1];
    a->capabilities = strtoull(argv[2], &end, 16);
    if (*argv[2] == 0 || *end)
        return -1;
    a->cgroup_namespace = strcmp(argv[3], "1") == 0;
    if (strcmp(argv[4], "-") != 0)
        for (char *t = strtok_r(argv[4], " ", &save); t; t = strtok_r(NULL, " ", &save))
            if (parse_limit(t, a) != 0)
                return -1;
    a->bare = strcmp(argv[5], "bare") == 0;
    return 0;
}
