/* Test helper, copied into a VPS and run there after `nsenter -a`:
 * dropcaps MASK CMD ARGS... drops every capability outside the hex MASK
 * from the bounding set and execs CMD, which as uid 0 then holds exactly
 * MASK, like the VPS's own root (nsenter alone keeps the host's full set).
 * Static, so it needs nothing from the VPS's libraries. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    unsigned long long mask = strtoull(argv[1], NULL, 16);
    for (int c = 0; c < 64; c++)
        if (!(mask & (1ULL << c)))
            prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    execv(argv[2], &argv[2]);
    perror("execv");
    return 127;
}
