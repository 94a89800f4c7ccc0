#!/usr/bin/env bash
# Network setup inside `vzctl start` (issue 5), routed and bridged, against
# the same steps done with `ip`, `nft` and /proc/sys writes, one command
# per step as 4.x's vps-net_add and vznetaddbr scripts did.
#
#   bench/net-setup.sh [-n ROUNDS] [-l LOOP]
#
# A scratch node on a tmpfs (NEIGHBOUR_DEVS=none: nothing is proxied or
# announced on the machine's interfaces) with three busybox VPSes:
#   9101  no network
#   9102  routed: --ipadd 198.51.100.92 --ipadd 2001:db8::92
#   9103  bridged: --netif_add eth0 on a bridge the script makes (no uplink),
#         --ifname eth0 --ipadd 203.0.113.93/24 --gw 203.0.113.1 --mac_filter on
# Contenders, each LOOP times per timed run (default 10):
#   vz-routed, vz-bridged   `vzctl --verbose start`: the "Network configured
#                           in X ms" line, i.e. NetworkLifecycle.start (veth
#                           pair, sysctls, addresses, routes, default routes,
#                           nftables filter, /etc/hostname,hosts,resolv.conf)
#                           plus the whole start, and that of 9101 (no network)
#   ip-routed, ip-bridged   the same interface, address, route and filter
#                           steps with `ip`/`nft`/`echo > /proc/sys` into a
#                           fresh `unshare -n` namespace (made and removed
#                           outside the timing); vzctl's extra work (lookups,
#                           the address-in-use check, the record, the files)
#                           is not in the peer
# Each VPS is stopped after each start (`stop --fast`, timed separately:
# what removing the network costs). Rounds rotate the order;
# one warm-up round is not recorded. Prints medians and the median over
# rounds of vzctl's network time ÷ the ip steps of the same round.
# Raw rows: bench/results/net-setup-<time>.tsv (round, tool, seconds).
set -euo pipefail
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

rounds_and_loops 9 10 "$@"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v nft >/dev/null || { echo "nft missing (apt-get install nftables)" >&2; exit 1; }
need_release_build
tmpl=$(busybox_template)
tname=$(basename "$tmpl" .tar.gz)
vz=$BIN/vzctl

W=/tmp/vzbench-net.$$
node=$W/node
br=vzbbr$$
br=${br:0:15}
holder=
vz_cg=

