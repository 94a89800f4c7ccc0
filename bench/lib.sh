# Shared helpers for the bench/ scripts (sourced, not run).
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$REPO/.build/release}
RESULTS=${RESULTS:-$REPO/bench/results}
mkdir -p "$RESULTS"

need_release_build() {
	if [ ! -x "$BIN/vzctl" ] || [ ! -x "$BIN/vzlist" ]; then
		echo "building release binaries (make build)" >&2
		make -s -C "$REPO" build >&2
	fi
}

# Nanosecond wall clock.
now_ns() { date +%s%N; }

# Runs "$@" and prints its wall time in seconds (%.4f) on stdout; the
# command's own output goes to /dev/null. Fails if the command fails.
time_cmd() {
	local t0 t1
	t0=$(now_ns)
	"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}

# Median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A fresh ext4 file system on a loop image, mounted at $1 (size $2, default
# 4G). The peers' figures (shared/reference/peer-benchmarks.md §6) show that
# an aged host directory measures its own history, not the extractor, so
# every round of a comparison gets a new one.
fresh_fs() {
	local mnt=$1 size=${2:-4G} img
	img=$(mktemp /var/tmp/vzbench-img.XXXXXX)
	truncate -s "$size" "$img"
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$img"
	mkdir -p "$mnt"
	mount -o loop "$img" "$mnt"
	echo "$img"
}

drop_fs() {
	local mnt=$1 img=$2
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
	rm -f "$img"
	rmdir "$mnt" 2>/dev/null || true
}

# --- start/stop, exec and idle benchmarks (start-stop.sh, exec.sh,
# idle-100.sh) -------------------------------------------------------------

# Runs "$@" N times in a row (stdio on /dev/null) and prints the wall time
# per run in seconds (%.6f). For work under ~10 ms, as the peers timed it
# (peer-benchmarks.md §1: 20 per timed run, one fork+exec of the tool per
# call included). The clock is bash's $EPOCHREALTIME: no process is spawned
# to read it. Fails if any run fails.
loop_time() {
	local n=$1 i t0 t1
	shift
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		"$@" </dev/null >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }
	done
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.6f\n", (b - a) / n }'
}

# The busybox OS template (templates/cache/busybox-*.tar.gz), or exits.
busybox_template() {
	local t
	t=$(ls "$REPO"/templates/cache/busybox-*.tar.gz 2>/dev/null | head -1)
	[ -n "$t" ] || { echo "bench: no busybox template; run: make template-busybox" >&2; exit 1; }
	echo "$t"
}

# A tmpfs at $1 (size $2, default 1G) for a benchmark's scratch files.
bench_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-1G},mode=0755" vzbench "$1"
}

# Unmounts everything at and below $1 (innermost first), then removes it.
drop_tmpfs() {
	local d=$1
	[ -d "$d" ] || return 0
	umount -R "$d" 2>/dev/null || umount -R -l "$d" 2>/dev/null || true
	rmdir "$d" 2>/dev/null || true
}

# The vzctl binary to benchmark: $BIN/vzctl, or "" when there is none (no
# build is started: vzctl may be in the middle of being written).
vzctl_bin() {
	if [ -x "$BIN/vzctl" ]; then echo "$BIN/vzctl"; fi
}

# Median over rounds of A/B, both taken from the same round, from a TSV with
# columns round, tool, seconds (header skipped): pair_ratio FILE A B.
pair_ratio() {
	awk -F'\t' -v a="$2" -v b="$3" 'NR > 1 { t[$1, $2] = $3; r[$1] = 1 }
		END { for (k in r) if ((k, a) in t && (k, b) in t && t[k, b] > 0) print t[k, a] / t[k, b] }' "$1" | median
}

# Median of one tool's seconds column from the same kind of TSV.
tool_median() {
	awk -F'\t' -v t="$2" 'NR > 1 && $2 == t { print $3 }' "$1" | median
}

