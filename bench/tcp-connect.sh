#!/usr/bin/env bash
# Start to first TCP connect (issue 5): how long after `vzctl start` is run
# a client on the host gets its first connection to a service inside.
#
#   bench/tcp-connect.sh [-n RUNS]
#
# A scratch node on a tmpfs (NEIGHBOUR_DEVS=none) with busybox VPS 9111,
# routed address 198.51.100.111, whose /etc/init.d/S50listen starts
# `nc -ll -p 80 -e echo hello` at boot (busybox init runs rcS, which runs
# S*). A Python client on the host takes the time, runs `vzctl start 9111`,
# and from that moment tries to connect to 198.51.100.111:80 through the
# VPS's host end venet9111 (SO_BINDTODEVICE: before vzctl has made it the
# attempt fails locally; nothing ever leaves by the default route), a try
# every 100 µs, until one succeeds and reads "hello". Reported per run: when `vzctl start`
# exited, and when the first connection was made, both from the fork of
# `vzctl start`. The VPS is stopped between runs (untimed).
# Raw rows: bench/results/tcp-connect-<time>.tsv (run, start_exit_s, first_connect_s).
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

runs=21
while getopts n: o; do
	case $o in
	n) runs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
need_release_build
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)
vz=$BIN/vzctl

W=/tmp/vzbench-tcp.$$
node=$W/node
vz_cg=

cleanup() {
	set +e
	VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast 9111 </dev/null >/dev/null 2>&1
	if [ -d "$node" ]; then
		reap_node_leftovers "$node"
		[ -z "$vz_cg" ] || drop_vz_node_cgroup "$vz_cg"
	fi
	drop_tmpfs "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bench_tmpfs "$W" 1G
make -s -C "$REPO" install-layout DESTDIR="$node" >/dev/null
cp "$tmpl" "$node/vz/template/cache/"
sed -i 's/^NEIGHBOUR_DEVS=.*/NEIGHBOUR_DEVS="none"/' "$node/etc/vz/vz.conf"
grep -qx 'NEIGHBOUR_DEVS="none"' "$node/etc/vz/vz.conf"
VZ_SYSROOT=$node "$vz" --quiet create 9111 --ostemplate "$tname" --ipadd 198.51.100.111 >/dev/null
printf '#!/bin/sh\nnc -ll -p 80 -e echo hello </dev/null >/dev/null 2>&1 &\n' >"$node/vz/private/9111/etc/init.d/S50listen"
chmod 755 "$node/vz/private/9111/etc/init.d/S50listen"

# Check once that the route leads into the VPS's pair before timing.
VZ_SYSROOT=$node "$vz" --quiet start 9111 </dev/null >"$W/start.out" 2>&1 || { cat "$W/start.out" >&2; exit 1; }
vz_cg=$(vz_node_cgroup "$(vz_init_pid "$node" 9111)") || true
dev=$(ip -o route get 198.51.100.111 | sed -n 's/.* dev \([^ ]*\).*/\1/p')
[ "$dev" = venet9111 ] || { echo "198.51.100.111 is routed through '$dev', not venet9111; not sending" >&2; exit 1; }
VZ_SYSROOT=$node "$vz" --quiet stop --fast 9111 </dev/null >/dev/null 2>&1

out="$RESULTS/tcp-connect-$(date +%Y%m%dT%H%M%S).tsv"
VZ_SYSROOT=$node python3 - "$vz" "$runs" "$out" <<'EOF'
import errno, os, socket, subprocess, sys, time
vz, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for run in range(runs + 1):
    t0 = time.monotonic()
    p = subprocess.Popen([vz, "--quiet", "start", "9111"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exited = None
    while True:
        if exited is None and p.poll() is not None:
            exited = time.monotonic() - t0
            if p.returncode != 0:
                sys.exit("vzctl start failed: %d" % p.returncode)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # Bound to the VPS's host end: until vzctl has made it, the
            # connect fails here (ENODEV) instead of leaving by the
            # default route, so no packet ever goes out of this machine.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"venet9111")
            s.settimeout(5)
            s.connect(("198.51.100.111", 80))
            data = s.recv(16)
            connected = time.monotonic() - t0
            s.close()
            if data.startswith(b"hello"):
                break
        except OSError as e:
            s.close()
            if time.monotonic() - t0 > 30:
                sys.exit("no connection after 30 s: %s" % e)
            time.sleep(0.0001)
    if exited is None:
        p.wait()
        exited = time.monotonic() - t0
    subprocess.run([vz, "--quiet", "stop", "--fast", "9111"], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    if run > 0:
        rows.append((run, exited, connected))
with open(out, "w") as f:
    f.write("run\tstart_exit_s\tfirst_connect_s\n")
    for r in rows:
        f.write("%d\t%.6f\t%.6f\n" % r)
med = lambda v: sorted(v)[len(v) // 2]
print("runs: %d (+1 warm-up)" % len(rows))
print("vzctl start exits after       %.2f ms (median)" % (1000 * med([r[1] for r in rows])))
print("first TCP connect after       %.2f ms (median; min %.2f, max %.2f)" % (
    1000 * med([r[2] for r in rows]), 1000 * min(r[2] for r in rows), 1000 * max(r[2] for r in rows)))
print("raw rows: " + out)
EOF
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
