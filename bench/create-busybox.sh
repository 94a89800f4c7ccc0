#!/usr/bin/env bash
# `vzctl create` from the busybox template (issue 2's figure): median wall
# time over R creates on a fresh ext4 file system, each followed by an
# untimed destroy. For scale, the same tarball through GNU tar and bsdtar
# in the same rounds.
#
#   bench/create-busybox.sh [-r RUNS]      (default 21)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=21
while getopts r: o; do
	case $o in
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS]" >&2; exit 2 ;;
	esac
done
need_release_build
tmpl=$(ls "$REPO"/templates/cache/busybox-*.tar.gz 2>/dev/null | head -1)
[ -n "$tmpl" ] || { make -s -C "$REPO" template-busybox >&2; tmpl=$(ls "$REPO"/templates/cache/busybox-*.tar.gz | head -1); }
name=$(basename "$tmpl" .tar.gz)
mnt=/tmp/vzbench-bb.$$
img=$(fresh_fs "$mnt" 2G)
trap 'drop_fs "$mnt" "$img"' EXIT
make -s -C "$REPO" install-layout DESTDIR="$mnt" >/dev/null
cp "$tmpl" "$mnt/vz/template/cache/"
out="$RESULTS/create-busybox-$(date +%Y%m%dT%H%M%S).tsv"
printf 'tool\trun\tseconds\n' >"$out"
for r in $(seq 1 "$runs"); do
	s=$(time_cmd env VZ_SYSROOT="$mnt" "$BIN/vzctl" --quiet create 101 --ostemplate "$name")
	printf 'vzctl\t%s\t%s\n' "$r" "$s" >>"$out"
	VZ_SYSROOT="$mnt" "$BIN/vzctl" --quiet destroy 101
	mkdir "$mnt/t"
	printf 'gnutar\t%s\t%s\n' "$r" "$(time_cmd tar --numeric-owner -xpf "$tmpl" -C "$mnt/t")" >>"$out"
	rm -rf "$mnt/t"; mkdir "$mnt/t"
	printf 'bsdtar\t%s\t%s\n' "$r" "$(time_cmd bsdtar --numeric-owner -xpf "$tmpl" -C "$mnt/t")" >>"$out"
	rm -rf "$mnt/t"
done
echo "raw: $out ($runs runs)"
for t in vzctl gnutar bsdtar; do
	m=$(awk -F'\t' -v t="$t" '$1 == t { print $3 }' "$out" | median)
	awk -v t="$t" -v m="$m" 'BEGIN { printf "%-8s median %6.1f ms\n", t, m * 1000 }'
done
