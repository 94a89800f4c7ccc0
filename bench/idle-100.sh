#!/usr/bin/env bash
# COUNT idle busybox VPSes on one node: what they cost the host (issue 3's
# third figure; the unshare comparison is peer-benchmarks.md §5).
#
#   bench/idle-100.sh [-c COUNT] [-n ROUNDS] [-i IDLE_SECONDS] [-g] [-U]
#
# COUNT (default 100) CTs are created once from the busybox template on a
# scratch node on a tmpfs (untimed). Each round, for each contender in turn
# (order alternates per round):
#   1. snapshot of every PID (with its start time) on the host;
#   2. start all COUNT, one after the other, timed as a whole. vzctl: `vzctl
#      start CTID` (returns once that VPS's init has exec'd). unshare:
#      `setsid unshare --pid --mount --uts --ipc --net --fork --kill-child
#      chroot ROOT /sbin/init &`, then wait until that init runs busybox;
#   3. check every init runs busybox (untimed), wait 3 s;
#   4. memory: every process that did not exist at 1 and is not a zombie or a
#      kernel thread is put in one of three groups, by /proc/PID/cgroup and
#      /proc/PID/ns/pid:
#        host-side  outside every `vz` / `vz-*` cgroup and in the host's PID
#                   namespace (vzctl's monitors or helpers; a waiting unshare)
#        in-VPS     in a `vz` / `vz-*` cgroup (the VPSes themselves)
#        other-ns   outside those cgroups but in another PID namespace (the
#                   unshare containers' inits; for vzctl: VPS processes the
#                   cgroup does not hold, which should be none)
#      and /proc/PID/smaps_rollup Pss (and Rss) summed per group; also the
#      /proc/meminfo change in AnonPages + KernelStack + PageTables +
#      SUnreclaim + Shmem since 1 (kernel + anon, peer-benchmarks.md §5);
#   5. host CPU at rest: utime + stime of the host-side processes, summed,
#      at the start and the end of IDLE_SECONDS (default 10) of idling:
#      target 0;
#   6. stop all COUNT, timed as a whole: `vzctl stop --fast` each (or, with
#      -g, the graceful `vzctl stop`: busybox init's own shutdown takes ~2 s
#      per VPS); unshare: SIGKILL to the init, wait for its unshare.
# Only bash builtins run while the processes are scanned, so the scan makes
# no process of its own. Other activity on the host in that window does show
# up: the summary lists the host-side processes by name.
# -U skips the unshare comparison. ROUNDS defaults to 3 (the peers' memory
# rounds). Raw rows: bench/results/idle-<COUNT>-<time>.tsv (round, tool,
# metric, value); the summary prints medians, per container.
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

count=100
rounds=3
idle=10
graceful=0
with_unshare=1
while getopts c:n:i:gU o; do
	case $o in
	c) count=$OPTARG ;;
	n) rounds=$OPTARG ;;
	i) idle=$OPTARG ;;
	g) graceful=1 ;;
	U) with_unshare=0 ;;
	*) echo "usage: $0 [-c COUNT] [-n ROUNDS] [-i IDLE_SECONDS] [-g] [-U]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)
hz=$(getconf CLK_TCK)

W=/tmp/vzbench-idle.$$
ROOT=$W/rootfs
node=$W/node
first=101
last=$((100 + count))
vz=$(vzctl_bin)
vz_up=0
un_parent=()
un_init=()

