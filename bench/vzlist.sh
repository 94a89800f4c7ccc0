#!/usr/bin/env bash
# vzlist over many configured containers (issue 2's figure): a scratch node
# with N containers (configs from the vswap-256m sample with hostnames,
# addresses, names and descriptions, and existing private areas), then the
# median wall time of `vzlist -a`, `vzlist -a -j` and `vzlist -a -o
# ctid,hostname,ip,status` over R runs.
#
#   bench/vzlist.sh [-c COUNT] [-r RUNS]        (defaults: 1000, 31)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

count=1000
runs=31
while getopts c:r: o; do
	case $o in
	c) count=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-c COUNT] [-r RUNS]" >&2; exit 2 ;;
	esac
done
need_release_build
node=$(mktemp -d /tmp/vzbench-list.XXXXXX)
trap 'rm -rf "$node"' EXIT
make -s -C "$REPO" install-layout DESTDIR="$node" >/dev/null
sample="$node/etc/vz/conf/ve-vswap-256m.conf-sample"
for i in $(seq 101 $((100 + count))); do
	{
		cat "$sample"
		printf 'VE_ROOT="/vz/root/$VEID"\nVE_PRIVATE="/vz/private/$VEID"\nOSTEMPLATE="debian-12-x86_64-minimal"\n'
		printf 'HOSTNAME="ct%s.hosting.example.com"\nIP_ADDRESS="198.51.100.%s 2001:db8::%x"\n' "$i" $((i % 250 + 1)) "$i"
		printf 'NAME="vps%s"\nDESCRIPTION="customer %s plan basic"\nONBOOT="yes"\nNUMPROC="240:240"\n' "$i" "$i"
	} >"$node/etc/vz/conf/$i.conf"
	mkdir "$node/vz/private/$i"
done

out="$RESULTS/vzlist-$(date +%Y%m%dT%H%M%S).tsv"
printf 'command\trun\tseconds\n' >"$out"
for r in $(seq 1 "$runs"); do
	for c in "-a" "-a -j" "-a -o ctid,hostname,ip,status"; do
		# shellcheck disable=SC2086
		s=$(time_cmd env VZ_SYSROOT="$node" "$BIN/vzlist" $c)
		printf 'vzlist %s\t%s\t%s\n' "$c" "$r" "$s" >>"$out"
	done
done
echo "raw: $out ($count containers, $runs runs each)"
for c in "-a" "-a -j" "-a -o ctid,hostname,ip,status"; do
	m=$(awk -F'\t' -v c="vzlist $c" '$1 == c { print $3 }' "$out" | median)
	awk -v c="vzlist $c" -v m="$m" 'BEGIN { printf "%-40s median %6.1f ms\n", c, m * 1000 }'
done