cleanup() {
	set +e
	for c in 9101 9102 9103; do
		VZ_SYSROOT=$node timeout -k 5 60 "$vz" --quiet stop --fast $c </dev/null >/dev/null 2>&1
	done
	[ -z "$holder" ] || { kill -KILL "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
	ip link del vzbip0 2>/dev/null
	ip link del vzbip1 2>/dev/null
	nft delete table netdev vzbench-ip 2>/dev/null
	ip link del "$br" 2>/dev/null
	if [ -d "$node" ]; then
		reap_node_leftovers "$node"
		[ -z "$vz_cg" ] || drop_vz_node_cgroup "$vz_cg"
	fi
	drop_tmpfs "$W"
}
bench_traps

bench_tmpfs "$W" 1G
scratch_node "$node" "$tmpl" none
ip link add "$br" type bridge
ip link set "$br" up
vzc() { VZ_SYSROOT=$node "$vz" "$@"; }
for c in 9101 9102 9103; do vzc --quiet create $c --ostemplate "$tname" --hostname bench$c.example.com >/dev/null; done
vzc --quiet set 9102 --ipadd 198.51.100.92 --ipadd 2001:db8::92 --save >/dev/null
vzc --quiet set 9103 --netif_add "eth0,,,,$br" --save >/dev/null
vzc --quiet set 9103 --ifname eth0 --ipadd 203.0.113.93/24 --gw 203.0.113.1 --mac_filter on --save >/dev/null

# One vzctl start + stop; appends start µs (and network µs) to the sums.
vz_once() { # CTID
	local t0 t1 t2 t3 line
	t0=${EPOCHREALTIME/./}
	vzc --verbose start "$1" </dev/null >"$W/start.out" 2>&1 || { echo "vzctl start $1 failed: $(tail -2 "$W/start.out")" >&2; return 1; }
	t1=${EPOCHREALTIME/./}
	[ -n "$vz_cg" ] || vz_cg=$(vz_node_cgroup "$(vz_init_pid "$node" "$1")") || true
	line=$(awk '/Network configured in/ { printf "%d", $(NF-1) * 1000 }' "$W/start.out")
	t2=${EPOCHREALTIME/./}
	vzc --quiet stop --fast "$1" </dev/null >/dev/null 2>"$W/stop.err" || { echo "vzctl stop $1 failed: $(cat "$W/stop.err")" >&2; return 1; }
	t3=${EPOCHREALTIME/./}
	start_us=$((start_us + t1 - t0))
	stop_us=$((stop_us + t3 - t2))
	[ -z "$line" ] || net_us=$((net_us + line))
}
vz_run() { # CTID: sets start_us, net_us, stop_us (sums over LOOP)
	local i
	start_us=0 net_us=0 stop_us=0
	for ((i = 0; i < loops; i++)); do vz_once "$1"; done
}

# The peer: a fresh namespace per iteration (untimed), the steps timed.
new_holder() {
	unshare --net sleep 600 &
	holder=$!
	local w
	for ((w = 0; w < 2000; w++)); do
		[ "$(readlink /proc/$holder/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && return 0
	done
	echo "unshare did not come up" >&2
	return 1
}
drop_holder() {
	kill -KILL "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null || true
	holder=
	nft delete table netdev vzbench-ip 2>/dev/null || true
	ip link del vzbip0 2>/dev/null || true
	ip link del vzbip1 2>/dev/null || true
}
in_ns() { nsenter --net=/proc/$holder/ns/net "$@"; }
cat >"$W/routed.nft" <<'EOF'
table netdev vzbench-ip {
	chain vzbip0 {
		type filter hook ingress device "vzbip0" priority -500; policy drop;
		ip saddr 198.51.100.92 accept
		arp saddr ip 198.51.100.92 accept
		ip6 saddr 2001:db8::92 accept
		arp saddr ip 0.0.0.0 accept
		ip6 saddr fe80::/10 accept
		counter drop
	}
}
EOF
cat >"$W/bridged.nft" <<'EOF'
table netdev vzbench-ip {
	chain vzbip1 {
		type filter hook ingress device "vzbip1" priority -500; policy drop;
		ether saddr != 00:18:51:00:00:93 counter drop
		ip saddr 203.0.113.93 accept
		arp saddr ip 203.0.113.93 accept
		arp saddr ip 0.0.0.0 accept
		ip6 saddr fe80::/10 accept
		counter drop
	}
}
EOF
ip_routed() {
	ip link add vzbip0 address fe:18:51:00:00:92 type veth peer name venet0 address 00:18:51:00:00:92 netns "$holder"
	echo 1 >/proc/sys/net/ipv4/conf/vzbip0/proxy_arp
	echo 1 >/proc/sys/net/ipv4/conf/vzbip0/forwarding
	ip link set vzbip0 up
	ip -6 addr add fe80::1/64 dev vzbip0 nodad
	ip route add 198.51.100.92/32 dev vzbip0
	ip -6 route add 2001:db8::92/128 dev vzbip0
	in_ns ip link set venet0 up
	in_ns ip addr add 198.51.100.92/32 dev venet0
	in_ns ip -6 addr add 2001:db8::92/128 dev venet0 nodad
	in_ns ip route add default dev venet0
	in_ns ip -6 route add default via fe80::1 dev venet0 onlink
	nft -f "$W/routed.nft"
}
ip_bridged() {
	ip link add vzbip1 address fe:18:51:00:00:93 type veth peer name eth0 address 00:18:51:00:00:93 netns "$holder"
	ip link set vzbip1 master "$br"
	ip link set vzbip1 up
	in_ns ip link set eth0 up
	in_ns ip addr add 203.0.113.93/24 dev eth0
	in_ns ip route add default via 203.0.113.1 dev eth0 onlink
	nft -f "$W/bridged.nft"
}
ip_run() { # ip_routed|ip_bridged: sets ip_us (sum over LOOP)
	local i t0 t1
	ip_us=0
	for ((i = 0; i < loops; i++)); do
		new_holder
		t0=${EPOCHREALTIME/./}
		"$1" >/dev/null 2>"$W/ip.err" || { echo "$1 failed: $(cat "$W/ip.err")" >&2; return 1; }
		t1=${EPOCHREALTIME/./}
		drop_holder
		ip_us=$((ip_us + t1 - t0))
	done
}

out="$RESULTS/net-setup-$(date +%Y%m%dT%H%M%S).tsv"
printf 'round\ttool\tseconds\n' >"$out"
contenders=(vz-none vz-routed vz-bridged ip-routed ip-bridged)
echo "$rounds rounds (+1 warm-up) of $loops per contender: ${contenders[*]}"
row() { [ "$r" = 0 ] || awk -v r="$r" -v t="$1" -v us="$2" -v n="$loops" 'BEGIN { printf "%s\t%s\t%.6f\n", r, t, us / n / 1e6 }' >>"$out"; }
for r in $(seq 0 "$rounds"); do
	order=("${contenders[@]}")
	rotate order "$r"
	for tool in "${order[@]}"; do
		case $tool in
		vz-none) vz_run 9101; row vz-start-none "$start_us"; row vz-stop-none "$stop_us" ;;
		vz-routed) vz_run 9102; row vz-start-routed "$start_us"; row vz-net-routed "$net_us"; row vz-stop-routed "$stop_us" ;;
		vz-bridged) vz_run 9103; row vz-start-bridged "$start_us"; row vz-net-bridged "$net_us"; row vz-stop-bridged "$stop_us" ;;
		ip-routed) ip_run ip_routed; row ip-routed "$ip_us" ;;
		ip-bridged) ip_run ip_bridged; row ip-bridged "$ip_us" ;;
		esac
	done
	[ "$r" = 0 ] || printf 'round %s done\n' "$r"
done

ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-42s %s\n' "vzctl start, no network (9101)" "$(ms "$(tool_median "$out" vz-start-none)")"
printf '%-42s %s\n' "vzctl stop --fast, no network" "$(ms "$(tool_median "$out" vz-stop-none)")"
for kind in routed bridged; do
	printf '%-42s %s\n' "vzctl start, $kind" "$(ms "$(tool_median "$out" vz-start-$kind)")"
	printf '%-42s %s\n' "  of which network setup (--verbose line)" "$(ms "$(tool_median "$out" vz-net-$kind)")"
	printf '%-42s %s\n' "  the same steps with ip/nft/sysctl" "$(ms "$(tool_median "$out" ip-$kind)")"
	printf '%-42s %s\n' "  ratio vzctl network / ip steps" "$(pair_ratio "$out" vz-net-$kind ip-$kind)"
	printf '%-42s %s\n' "  ratio start $kind / start no network" "$(pair_ratio "$out" vz-start-$kind vz-start-none)"
	printf '%-42s %s\n' "  vzctl stop --fast, $kind" "$(ms "$(tool_median "$out" vz-stop-$kind)")"
done
echo "raw rows: $out"
