/* The init stage (initstage.c), run by the monitor's child: PID 1 of the
 * new PID namespace until it execs the VPS's init. */
#ifndef VZMONITOR_INITSTAGE_H
#define VZMONITOR_INITSTAGE_H
#include <stdint.h>

/* StartProtocol.InitArguments, as argv: ROOT HOSTNAME|- CAPMASK(hex)
 * CGROUPNS(0|1) LIMITS INIT(init|bare). LIMITS is InitLimits.encoded:
 * `-` or blank-separated `pty=N`, `rlimit=RES:SOFT:HARD` (inf for
 * unlimited), `dev=c|b:MAJOR:MINOR:MODE(octal):ACCESS:NAME`. */
#include <sys/resource.h>
#include <sys/types.h>

enum { INIT_MAX_RLIMITS = 16, INIT_MAX_DEVNODES = 64 };
struct init_args {
    const char *root;
    const char *hostname;       /* "" for none */
    uint64_t capabilities;      /* the VPS init's bounding/permitted/effective set */
    int cgroup_namespace;
    const char *pty_max;        /* devpts max= (NUMPTY), NULL for none */
    struct { int resource; struct rlimit value; } rlimits[INIT_MAX_RLIMITS];
    int nrlimits;               /* NUMFILE, LOCKEDPAGES, NUMSIGINFO: set last */
    struct { mode_t type_mode; unsigned major, minor; const char *name; } devnodes[INIT_MAX_DEVNODES];
    int ndevnodes;              /* DEVNODES that grant access, made in /dev */
    int bare;                   /* an idle /bin/sh instead of the VPS's init */
};

/* 0, or -1 when argv is not exactly that. */
int init_args_parse(char **argv, struct init_args *a);

/* Waits for "go" on go_fd, sets up the VPS and execs its init; never
 * returns (failures go as "CODE message" on err_fd, then _exit). */
void init_stage(const struct init_args *a, int go_fd, int err_fd) __attribute__((noreturn));
#endif
