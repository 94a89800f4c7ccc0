#!/bin/sh
# crun-v1.sh CMD...: runs CMD where crun 1.8.1 accepts this host.
#
# On a hybrid cgroup host (v1 controllers under a tmpfs /sys/fs/cgroup plus
# a cgroup2 mount at /sys/fs/cgroup/unified), crun 1.8.1's create and run
# refuse with "cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2", even with --cgroup-manager=disabled. The workaround of
# peer-benchmarks.md §3: a private mount namespace in which
# /sys/fs/cgroup/unified is unmounted, so crun sees pure v1 and uses
# cgroupfs. The host's own mounts are untouched. Costs one unshare per call:
# time whole loops inside one call. Elsewhere CMD runs as it is.
set -e
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] && mountpoint -q /sys/fs/cgroup/unified; then
	exec unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' crun-v1 "$@"
fi
exec "$@"
