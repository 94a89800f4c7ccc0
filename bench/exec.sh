#!/usr/bin/env bash
# Exec of /bin/true into a running container, per tool, on the same busybox
# rootfs (issue 3's second figure; peers as in peer-benchmarks.md §4).
#
#   bench/exec.sh [-n ROUNDS] [-l LOOP]
#
# One container per tool runs busybox init as PID 1 for the whole run:
#   nsenter    the floor: `nsenter -t PID -a -r -w /bin/true` into an
#              `unshare --pid --mount --uts --ipc --net --fork chroot ROOT
#              /sbin/init` container (-r -w: the container's own /bin/true)
#   crun       `crun exec ID /bin/true`; the container was made by `crun run -d`
#              (inside bench/crun-v1.sh: crun 1.8.1 refuses to create on a
#              hybrid cgroup host; exec works natively)
#   lxc-attach `lxc-attach -- /bin/true`; `lxc-start -d` with init /sbin/init,
#              lxc.net.0.type = empty, every hook cleared (no lxcfs hook)
#   vzctl      `vzctl exec 101 /bin/true` into CT 101 (busybox template) on a
#              scratch node on a tmpfs, started with `vzctl start 101`. When
#              it runs, two more rows, for reference: `vzctl exec3 101
#              /bin/true` (argv, no shell; if exec3 exists) and nsenter-vz,
#              the floor's nsenter into that VPS's init.
# Each timed run is LOOP (default 20) execs; the figure is per exec and
# includes one fork+exec of the tool. Rounds run every contender once, in an
# order rotated per round, after one unrecorded warm-up round. Prints medians
# and round-by-round ratios (pairwise medians). Raw rows:
# bench/results/exec-<time>.tsv. Without `vzctl start`/`vzctl exec` the peers
# still run and a line says what is missing.
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

rounds_and_loops 9 20 "$@"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)

W=/tmp/vzbench-exec.$$
ROOT=$W/rootfs
node=$W/node
cid=vzb-ex-$$
vz=$(vzctl_bin)
vz_started=0
vz_cg=
crun_made=0
floor_parent=

cleanup() {
	set +e
	if [ -n "$floor_parent" ]; then
		# --kill-child: the init dies with its unshare parent.
		kill -KILL "$floor_parent" 2>/dev/null
		wait "$floor_parent" 2>/dev/null
	fi
	[ "$vz_started" = 1 ] && VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast 101 </dev/null >/dev/null 2>&1
	if [ -n "$vz" ] && [ -d "$node" ]; then
		reap_node_leftovers "$node"
		[ -z "$vz_cg" ] || drop_vz_node_cgroup "$vz_cg"
	fi
	[ "$crun_made" = 1 ] && "$REPO/bench/crun-v1.sh" crun delete -f "$cid" >/dev/null 2>&1
	lxc_cleanup "$W/lxc" "$cid"
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 1G
mkdir "$ROOT"
tar --numeric-owner -xpzf "$tmpl" -C "$ROOT"

# Waits (up to 5 s) until PID $1 runs the busybox binary $2; true if so.
wait_exe() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "/proc/$1/exe" -ef "$2" ] && return 0
		sleep 0.01
	done
	return 1
}

contenders=()

# --- floor: nsenter into an unshare + chroot container -------------------
setsid unshare --pid --mount --uts --ipc --net --fork --kill-child chroot "$ROOT" /sbin/init </dev/null >/dev/null 2>&1 &
floor_parent=$!
floor_init=
for ((i = 0; i < 500; i++)); do
	read -r floor_init _ <"/proc/$floor_parent/task/$floor_parent/children" 2>/dev/null || true
	[ -n "$floor_init" ] && break
	sleep 0.01
done
[ -n "$floor_init" ] && wait_exe "$floor_init" "$ROOT/bin/busybox" || { echo "the floor container did not start" >&2; exit 1; }
nsenter_floor() { nsenter -t "$floor_init" -a -r -w /bin/true; }
nsenter_floor || { echo "nsenter into the floor container fails" >&2; exit 1; }
contenders+=(nsenter)

# --- crun ----------------------------------------------------------------
if command -v crun >/dev/null && command -v jq >/dev/null; then
	crun_bundle "$W/crun" "$ROOT" /sbin/init
	crun_made=1
	if "$REPO/bench/crun-v1.sh" crun run -d -b "$W/crun" "$cid" </dev/null >/dev/null 2>&1 &&
		crun_init=$(crun state "$cid" | jq -r .pid) && wait_exe "$crun_init" "$ROOT/bin/busybox" &&
		crun exec "$cid" /bin/true </dev/null >/dev/null 2>&1; then
		crun_exec() { crun exec "$cid" /bin/true; }
		contenders+=(crun)
	else
		echo "crun run -d / crun exec fail here; crun skipped" >&2
	fi
