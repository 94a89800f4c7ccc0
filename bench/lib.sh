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
