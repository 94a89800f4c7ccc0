#!/usr/bin/env bash
# What reading the beancounters of COUNT running VPSes costs (issue 4's
# figure): COUNT busybox VPSes started on a scratch node on a tmpfs
# (vswap-256m sample config, NUMPROC 240, so every VPS has rows to show),
# then per round, in rotating order, each command LOOP times in a row:
#
#   vzubc                            the table of every running VPS (all rows read)
#   vzubc --user-beancounters        the same numbers in the kernel's text format
#   vzlist -o numproc,physpages      two live columns (pids.current, memory usage)
#   vzlist -H -o ctid                the listing's floor: running VPSes found, nothing read
#
#   bench/ubc-100.sh [-c COUNT] [-n ROUNDS] [-l LOOP]     (100, 11, 10)
#
# Target: vzubc and vzlist -o numproc,physpages under 100 ms over 100 VPSes.
# Before timing, once: vzubc shows COUNT containers and vzlist COUNT rows
# with numbers (not `-`). Raw rows: bench/results/ubc-<COUNT>-<time>.tsv
# (round, tool, seconds per call); the summary prints medians.
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

count=100
rounds=11
loop=10
while getopts c:n:l: o; do
	case $o in
	c) count=$OPTARG ;;
	n) rounds=$OPTARG ;;
	l) loop=$OPTARG ;;
	*) echo "usage: $0 [-c COUNT] [-n ROUNDS] [-l LOOP]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
need_release_build
[ -x "$BIN/vzubc" ] || make -s -C "$REPO" build >&2
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)

W=/tmp/vzbench-ubc.$$
node=$W/node
first=101
last=$((100 + count))
vz_cg=
cleanup() {
	set +e
	stop_node_vpses "$node" "$BIN/vzctl" "$first" "$last" "$vz_cg"
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 2G
scratch_node "$node" "$tmpl"
echo "creating and starting $count VPSes on a scratch node (untimed)"
for ((i = first; i <= last; i++)); do
	VZ_SYSROOT=$node "$BIN/vzctl" --quiet create "$i" --ostemplate "$tname" >/dev/null
	VZ_SYSROOT=$node "$BIN/vzctl" --quiet set "$i" --numproc 240:240 --save >/dev/null
	VZ_SYSROOT=$node "$BIN/vzctl" --quiet start "$i" </dev/null >/dev/null 2>"$W/start.err" ||
		{ echo "vzctl start $i failed: $(tail -2 "$W/start.err")" >&2; exit 1; }
	if [ -z "$vz_cg" ]; then vz_cg=$(vz_node_cgroup "$(vz_init_pid "$node" "$i")") || true; fi
done

export VZ_SYSROOT=$node
# Untimed: the commands see every VPS and read real numbers.
shown=$("$BIN/vzubc" | grep -c '^CT ' || true)
[ "$shown" = "$count" ] || { echo "vzubc shows $shown containers, not $count" >&2; exit 1; }
rows=$("$BIN/vzlist" -H -o numproc,physpages | awk '$1 != "-" && $2 != "-"' | wc -l)
[ "$rows" = "$count" ] || { echo "vzlist shows numbers for $rows containers, not $count" >&2; exit 1; }

declare -A cmd=(
	[vzubc]="vzubc"
	[vzubc-ubc]="vzubc --user-beancounters"
	[vzlist-live]="vzlist -o numproc,physpages"
	[vzlist-floor]="vzlist -H -o ctid"
)
tools=(vzubc vzubc-ubc vzlist-live vzlist-floor)
out="$RESULTS/ubc-$count-$(date +%Y%m%dT%H%M%S).tsv"
printf 'round\ttool\tseconds\n' >"$out"
echo "$rounds rounds (plus one warm-up) of $loop calls per command, $count running VPSes"
for r in $(seq 0 "$rounds"); do
	order=("${tools[@]}")
	rotate order "$r"
	for t in "${order[@]}"; do
		# shellcheck disable=SC2086
		s=$(loop_time "$loop" "$BIN"/${cmd[$t]})
		[ "$r" = 0 ] || printf '%s\t%s\t%s\n' "$r" "$t" "$s" >>"$out"
	done
done

echo "raw: $out"
for t in "${tools[@]}"; do
	m=$(tool_median "$out" "$t")
	awk -v c="${cmd[$t]}" -v m="$m" -v n="$count" 'BEGIN { printf "%-34s median %6.1f ms over %d VPSes\n", c, m * 1000, n }'
done