# Rotates the array named $1 left by $2 places (so no contender always goes
# first in a round).
rotate() {
	local -n _a=$1
	local i
	for ((i = 0; i < $2 % ${#_a[@]}; i++)); do _a=("${_a[@]:1}" "${_a[0]}"); done
}

# The INIT_PID that vzctl recorded for CT $2 on the node at $1 (its
# var/lib/vzctl/run/CTID), or fails.
vz_init_pid() {
	local k v pid=
	[ -r "$1/var/lib/vzctl/run/$2" ] || return 1
	while IFS='=' read -r k v; do [ "$k" != INIT_PID ] || pid=$v; done <"$1/var/lib/vzctl/run/$2"
	[ -n "$pid" ] && echo "$pid"
}

# The node-level cgroup (vz-HASH) that vzctl made for a VZ_SYSROOT node,
# read from the cgroups of that node's VPS init PID $1, or fails.
vz_node_cgroup() {
	local line
	while read -r line; do
		[[ ${line#*:*:} =~ ^/(vz-[^/]+)/ ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
	done 2>/dev/null <"/proc/$1/cgroup"
	return 1
}

# Removes a scratch node's vz-HASH cgroup from every hierarchy once it is
# empty (vzctl keeps it after the last VPS stopped). Only vz-* names: never
# a real node's vz.
drop_vz_node_cgroup() {
	local d
	[[ $1 == vz-?* ]] || return 0
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}

# PIDs of the processes whose command line names $1 (a scratch node's path:
# vzctl's monitors carry their VE_ROOT). Builtins only.
node_pids() {
	local p a
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		while IFS= read -r -d '' a; do
			if [[ $a == *"$1"* ]]; then echo "$p"; break; fi
		done 2>/dev/null <"/proc/$p/cmdline"
	done
}

# After vzctl has stopped every VPS of the scratch node $1, nothing of that
# node may run. Anything left (a vzctl bug) is reported and killed: first
# the children (a VPS init: its PID namespace goes with it), then the
# process itself. Fails when something was left.
# rounds_and_loops ROUNDS LOOPS "$@": sets $rounds and $loops from -n and
# -l, with these defaults (the scripts timing work under ~10 ms).
rounds_and_loops() {
	rounds=$1 loops=$2
	shift 2
	local o OPTIND=1
	while getopts n:l: o; do
		case $o in
		n) rounds=$OPTARG ;;
		l) loops=$OPTARG ;;
		*) echo "usage: $0 [-n ROUNDS] [-l LOOP]" >&2; exit 2 ;;
		esac
	done
}

# bench_traps: the signal traps every script sets; its own cleanup()
# runs from EXIT, also after Ctrl-C.
bench_traps() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# scratch_node NODE TEMPLATE [none]: a node laid out at NODE (on a tmpfs the
# caller made) with TEMPLATE in its cache; `none` sets NEIGHBOUR_DEVS=none,
# so a networked VPS is proxied or announced nowhere.
scratch_node() {
	make -s -C "$REPO" install-layout DESTDIR="$1" >/dev/null
	cp "$2" "$1/vz/template/cache/"
	if [ "${3:-}" = none ]; then
		sed -i 's/^NEIGHBOUR_DEVS=.*/NEIGHBOUR_DEVS="none"/' "$1/etc/vz/vz.conf"
		grep -qx 'NEIGHBOUR_DEVS="none"' "$1/etc/vz/vz.conf"
	fi
}

# stop_node_vpses NODE VZCTL FIRST LAST [CGROUP]: stops CTs FIRST..LAST of a
# scratch node (--fast, each bounded in time), reaps what they left and
# removes the node's cgroup parent when given. For cleanup traps.
stop_node_vpses() {
	local node=$1 vz=$2 first=$3 last=$4 cg=${5:-} i
	for ((i = first; i <= last; i++)); do
		[ -e "$node/var/lib/vzctl/run/$i" ] &&
			VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast "$i" </dev/null >/dev/null 2>&1
	done
	reap_node_leftovers "$node"
	[ -z "$cg" ] || drop_vz_node_cgroup "$cg"
}

reap_node_leftovers() {
	local p c left
	left=$(node_pids "$1")
	[ -n "$left" ] || return 0
	echo "bench: WARNING: processes of $1 still run after vzctl stop: ${left//$'\n'/ }; killing them" >&2
	for p in $left; do
		for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do kill -KILL "$c" 2>/dev/null; done
		kill -KILL "$p" 2>/dev/null
	done
	return 1
}

# --- peers shared by start-stop.sh and exec.sh -----------------------------

# A crun bundle in $1 for the read-only rootfs $2 running $3 (e.g.
# /bin/true or /sbin/init) in pid/mount/uts/ipc/network namespaces.
crun_bundle() {
	local dir=$1 root=$2 cmd=$3
	mkdir "$dir"
	(cd "$dir" && crun spec)
	jq --arg root "$root" --arg cmd "$cmd" '.root = {path: $root, readonly: true}
		| .process.args = [$cmd] | .process.terminal = false
		| .linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "uts"}, {type: "ipc"}, {type: "network"}]' \
		"$dir/config.json" >"$dir/config.new"
	mv "$dir/config.new" "$dir/config.json"
}

# lxc-start leaves an empty lxc.pivot cgroup in every hierarchy: note the
# ones that do not exist yet in LXC_PIVOTS, so lxc_cleanup removes only
# those this run made.
LXC_PIVOTS=()
lxc_note_pivots() {
	local d
	for d in /sys/fs/cgroup/*/; do
		[ -e "${d}lxc.pivot" ] || LXC_PIVOTS+=("${d}lxc.pivot")
	done
}

# An LXC container config: lxcpath $1, name $2, read-only rootfs $3, empty
# netns, every hook cleared; extra config lines may follow as $4...
lxc_bench_config() {
	local path=$1 name=$2 root=$3
	shift 3
	mkdir -p "$path/$name"
	{
		printf '%s\n' "lxc.include = /usr/share/lxc/config/common.conf" "lxc.uts.name = bench" \
			"lxc.rootfs.path = dir:$root" "lxc.rootfs.options = ro" "$@" \
			"lxc.net.0.type = empty" "lxc.apparmor.profile = unconfined" \
			'# No hook at all: Debian'"'"'s lxcfs (common.conf.d/00-lxcfs.conf) adds' \
			'# /usr/share/lxcfs/lxc.reboot.hook, a bare "sleep 0.5s" on every stop.'
		local h
		for h in pre-start pre-mount mount autodev start stop post-stop clone destroy; do
			printf 'lxc.hook.%s =\n' "$h"
		done
	} >"$path/$name/config"
}

# Stops the container ($1 lxcpath, $2 name) if its config exists, removes
# the lxc.pivot cgroups this run made and LXC's lock directory for $1.
lxc_cleanup() {
	local path=$1 name=$2 d
	[ ! -d "$path/$name" ] || lxc-stop -P "$path" -n "$name" -k >/dev/null 2>&1
	for d in "${LXC_PIVOTS[@]}"; do rmdir "$d" 2>/dev/null; done
	[ ! -d "/run/lxc/lock$(dirname "$path")" ] || rm -rf "/run/lxc/lock$(dirname "$path")"
}