else
	echo "crun or jq missing (apt-get install crun jq); crun skipped" >&2
fi

# --- lxc-attach ----------------------------------------------------------
if command -v lxc-start >/dev/null; then
	lxc_note_pivots
	lxc_bench_config "$W/lxc" "$cid" "$ROOT" "lxc.init.cmd = /sbin/init"
	if lxc-start -d -P "$W/lxc" -n "$cid" </dev/null >/dev/null 2>&1 &&
		lxc_init=$(lxc-info -P "$W/lxc" -n "$cid" -pH) && wait_exe "$lxc_init" "$ROOT/bin/busybox" &&
		lxc-attach -P "$W/lxc" -n "$cid" -- /bin/true </dev/null >/dev/null 2>&1; then
		lxc_attach() { lxc-attach -P "$W/lxc" -n "$cid" -- /bin/true; }
		contenders+=(lxc-attach)
	else
		echo "lxc-start -d / lxc-attach fail here; lxc-attach skipped" >&2
	fi
else
	echo "lxc-start missing (apt-get install --no-install-recommends lxc); lxc-attach skipped" >&2
fi

# --- vzctl exec ----------------------------------------------------------
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
		vz_init=$(vz_init_pid "$node" 101) && wait_exe "$vz_init" "$node/vz/private/101/bin/busybox" ||
			{ echo "vzctl start returned, but no busybox init runs" >&2; exit 1; }
		vz_cg=$(vz_node_cgroup "$vz_init") || true
		if timeout -k 5 60 env VZ_SYSROOT="$node" "$vz" exec 101 /bin/true </dev/null >"$W/vzctl-exec.out" 2>&1; then
			vz_exec() { VZ_SYSROOT=$node "$vz" exec 101 /bin/true; }
			contenders+=(vzctl)
			if timeout -k 5 60 env VZ_SYSROOT="$node" "$vz" exec3 101 /bin/true </dev/null >/dev/null 2>&1; then
				vz_exec3() { VZ_SYSROOT=$node "$vz" exec3 101 /bin/true; }
				contenders+=(vzctl-exec3)
			fi
			nsenter_vz() { nsenter -t "$vz_init" -a -r -w /bin/true; }
			nsenter_vz </dev/null >/dev/null 2>&1 && contenders+=(nsenter-vz)
		else
			echo "vzctl exec not available yet: \`vzctl exec 101 /bin/true\` says: $(head -1 "$W/vzctl-exec.out"); peers only"
		fi
	else
		echo "vzctl start not available yet: \`vzctl start 101\` says: $(head -1 "$W/vzctl-start.out"); peers only"
		VZ_SYSROOT=$node "$vz" --quiet stop --fast 101 >/dev/null 2>&1 || true
	fi
fi

# --- rounds --------------------------------------------------------------
fn_of() {
	case $1 in
	nsenter) echo nsenter_floor ;; crun) echo crun_exec ;; lxc-attach) echo lxc_attach ;;
	vzctl) echo vz_exec ;; vzctl-exec3) echo vz_exec3 ;; nsenter-vz) echo nsenter_vz ;;
	esac
}
out="$RESULTS/exec-$(date +%Y%m%dT%H%M%S).tsv"
printf 'round\ttool\tseconds\n' >"$out"
echo "contenders: ${contenders[*]}; $rounds rounds (+1 warm-up) of $loops per tool"
for r in $(seq 0 "$rounds"); do
	order=("${contenders[@]}")
	rotate order "$r"
	for tool in "${order[@]}"; do
		s=$(loop_time "$loops" "$(fn_of "$tool")")
		[ "$r" = 0 ] || printf '%s\t%s\t%s\n' "$r" "$tool" "$s" >>"$out"
	done
done

# --- summary -------------------------------------------------------------
echo "raw: $out"
ms() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.2f ms", s * 1000 }'; }
x() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.2fx", s }'; }
printf '%-12s %12s %10s %10s %12s\n' tool median "/nsenter" "/crun" "/lxc-attach"
for tool in "${contenders[@]}"; do
	m=$(tool_median "$out" "$tool" || true)
	f=$(pair_ratio "$out" "$tool" nsenter || true)
	c=$(pair_ratio "$out" "$tool" crun || true)
	l=$(pair_ratio "$out" "$tool" lxc-attach || true)
	printf '%-12s %12s %10s %10s %12s\n' "$tool" "$(ms "$m")" "$(x "$f")" "$(x "$c")" "$(x "$l")"
done
[[ " ${contenders[*]} " == *" vzctl "* ]] || echo "vzctl: not measured (vzctl start/exec not available yet)"
