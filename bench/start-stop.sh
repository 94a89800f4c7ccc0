#!/usr/bin/env bash
# A fresh container that runs and ends, per tool, on the same busybox rootfs
# (issue 3's first figure; peers as in peer-benchmarks.md §3).
#
#   bench/start-stop.sh [-n ROUNDS] [-l LOOP]
#
# Contenders, each timed LOOP (default 20) times in a row per timed run:
#   floor      unshare --pid --mount --uts --ipc --net --fork chroot ROOT /bin/true
#   crun       crun run of a bundle on ROOT: `crun spec` with a read-only root,
#              namespaces pid, mount, uts, ipc, network; args /bin/true. The
#              whole loop runs inside bench/crun-v1.sh (crun 1.8.1 refuses a
#              hybrid cgroup host otherwise: one extra unshare per LOOP runs)
#   lxc-start  lxc-start -F -- /bin/true on ROOT (Debian common.conf, read-only
#              root, lxc.net.0.type = empty, every hook cleared: Debian's lxcfs
#              post-stop hook alone would add 0.5 s per stop)
#   vzctl      a scratch node on a tmpfs with CT 101 created from the same
#              template: `vzctl start 101`, then `vzctl stop --fast 101`
# What the vzctl cycle times: `vzctl start` from fork to exit. start returns
# once the VPS's init has exec'd (its error pipe reached EOF,
# StartOperation.swift); the script checks that after every start: the init
# PID from the node's run/101 state file must have /proc/PID/exe equal (same
# inode) to the private area's bin/busybox. Had start returned early, the
# script polls for that and counts the wait as start time ("late starts" in
# the summary). Then `vzctl stop --fast 101` from fork to exit. The check
# between the two is not timed. A cycle is start + stop.
#
# Each round runs every contender once, in an order rotated per round; one
# warm-up round is not recorded. Prints medians per container (per cycle for
# vzctl) and the ratios taken round by round (pairwise medians). Raw rows:
# bench/results/start-stop-<time>.tsv (round, tool, seconds per container).
# Without a working `vzctl start` the peers still run and a line says so.
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

rounds_and_loops 9 20 "$@"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)

W=/tmp/vzbench-ss.$$
ROOT=$W/rootfs
node=$W/node
cid=vzb-ss-$$
vz=$(vzctl_bin)
vz_started=0
vz_cg=

cleanup() {
	set +e
	if [ "$vz_started" = 1 ]; then
		VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast 101 </dev/null >/dev/null 2>&1
	fi
	if [ -n "$vz" ] && [ -d "$node" ]; then
		reap_node_leftovers "$node"
		[ -z "$vz_cg" ] || drop_vz_node_cgroup "$vz_cg"
	fi
	if command -v crun >/dev/null; then
		"$REPO/bench/crun-v1.sh" crun delete -f "$cid" >/dev/null 2>&1
	fi
	lxc_cleanup "$W/lxc" "$cid"
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 1G
mkdir "$ROOT"
tar --numeric-owner -xpzf "$tmpl" -C "$ROOT"

contenders=()

# --- floor ---------------------------------------------------------------
floor() { unshare --pid --mount --uts --ipc --net --fork chroot "$ROOT" /bin/true; }
floor || { echo "the floor (unshare + chroot) fails" >&2; exit 1; }
contenders+=(floor)

# --- crun ----------------------------------------------------------------
if command -v crun >/dev/null && command -v jq >/dev/null; then
	crun_bundle "$W/crun" "$ROOT" /bin/true
	# LOOP runs inside one private mount namespace, as the peers timed it.
	crun_loop() {
		"$REPO/bench/crun-v1.sh" bash -c 'for ((i = 0; i < $1; i++)); do
			crun run -b "$2" "$3" </dev/null >/dev/null 2>&1 || exit 1; done' crun-loop "$1" "$W/crun" "$cid"
	}
	if crun_loop 1; then contenders+=(crun); else echo "crun run fails here even inside crun-v1.sh; crun skipped" >&2; fi
else
	echo "crun or jq missing (apt-get install crun jq); crun skipped" >&2
fi

# --- lxc-start -F --------------------------------------------------------
if command -v lxc-start >/dev/null; then
	lxc_note_pivots
	lxc_bench_config "$W/lxc" "$cid" "$ROOT"
	lxc_one() { lxc-start -F -P "$W/lxc" -n "$cid" -- /bin/true; }
	# lxc-start -F exits 0 whatever the payload did: check once, through
	# the log, that a payload really runs as PID 1 on a read-only root with
	# only lo.
	lxc-start -F -P "$W/lxc" -n "$cid" -l INFO -o "$W/lxc/check.log" -- /bin/sh -c \
		'touch /.rw 2>/dev/null && exit 3; [ $$ = 1 ] || exit 4
		 for n in /sys/class/net/*; do [ "${n##*/}" = lo ] || exit 5; done' </dev/null >/dev/null 2>&1 || true
	if grep -q 'Started "/bin/sh"' "$W/lxc/check.log" && ! grep -q 'ended on error' "$W/lxc/check.log"; then
		contenders+=(lxc-start)
	else
		echo "lxc-start does not run the check payload as expected (log: $W/lxc/check.log); lxc-start skipped" >&2
		tail -5 "$W/lxc/check.log" >&2
	fi
else
	echo "lxc-start missing (apt-get install --no-install-recommends lxc); lxc-start skipped" >&2
fi

