#!/usr/bin/env bash
# vzctl create from an OS template against GNU tar and bsdtar extracting the
# same tarball onto the same disk (issue 2's figure).
#
#   bench/create-vs-tar.sh [-n ROUNDS] [-t TEMPLATE] [FORMAT...]
#
# FORMAT is gz, xz or zst (default: all three); TEMPLATE defaults to
# debian-12-x86_64-minimal, read from templates/cache/ (build it with
# `make template-debian`). Each round makes a fresh ext4 file system on a
# loop image and runs the three contenders into it in a rotating order, so
# none always goes first. Nothing is fsync'd by any of them. vzctl's time is
# the whole command: lock, config, extraction, rename, config write.
# Prints medians and the ratio of vzctl to the faster peer; raw rows go to
# bench/results/create-vs-tar-<time>.tsv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rounds=5
template=debian-12-x86_64-minimal
while getopts n:t: o; do
	case $o in
	n) rounds=$OPTARG ;;
	t) template=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS] [-t TEMPLATE] [gz|xz|zst...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(gz xz zst)
need_release_build
command -v bsdtar >/dev/null || { echo "bsdtar missing: apt-get install libarchive-tools" >&2; exit 1; }

out="$RESULTS/create-vs-tar-$(date +%Y%m%dT%H%M%S).tsv"
printf 'format\ttool\tround\tseconds\n' >"$out"
mnt=/tmp/vzbench-create.$$
img=
cleanup() { [ -z "$img" ] || drop_fs "$mnt" "$img"; }
trap cleanup EXIT

for f in "${formats[@]}"; do
	src="$REPO/templates/cache/$template.tar.$f"
	[ -f "$src" ] || { echo "missing $src (make template-debian)" >&2; exit 1; }
	for r in $(seq 1 "$rounds"); do
		img=$(fresh_fs "$mnt")
		make -s -C "$REPO" install-layout DESTDIR="$mnt" >/dev/null
		cp "$src" "$mnt/vz/template/cache/"
		cat "$mnt/vz/template/cache/$template.tar.$f" >/dev/null   # page cache, as for the peers
		tarball="$mnt/vz/template/cache/$template.tar.$f"
		mkdir -p "$mnt/gnutar" "$mnt/bsdtar"
		vz() { VZ_SYSROOT="$mnt" "$BIN/vzctl" --quiet create 101 --ostemplate "$template"; }
		gnu() { tar --numeric-owner -xpf "$tarball" -C "$mnt/gnutar"; }
		bsd() { bsdtar --numeric-owner -xpf "$tarball" -C "$mnt/bsdtar"; }
		order=(vz gnu bsd)
		for i in $(seq 1 $((r % 3))); do order=("${order[@]:1}" "${order[0]}"); done
		for tool in "${order[@]}"; do
			s=$(time_cmd "$tool")
			name=$tool; [ "$tool" = vz ] && name=vzctl; [ "$tool" = gnu ] && name=gnutar; [ "$tool" = bsd ] && name=bsdtar
			printf '%s\t%s\t%s\t%s\n' "$f" "$name" "$r" "$s" >>"$out"
		done
		drop_fs "$mnt" "$img"; img=
	done
done

echo "raw: $out"
# Medians in seconds, and the median over rounds of vzctl / (faster peer of
# that same round on that same fresh file system).
printf '%-6s %10s %10s %10s %12s\n' format vzctl gnutar bsdtar "vzctl/best"
for f in "${formats[@]}"; do
	m() { awk -F'\t' -v f="$f" -v t="$1" '$1 == f && $2 == t { print $4 }' "$out" | median; }
	v=$(m vzctl); g=$(m gnutar); b=$(m bsdtar)
	ratio=$(awk -F'\t' -v f="$f" '$1 == f { t[$3, $2] = $4; r[$3] = 1 }
		END { for (k in r) { best = t[k, "gnutar"] < t[k, "bsdtar"] ? t[k, "gnutar"] : t[k, "bsdtar"]; print t[k, "vzctl"] / best } }' "$out" | median)
	printf '%-6s %10.3f %10.3f %10.3f %12.2f\n' "$f" "$v" "$g" "$b" "$ratio"
done
