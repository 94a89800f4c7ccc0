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
# and from that moment tries to connect to 198.51.100.111:80 as soon as the
# host routes it into the VPS's pair (its /32 through venet9111 in
# /proc/net/route; nothing is ever sent by the default route), a new try
# every 100 µs after a refusal and 5 ms after an unanswered SYN, until one
# succeeds and reads "hello". Reported per run: when `vzctl start`
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
bench_traps

bench_tmpfs "$W" 1G
scratch_node "$node" "$tmpl" none
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
route = "venet9111\t6F6433C6\t"  # 198.51.100.111, as /proc/net/route spells it
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
        # Only once the host routes the address into the VPS's pair (its
        # /32 in /proc/net/route): before that a connect would leave by the
        # default route. (Not SO_BINDTODEVICE: a socket bound to a device
        # sends on-link even with no route, so it would ARP before the
        # VPS's address exists and wait out ARP's 1 s retry.)
        if route not in open("/proc/net/route").read():
            if time.monotonic() - t0 > 30:
                sys.exit("no route to 198.51.100.111 through venet9111 after 30 s")
            time.sleep(0.0001)
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # A short connect timeout: a SYN sent before anything answers is
            # not waited on for TCP's 1 s retransmission, a new try follows.
            s.settimeout(0.005)
            s.connect(("198.51.100.111", 80))
            s.settimeout(5)
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