cleanup() {
	set +e
	local p
	for p in "${un_parent[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${un_parent[@]}"; do wait "$p" 2>/dev/null; done
	[ "$vz_up" = 1 ] && stop_node_vpses "$node" "$vz" "$first" "$last" "$vz_cg"
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 2G
mkdir "$ROOT"
tar --numeric-owner -xpzf "$tmpl" -C "$ROOT"
# A sleep without a fork: read with a timeout from a FIFO nobody writes.
mkfifo "$W/tick"
exec {tick}<>"$W/tick"
nap() { read -r -t "$1" -u "$tick" _ || true; }

# --- /proc scanning, builtins only -----------------------------------------
# SF: the fields of /proc/PID/stat from field 3 (state) on: SF[0] state,
# SF[6] flags, SF[11] utime, SF[12] stime, SF[19] start time.
stat_fields() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	read -ra SF <<<"${line##*) }"
}
declare -A before=()
snapshot() {
	local p
	before=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		stat_fields "$p" && before[$p]=${SF[19]}
	done
}
# 0: in a `vz` or `vz-*` cgroup of this node (vz_cg: that cgroup's name,
# found after the first start), 2: of another node (another test's VPS; not
# counted anywhere), 1: in none.
vz_cg=
in_vz_cgroup() {
	local line
	while read -r line; do
		if [[ ${line#*:*:} =~ (^|/)(vz(-[^/]*)?)(/|$) ]]; then
			[ -z "$vz_cg" ] || [ "${BASH_REMATCH[2]}" = "$vz_cg" ] && return 0
			return 2
		fi
	done 2>/dev/null <"/proc/$1/cgroup"
	return 1
}
# Sets g_pss, g_rss (KiB) of PID $1 from smaps_rollup.
pss_of() {
	local k v _u
	g_pss=0 g_rss=0
	while read -r k v _u; do
		case $k in Pss:) g_pss=$v ;; Rss:) g_rss=$v ;; esac
	done 2>/dev/null <"/proc/$1/smaps_rollup"
}
# Whether PID $1's command line or environment names this run's node (so
# that vzctl processes of other tests on the host are not taken for ours).
names_node() {
	local f a
	for f in cmdline environ; do
		while IFS= read -r -d '' a; do
			[[ $a == *"$node"* ]] && return 0
		done 2>/dev/null <"/proc/$1/$f"
	done
	return 1
}
# Scans every process new since the snapshot (see the header) and sets:
#   all_n all_pss all_rss   every new host-side process (the issue's
#                           definition; on a busy host it also counts other
#                           people's new processes)
#   our_n our_pss our_rss   the host-side processes that belong to the
#                           containers: the parent of an in-VPS or other-ns
#                           process (a monitor, a waiting unshare), or one
#                           running $BIN/vzctl or $BIN/vzmonitor whose
#                           command line or environment names this node (a
#                           helper, a node-wide daemon). On a quiet host
#                           our = all
#   vps_n vps_pss ons_n ons_pss
#   host_names[comm] = count (all), others[comm] = count (all but ours)
#   our_ticks[pid:start], all_ticks[pid:start] = utime + stime
declare -A host_names=() others=() our_ticks=() all_ticks=() parents=() h_pss=() h_rss=() h_st=() h_comm=() h_mine=()
scan() {
	local p st comm cls
	all_n=0 all_pss=0 all_rss=0 our_n=0 our_pss=0 our_rss=0 vps_n=0 vps_pss=0 ons_n=0 ons_pss=0
	host_names=() others=() our_ticks=() all_ticks=() parents=() h_pss=() h_rss=() h_st=() h_comm=() h_mine=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		stat_fields "$p" || continue
		st=${SF[19]}
		[ "${before[$p]-}" = "$st" ] && continue
		[ "${SF[0]}" = Z ] && continue
		((SF[6] & 0x200000)) && continue # PF_KTHREAD
		pss_of "$p"
		in_vz_cgroup "$p" && cls=0 || cls=$?
		if [ "$cls" = 0 ]; then
			vps_n=$((vps_n + 1)) vps_pss=$((vps_pss + g_pss))
			parents[${SF[1]}]=1
		elif [ "$cls" = 2 ]; then
			continue
		elif [ "/proc/$p/ns/pid" -ef /proc/$$/ns/pid ]; then
			all_n=$((all_n + 1)) all_pss=$((all_pss + g_pss)) all_rss=$((all_rss + g_rss))
			all_ticks[$p:$st]=$((SF[11] + SF[12]))
			h_pss[$p]=$g_pss h_rss[$p]=$g_rss h_st[$p]=$st
			read -r comm 2>/dev/null <"/proc/$p/comm" || comm='?'
			h_comm[$p]=$comm
			host_names[$comm]=$((${host_names[$comm]-0} + 1))
			if [ -n "$vz" ] && { [ "/proc/$p/exe" -ef "$BIN/vzctl" ] || [ "/proc/$p/exe" -ef "$BIN/vzmonitor" ]; } &&
				names_node "$p"; then
				h_mine[$p]=1
			fi
		else
			ons_n=$((ons_n + 1)) ons_pss=$((ons_pss + g_pss))
			parents[${SF[1]}]=1
		fi
	done
	for p in "${!h_pss[@]}"; do
		if [ -n "${parents[$p]-}" ] || [ -n "${h_mine[$p]-}" ]; then
			our_n=$((our_n + 1)) our_pss=$((our_pss + h_pss[$p])) our_rss=$((our_rss + h_rss[$p]))
			our_ticks[$p:${h_st[$p]}]=${all_ticks[$p:${h_st[$p]}]}
		else
			others[${h_comm[$p]}]=$((${others[${h_comm[$p]}]-0} + 1))
		fi
	done
	return 0
}
# CPU ticks used since `scan` by the processes of the array named $1
# (our_ticks or all_ticks); a process gone since counts nothing.
cpu_since_scan() {
	local -n _t=$1
	local key p st used=0
	for key in "${!_t[@]}"; do
		p=${key%%:*} st=${key#*:}
		if stat_fields "$p" && [ "${SF[19]}" = "$st" ]; then
			used=$((used + SF[11] + SF[12] - _t[$key]))
		fi
	done
	echo "$used"
}
# Kernel + anon memory (KiB): AnonPages + KernelStack + PageTables +
# SUnreclaim + Shmem.
kernel_anon() {
	local k v _u sum=0
	while read -r k v _u; do
		case $k in AnonPages: | KernelStack: | PageTables: | SUnreclaim: | Shmem:) sum=$((sum + v)) ;; esac
	done </proc/meminfo
	echo "$sum"
}

# --- contenders ----------------------------------------------------------
contenders=()
# vzctl: create the COUNT CTs once.
vz_init_of() { vz_init_pid "$node" "$1"; }
if [ -z "$vz" ]; then
	echo "vzctl start not available yet: no $BIN/vzctl (make build)"
else
	scratch_node "$node" "$tmpl"
	vz_up=1
	VZ_SYSROOT=$node "$vz" --quiet create "$first" --ostemplate "$tname" >/dev/null
	if timeout -k 5 60 env VZ_SYSROOT="$node" "$vz" start "$first" </dev/null >"$W/vzctl-start.out" 2>&1; then
		# This node's VPS cgroup name (vz, or vz-HASH for a VZ_SYSROOT node).
		if pid=$(vz_init_of "$first"); then
			while read -r line; do
				[[ ${line#*:*:} =~ (^|/)(vz(-[^/]*)?)/$first$ ]] && vz_cg=${BASH_REMATCH[2]}
			done 2>/dev/null <"/proc/$pid/cgroup"
		fi
		[ -n "$vz_cg" ] || echo "note: CT $first's init is in no vz / vz-* cgroup; in-VPS will read 0"
		VZ_SYSROOT=$node "$vz" --quiet stop --fast "$first" </dev/null >/dev/null 2>&1
		echo "creating $count CTs on the scratch node (untimed)"
		for ((i = first + 1; i <= last; i++)); do
			VZ_SYSROOT=$node "$vz" --quiet create "$i" --ostemplate "$tname" >/dev/null
		done
		contenders+=(vzctl)
	else
		echo "vzctl start not available yet: \`vzctl start $first\` says: $(head -1 "$W/vzctl-start.out")"
		VZ_SYSROOT=$node "$vz" --quiet stop --fast "$first" </dev/null >/dev/null 2>&1 || true
	fi
fi
[ "$with_unshare" = 1 ] && contenders+=(unshare)
[ ${#contenders[@]} -gt 0 ] || { echo "nothing to measure" >&2; exit 1; }

vz_start_all() {
	local i
	for ((i = first; i <= last; i++)); do
		VZ_SYSROOT=$node "$vz" --quiet start "$i" </dev/null >/dev/null 2>"$W/vzctl.err" ||
			{ echo "vzctl start $i failed: $(tail -2 "$W/vzctl.err")" >&2; return 1; }
	done
}
vz_check_all() {
	local i pid
	for ((i = first; i <= last; i++)); do
		pid=$(vz_init_of "$i") && [ "/proc/$pid/exe" -ef "$node/vz/private/$i/bin/busybox" ] ||
			{ echo "CT $i: no busybox init runs after vzctl start" >&2; return 1; }
	done
}
vz_stop_all() {
	local i
	for ((i = first; i <= last; i++)); do
		if [ "$graceful" = 1 ]; then
			VZ_SYSROOT=$node "$vz" --quiet stop "$i" </dev/null >/dev/null 2>"$W/vzctl.err" ||
				{ echo "vzctl stop $i failed: $(tail -2 "$W/vzctl.err")" >&2; return 1; }
		else
			VZ_SYSROOT=$node "$vz" --quiet stop --fast "$i" </dev/null >/dev/null 2>"$W/vzctl.err" ||
				{ echo "vzctl stop --fast $i failed: $(tail -2 "$W/vzctl.err")" >&2; return 1; }
		fi
	done
}
un_start_all() {
	local i j c
	un_parent=() un_init=()
	for ((i = 0; i < count; i++)); do
		setsid unshare --pid --mount --uts --ipc --net --fork --kill-child chroot "$ROOT" /sbin/init </dev/null >/dev/null 2>&1 &
		un_parent[i]=$!
		c=
		for ((j = 0; j < 20000; j++)); do
			[ -z "$c" ] && { read -r c _ 2>/dev/null <"/proc/${un_parent[i]}/task/${un_parent[i]}/children" || true; }
			[ -n "$c" ] && [ "/proc/$c/exe" -ef "$ROOT/bin/busybox" ] && break
			nap 0.0002
		done
		[ -n "$c" ] && [ "/proc/$c/exe" -ef "$ROOT/bin/busybox" ] || { echo "unshare container $i did not start" >&2; return 1; }
		un_init[i]=$c
	done
}
un_check_all() {
	local i
	for ((i = 0; i < count; i++)); do
		[ "/proc/${un_init[i]}/exe" -ef "$ROOT/bin/busybox" ] ||
			{ echo "unshare container $i: its init (PID ${un_init[i]}) is gone" >&2; return 1; }
	done
}
un_stop_all() {
	local i
	for ((i = 0; i < count; i++)); do
		kill -KILL "${un_init[i]}"
		wait "${un_parent[i]}" 2>/dev/null || true
	done
	un_parent=() un_init=()
}

# --- rounds --------------------------------------------------------------
out="$RESULTS/idle-$count-$(date +%Y%m%dT%H%M%S).tsv"
printf 'round\ttool\tmetric\tvalue\n' >"$out"
row() { printf '%s\t%s\t%s\t%s\n' "$r" "$tool" "$1" "$2" >>"$out"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", (b - a) / 1e6 }'; }
tick_ms() { awk -v t="$1" -v hz="$hz" 'BEGIN { printf "%.0f\n", t * 1000 / hz }'; }
declare -A others_seen=()
echo "contenders: ${contenders[*]}; $rounds rounds of $count containers, ${idle}s idle each"
for r in $(seq 1 "$rounds"); do
	order=("${contenders[@]}")
	rotate order "$r"
	for tool in "${order[@]}"; do
		snapshot
		ka0=$(kernel_anon)
		t0=${EPOCHREALTIME/./}
		if [ "$tool" = vzctl ]; then vz_start_all; else un_start_all; fi
		t1=${EPOCHREALTIME/./}
		if [ "$tool" = vzctl ]; then vz_check_all; else un_check_all; fi
		nap 3
		scan
		ka1=$(kernel_anon)
		nap "$idle"
		our_cpu=$(cpu_since_scan our_ticks)
		all_cpu=$(cpu_since_scan all_ticks)
		for n in "${!others[@]}"; do others_seen[$tool:$n]=$((${others_seen[$tool:$n]-0} + others[$n])); done
		t2=${EPOCHREALTIME/./}
		if [ "$tool" = vzctl ]; then vz_stop_all; else un_stop_all; fi
		t3=${EPOCHREALTIME/./}
		if [ "$tool" = vzctl ] && ! reap_node_leftovers "$node"; then
			echo "  round $r vzctl: WARNING: VPS processes ran on after every vzctl stop had succeeded"
			row leftovers 1
		fi
		row start_all_s "$(secs "$t0" "$t1")"
		row stop_all_s "$(secs "$t2" "$t3")"
		row host_procs "$our_n"
		row host_pss_kib "$our_pss"
		row host_rss_kib "$our_rss"
		row host_cpu_ms "$(tick_ms "$our_cpu")"
		row allnew_procs "$all_n"
		row allnew_pss_kib "$all_pss"
		row allnew_cpu_ms "$(tick_ms "$all_cpu")"
		row vps_procs "$vps_n"
		row vps_pss_kib "$vps_pss"
		row otherns_procs "$ons_n"
		row otherns_pss_kib "$ons_pss"
		row kernel_anon_kib "$((ka1 - ka0))"
		echo "  round $r $tool: start $(secs "$t0" "$t1") s, stop $(secs "$t2" "$t3") s;" \
			"host-side $our_n procs, $our_pss KiB PSS, CPU at rest $(tick_ms "$our_cpu") ms" \
			"(all new host processes: $all_n, $all_pss KiB, $(tick_ms "$all_cpu") ms)"
	done
done

# --- summary -------------------------------------------------------------
echo "raw: $out"
med() { awk -F'\t' -v t="$1" -v m="$2" 'NR > 1 && $2 == t && $3 == m { print $4 }' "$out" | median; }
per() { awk -v v="$1" -v n="$count" -v m="${3:-1}" -v f="$2" 'BEGIN { printf f, v / n * m }'; }
echo "medians over $rounds rounds, per container:"
printf '%-8s %9s %9s %6s %9s %9s %10s %9s %12s %12s\n' "" start stop "host" "host PSS" "host RSS" "in-VPS PSS" "other-ns" "kernel+anon" "all-new PSS"
printf '%-8s %9s %9s %6s %9s %9s %10s %9s %12s %12s\n' "" "" "" procs "" "" "" PSS delta ""
for tool in "${contenders[@]}"; do
	printf '%-8s %9s %9s %6s %9s %9s %10s %9s %12s %12s\n' "$tool" \
		"$(per "$(med "$tool" start_all_s)" '%.2f ms' 1000)" \
		"$(per "$(med "$tool" stop_all_s)" '%.2f ms' 1000)" \
		"$(per "$(med "$tool" host_procs)" '%.2f')" \
		"$(per "$(med "$tool" host_pss_kib)" '%.0f KiB')" \
		"$(per "$(med "$tool" host_rss_kib)" '%.0f KiB')" \
		"$(per "$(med "$tool" vps_pss_kib)" '%.0f KiB')" \
		"$(per "$(med "$tool" otherns_pss_kib)" '%.0f KiB')" \
		"$(per "$(med "$tool" kernel_anon_kib)" '%.0f KiB')" \
		"$(per "$(med "$tool" allnew_pss_kib)" '%.0f KiB')"
done
for tool in "${contenders[@]}"; do
	how="SIGKILL to each init"
	if [ "$tool" = vzctl ]; then how="vzctl stop --fast"; [ "$graceful" = 0 ] || how="vzctl stop"; fi
	printf '%s: all %s: start %s s, stop %s s (%s); host CPU at rest over %s s: %s ms (all new host processes: %s ms); target 0\n' \
		"$tool" "$count" "$(med "$tool" start_all_s)" "$(med "$tool" stop_all_s)" "$how" "$idle" \
		"$(med "$tool" host_cpu_ms | awk '{ printf "%.0f", $1 }')" "$(med "$tool" allnew_cpu_ms | awk '{ printf "%.0f", $1 }')"
	list=
	for k in "${!others_seen[@]}"; do
		[ "${k%%:*}" = "$tool" ] && list+=" ${k#*:} ${others_seen[$k]},"
	done
	[ -z "$list" ] || echo "  not the containers' (other activity on the host, in all-new only; summed over the rounds):${list%,}"
done
if [[ " ${contenders[*]} " != *" vzctl "* ]]; then echo "vzctl: not measured (vzctl start not available yet)"; fi
