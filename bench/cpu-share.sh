#!/usr/bin/env bash
# CPU enforcement figures of issue 4, measured with busy VPSes:
#
#   bench/cpu-share.sh [-n ROUNDS] [-t SECONDS]
#
# 1. CPUUNITS: CT 101 and CT 102 (busybox) both pinned to CPU 0
#    (--cpumask 0), each running one busy loop (`while :; do :; done`).
#    Every round gives one of them --cpuunits 2000 and the other 1000, live
#    (`vzctl set`), alternating which one, then measures the CPU time each
#    VPS gets over SECONDS (cpuacct.usage on v1, cpu.stat usage_usec on v2).
#    Figure: the 2000-unit VPS's share of the two, median over rounds
#    (expected 2/3; the kernel turns units into cpu.shares 2048 : 1024).
# 2. CPULIMIT: CT 103, one busy loop, no pinning. Rounds alternate
#    --cpulimit 50 and --cpulimit 0 (none), live; each measures the VPS's
#    CPU time over SECONDS as a fraction of one CPU. Figures: the median
#    fraction with the limit (expected 0.50), the median without (what the
#    host offered one busy loop meanwhile, ideally 1.00), and the median of
#    the per-pair ratio limited / unlimited.
# The VPSes run on a scratch node on a tmpfs; everything is stopped and
# removed on exit. Raw rows: bench/results/cpu-share-<time>.tsv.
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

rounds=7
secs=3
while getopts n:t: o; do
	case $o in
	n) rounds=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS] [-t SECONDS]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
need_release_build
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)
vz=$BIN/vzctl

W=/tmp/vzbench-cpu.$$
node=$W/node
vz_cg=
started=()
out=$RESULTS/cpu-share-$(date +%Y%m%d-%H%M%S).tsv

cleanup() {
	set +e
	for ct in "${started[@]}"; do
		VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast "$ct" </dev/null >/dev/null 2>&1
	done
	if [ -d "$node" ]; then
		reap_node_leftovers "$node"
		[ -z "$vz_cg" ] || drop_vz_node_cgroup "$vz_cg"
	fi
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 1G
scratch_node "$node" "$tmpl"
vzn() { VZ_SYSROOT=$node "$vz" --quiet "$@" </dev/null; }

# CPU time of CT $1 so far, in ns: v1 cpuacct, else v2 cpu.stat.
usage_ns() {
	local f=/sys/fs/cgroup/cpuacct/$vz_cg/$1/cpuacct.usage k v
	if [ -r "$f" ]; then cat "$f"; return; fi
	while read -r k v; do [ "$k" != usage_usec ] || { echo $((v * 1000)); return; }; done <"/sys/fs/cgroup/$vz_cg/$1/cpu.stat"
	return 1
}

start_busy() { # CT, extra set options...
	local ct=$1
	shift
	vzn create "$ct" --ostemplate "$tname" >/dev/null
	[ $# -eq 0 ] || vzn set "$ct" "$@" --save >/dev/null
	vzn start "$ct" >/dev/null 2>"$W/start.err" || { cat "$W/start.err" >&2; exit 1; }
	started+=("$ct")
	vzn exec "$ct" 'sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 &'
	local pid
	pid=$(vz_init_pid "$node" "$ct")
	[ -n "$vz_cg" ] || vz_cg=$(vz_node_cgroup "$pid")
}

printf 'round\twhat\tvalue\n' >"$out"
echo "CPU shares: CT 101 and CT 102 on CPU 0, $rounds rounds of ${secs}s" >&2
start_busy 101 --cpumask 0
start_busy 102 --cpumask 0
sleep 1
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then hi=102 lo=101; else hi=101 lo=102; fi
	vzn set "$hi" --cpuunits 2000 >/dev/null 2>&1
	vzn set "$lo" --cpuunits 1000 >/dev/null 2>&1
	sleep 0.5
	h0=$(usage_ns "$hi") l0=$(usage_ns "$lo")
	sleep "$secs"
	h1=$(usage_ns "$hi") l1=$(usage_ns "$lo")
	share=$(awk -v h=$((h1 - h0)) -v l=$((l1 - l0)) 'BEGIN { printf "%.4f", h / (h + l) }')
	printf '%s\tshare2000\t%s\n' "$r" "$share" >>"$out"
	printf '  round %d: CT %s (2000) got %s of the two\n' "$r" "$hi" "$share" >&2
done
vzn stop --fast 101 >/dev/null
vzn stop --fast 102 >/dev/null
started=()

echo "CPULIMIT: CT 103, 50 vs none, $rounds pairs of ${secs}s" >&2
start_busy 103
sleep 1
for ((r = 1; r <= rounds; r++)); do
	order=(50 0)
	rotate order $r
	for lim in "${order[@]}"; do
		vzn set 103 --cpulimit "$lim" >/dev/null 2>&1
		sleep 0.5
		u0=$(usage_ns 103) t0=$EPOCHREALTIME
		sleep "$secs"
		u1=$(usage_ns 103) t1=$EPOCHREALTIME
		frac=$(awk -v u=$((u1 - u0)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", u / 1e9 / (b - a) }')
		printf '%s\tcpulimit%s\t%s\n' "$r" "$lim" "$frac" >>"$out"
		printf '  round %d: --cpulimit %s: %s of a CPU\n' "$r" "$lim" "$frac" >&2
	done
done

m() { awk -F'\t' -v w="$1" 'NR > 1 && $2 == w { print $3 }' "$out" | median; }
ratio=$(awk -F'\t' 'NR > 1 && $2 == "cpulimit50" { a[$1] = $3 } NR > 1 && $2 == "cpulimit0" { b[$1] = $3 }
	END { for (k in a) if (k in b && b[k] > 0) print a[k] / b[k] }' "$out" | median)
echo
echo "CPUUNITS 2000 vs 1000 on one CPU: share of the 2000-unit VPS, median $(m share2000) (expected 0.667)"
echo "CPULIMIT 50: median $(m cpulimit50) of a CPU (expected 0.50); without a limit $(m cpulimit0); limited/unlimited per pair $ratio"
echo "rows: $out"