# --- vzctl ---------------------------------------------------------------
# The VPS's init is running: its PID from the state file is alive and its
# executable is the private area's busybox (the template's /sbin/init).
vz_init_runs() {
	local pid
	pid=$(vz_init_pid "$node" 101) && [ "/proc/$pid/exe" -ef "$node/vz/private/101/bin/busybox" ]
}
# Times LOOP start/stop cycles; sets vz_start_us, vz_stop_us (sums).
vz_late=0
vz_cycles() {
	local i t0 t1 t2 t3 w
	vz_start_us=0 vz_stop_us=0
	for ((i = 0; i < $1; i++)); do
		vz_started=1
		t0=${EPOCHREALTIME/./}
		VZ_SYSROOT=$node "$vz" --quiet start 101 </dev/null >/dev/null 2>"$W/vzctl.err" ||
			{ echo "vzctl start 101 failed: $(tail -2 "$W/vzctl.err")" >&2; return 1; }
		t1=${EPOCHREALTIME/./}
		if ! vz_init_runs; then
			vz_late=$((vz_late + 1))
			for ((w = 0; w < 50000; w++)); do vz_init_runs && break; done
			vz_init_runs || { echo "vzctl start returned, but no busybox init runs" >&2; return 1; }
			t1=${EPOCHREALTIME/./}
		fi
		t2=${EPOCHREALTIME/./}
		VZ_SYSROOT=$node "$vz" --quiet stop --fast 101 </dev/null >/dev/null 2>"$W/vzctl.err" ||
			{ echo "vzctl stop --fast 101 failed: $(tail -2 "$W/vzctl.err")" >&2; return 1; }
		vz_started=0
		t3=${EPOCHREALTIME/./}
		vz_start_us=$((vz_start_us + t1 - t0))
		vz_stop_us=$((vz_stop_us + t3 - t2))
	done
}
if [ -z "$vz" ]; then
	echo "vzctl start not available yet: no $BIN/vzctl (make build); peers only"
else
	scratch_node "$node" "$tmpl"
	VZ_SYSROOT=$node "$vz" --quiet create 101 --ostemplate "$tname" >/dev/null
	# Output to a file, not a pipe: whatever stays behind in the VPS (its
	# monitor, its init) must not be able to hold the reader up. The probe
	# counts as started, so an interrupted or half-done start is stopped on
	# exit.
	vz_started=1
	if timeout -k 5 60 env VZ_SYSROOT="$node" "$vz" start 101 </dev/null >"$W/vzctl-start.out" 2>&1; then
		vz_cg=$(vz_node_cgroup "$(vz_init_pid "$node" 101)") || true
		VZ_SYSROOT=$node "$vz" --quiet stop --fast 101 >/dev/null 2>&1 && vz_started=0
		contenders+=(vzctl)
	else
		echo "vzctl start not available yet: \`vzctl start 101\` says: $(head -1 "$W/vzctl-start.out"); peers only"
		VZ_SYSROOT=$node "$vz" --quiet stop --fast 101 >/dev/null 2>&1 || true
	fi
fi

# --- rounds --------------------------------------------------------------
run_one() { # TOOL: prints seconds per container (per cycle for vzctl)
	case $1 in
	floor) loop_time "$loops" floor ;;
	crun) awk -v s="$(loop_time 1 crun_loop "$loops")" -v n="$loops" 'BEGIN { printf "%.6f\n", s / n }' ;;
	lxc-start) loop_time "$loops" lxc_one ;;
	esac
}
out="$RESULTS/start-stop-$(date +%Y%m%dT%H%M%S).tsv"
printf 'round\ttool\tseconds\n' >"$out"
echo "contenders: ${contenders[*]}; $rounds rounds (+1 warm-up) of $loops per tool"
for r in $(seq 0 "$rounds"); do
	order=("${contenders[@]}")
	rotate order "$r"
	for tool in "${order[@]}"; do
		if [ "$tool" = vzctl ]; then
			vz_cycles "$loops"
			[ "$r" = 0 ] && continue
			awk -v r="$r" -v a="$vz_start_us" -v b="$vz_stop_us" -v n="$loops" 'BEGIN {
				printf "%s\tvzctl\t%.6f\n%s\tvzctl-start\t%.6f\n%s\tvzctl-stop\t%.6f\n",
					r, (a + b) / n / 1e6, r, a / n / 1e6, r, b / n / 1e6 }' >>"$out"
		else
			s=$(run_one "$tool")
			[ "$r" = 0 ] || printf '%s\t%s\t%s\n' "$r" "$tool" "$s" >>"$out"
		fi
	done
done

# --- summary -------------------------------------------------------------
echo "raw: $out"
if [[ " ${contenders[*]} " == *" vzctl "* ]]; then
	reap_node_leftovers "$node" || echo "vzctl: WARNING: processes of the scratch node ran on after the last vzctl stop"
fi
ms() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.2f ms", s * 1000 }'; }
x() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.2fx", s }'; }
printf '%-12s %12s %10s %10s %12s\n' tool median "/floor" "/crun" "/lxc-start"
for tool in "${contenders[@]}"; do
	m=$(tool_median "$out" "$tool" || true)
	f=$(pair_ratio "$out" "$tool" floor || true)
	c=$(pair_ratio "$out" "$tool" crun || true)
	l=$(pair_ratio "$out" "$tool" lxc-start || true)
	printf '%-12s %12s %10s %10s %12s\n' "$tool" "$(ms "$m")" "$(x "$f")" "$(x "$c")" "$(x "$l")"
done
if [[ " ${contenders[*]} " == *" vzctl "* ]]; then
	printf '  vzctl start %s, stop --fast %s (medians; start = until the init has exec'"'"'d; late starts: %s)\n' \
		"$(ms "$(tool_median "$out" vzctl-start)")" "$(ms "$(tool_median "$out" vzctl-stop)")" "$vz_late"
else
	echo "vzctl: not measured (vzctl start not available yet)"
fi
