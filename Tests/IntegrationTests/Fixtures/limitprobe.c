// Probes a VPS's limits from inside (IntegrationTests/LimitsTests.swift),
// built static and copied into the VPS, run with `vzctl exec`:
//   limitprobe fds        open /dev/null until refused, then try to raise
//                         RLIMIT_NOFILE's hard limit (of itself and of PID 1)
//   limitprobe forks N    fork children that wait, until N or refused;
//                         report, then end them
//   limitprobe mem MB     allocate and touch MB MiB, 1 MiB at a time
//   limitprobe ptys N     open up to N pseudo-terminals
// One line per result on stdout: "<what> <count> <errno name or ok>".
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *name(int e)
{
    switch (e) {
    case 0: return "ok";
    case EAGAIN: return "EAGAIN";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EPERM: return "EPERM";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    default: return strerror(e);
    }
}

static int fds(void)
{
    int n = 0;
    while (open("/dev/null", O_RDONLY) >= 0) n++;
    printf("fds %d %s\n", n, name(errno));
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    struct rlimit up = { r.rlim_max + 100, r.rlim_max + 100 };
    printf("raise-self %lu %s\n", (unsigned long)up.rlim_max, name(setrlimit(RLIMIT_NOFILE, &up) == 0 ? 0 : errno));
    printf("raise-init %lu %s\n", (unsigned long)up.rlim_max, name(prlimit(1, RLIMIT_NOFILE, &up, NULL) == 0 ? 0 : errno));
    return 0;
}

static int forks(int max)
{
    pid_t *kids = calloc((size_t)max, sizeof(pid_t));
    int n = 0, err = 0;
    while (n < max) {
        pid_t p = fork();
        if (p == 0) { for (;;) pause(); }
        if (p < 0) { err = errno; break; }
        kids[n++] = p;
    }
    printf("forks %d %s\n", n, name(err));
    fflush(stdout);
    for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
    return 0;
}

static int mem(int mb)
{
    for (int i = 1; i <= mb; i++) {
        char *p = malloc(1 << 20);
        if (!p) { printf("mem %d ENOMEM\n", i - 1); return 1; }
        memset(p, i, 1 << 20);
        if (i % 16 == 0) { printf("mem %d\n", i); fflush(stdout); }
    }
    printf("mem %d ok\n", mb);
    return 0;
}

static int ptys(int max)
{
    int n = 0, err = 0;
    while (n < max) {
        if (open("/dev/ptmx", O_RDWR | O_NOCTTY) < 0) { err = errno; break; }
        n++;
    }
    printf("ptys %d %s\n", n, name(err));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "fds") == 0) return fds();
    if (argc >= 3 && strcmp(argv[1], "forks") == 0) return forks(atoi(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "mem") == 0) return mem(atoi(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "ptys") == 0) return ptys(atoi(argv[2]));
    fprintf(stderr, "usage: limitprobe fds | forks N | mem MB | ptys N\n");
    return 2;
}
