#!/bin/sh
# Build a tiny OS template from Debian's busybox-static: /bin/busybox, its
# applet symlinks, busybox init as /sbin/init, and just enough /etc to boot
# in a container. Takes a second; the output is reproducible (same busybox
# binary and same tools => same bytes).
#
#   templates/busybox.sh [--format gz|xz|zst|bz2|tar[,...]] [--cache DIR]
#                        [--busybox PATH] [--name NAME] [CACHE_DIR]
#
# Output: CACHE_DIR/busybox-<major.minor>-<arch>.tar.gz by default, e.g.
# busybox-1.35-x86_64.tar.gz. See templates/README.md.
set -eu

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname -- "$0")/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [options] [CACHE_DIR]
Build the busybox OS template into CACHE_DIR (default: --cache, else
\$TEMPLATE/cache, else templates/cache/ in the repository).

  --format LIST   comma-separated output formats: gz (default), xz, zst,
                  bz2, tar
  --cache DIR     same as CACHE_DIR
  --busybox PATH  static busybox binary to use (default /bin/busybox, from
                  Debian's busybox-static)
  --name NAME     template name (default busybox-<major.minor>-<arch>)
  -h, --help      this text

SOURCE_DATE_EPOCH, when set, is the time stamp of every file; otherwise the
busybox binary's modification time is.
EOF
}

formats=gz
cache=
busybox=/bin/busybox
name=
while [ $# -gt 0 ]; do
	case $1 in
	--format | --formats) [ $# -ge 2 ] || die "$1 needs an argument"; formats=$2; shift 2 ;;
	--format=* | --formats=*) formats=${1#*=}; shift ;;
	--cache) [ $# -ge 2 ] || die "$1 needs an argument"; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--busybox) [ $# -ge 2 ] || die "$1 needs an argument"; busybox=$2; shift 2 ;;
	--busybox=*) busybox=${1#*=}; shift ;;
	--name) [ $# -ge 2 ] || die "$1 needs an argument"; name=$2; shift 2 ;;
	--name=*) name=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) break ;;
	esac
done
if [ $# -gt 1 ]; then usage >&2; die "too many arguments"; fi
[ $# -eq 1 ] && cache=$1
check_formats "$formats"
cache=$(cache_dir "$cache")

[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
# A dynamically linked busybox (Debian's "busybox" package) would need the
# host's libc inside the container.
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; use the one from busybox-static"
fi

# "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary."
version=$("$busybox" --help 2>&1 | sed -n '1s/^BusyBox v\([0-9][0-9.]*\).*/\1/p')
[ -n "$version" ] || die "cannot read the version of $busybox"
major_minor=$(printf '%s\n' "$version" | cut -d. -f1-2)
arch=$(uname -m)
case $arch in
i?86) arch=x86 ;;
esac
[ -n "$name" ] || name="busybox-$major_minor-$arch"
case $name in
*/* | .* | '') die "bad template name '$name'" ;;
esac

epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$busybox")}

umask 022
work=
cleanup() {
	[ -z "$PARTIAL" ] || rm -f -- "$PARTIAL"
	[ -z "$work" ] || rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(now)
work=$(mktemp -d "${TMPDIR:-/tmp}/vz-tmpl-busybox.XXXXXX")
root=$work/root
mkdir -m 0755 "$root"

# --- directories -----------------------------------------------------------
for d in bin sbin etc etc/init.d usr usr/bin usr/sbin home mnt var var/log \
	var/spool dev run; do
	mkdir -m 0755 "$root/$d"
done
mkdir -m 0555 "$root/proc" "$root/sys"
mkdir -m 0700 "$root/root"
mkdir -m 1777 "$root/tmp" "$root/var/tmp"
chmod 1777 "$root/tmp" "$root/var/tmp" # mkdir -m may drop the sticky bit
ln -s ../run "$root/var/run"
ln -s ../run/lock "$root/var/lock"

# --- busybox and its applets -------------------------------------------------
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# Relative links (bin/sh -> busybox, usr/bin/env -> ../../bin/busybox), so
# they resolve the same inside the container and from the host.
"$busybox" --list-full | sort | while read -r applet; do
	case $applet in
	'' | /* | *..*) continue ;;
	esac
	[ "$applet" != bin/busybox ] || continue
	dir=$(dirname -- "$applet")
	up=
	if [ "$dir" != . ]; then
		up=$(printf '%s\n' "$dir" | sed 's|[^/][^/]*|..|g')/
	fi
	mkdir -p "$root/$dir"
	ln -s "${up}bin/busybox" "$root/$applet"
done
[ -L "$root/sbin/init" ] || die "$busybox has no init applet"
applets=$("$busybox" --list-full | grep -c .)

# --- /etc ------------------------------------------------------------------
cat >"$root/etc/inittab" <<'EOF'
# /etc/inittab: busybox init in a container.
# Format: <tty>::<action>:<command>   (empty <tty> = the console)

# Mount what the runtime has not mounted, set up lo, start /etc/init.d/S*.
::sysinit:/etc/init.d/rcS

# No getty: a container has no hardware ttys. For "vzctl console", a getty
# on the console can be enabled with:
#console::respawn:/sbin/getty -L 38400 console vt100

::ctrlaltdel:/sbin/reboot
# halt, poweroff, reboot (and "vzctl stop"): stop services, kill every
# process, unmount. busybox init then kills what is left and exits.
::shutdown:/etc/init.d/rcK
# SIGQUIT: re-execute init (after an upgrade of busybox).
::restart:/sbin/init
EOF

cat >"$root/etc/init.d/rcS" <<'EOF'
#!/bin/sh
# System start-up, run once by busybox init (::sysinit: in /etc/inittab).
#
# The container runtime ("vzctl start") normally has /proc, /sys, /dev,
# /dev/pts and /dev/shm mounted before init runs. Mount only what is
# missing, and never fail: init carries on either way.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH

# Error output goes to /dev/null when there is one (without a /dev from the
# runtime, "2>/dev/null" would create a regular file).
if [ -c /dev/null ]; then exec 3>/dev/null; else exec 3>&2; fi

# mounted DIR: DIR is a mount point.
mounted() {
	[ -r /proc/mounts ] || return 1
	while read -r _dev _dir _rest; do
		[ "$_dir" = "$1" ] && return 0
	done </proc/mounts
	return 1
}

[ -r /proc/mounts ] || mount -t proc -o nosuid,nodev,noexec proc /proc 2>&3
mounted /sys || mount -t sysfs -o nosuid,nodev,noexec sysfs /sys 2>&3
# Never mount devtmpfs here: it is the host's device directory. /dev comes
# from the runtime (a private tmpfs with the usual nodes).
if [ -d /dev ] && mounted /dev; then
	[ -d /dev/pts ] || mkdir -p /dev/pts 2>&3
	mounted /dev/pts ||
		mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts 2>&3
	[ -d /dev/shm ] || mkdir -p /dev/shm 2>&3
	mounted /dev/shm || mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm 2>&3
fi
mounted /run || mount -t tmpfs -o nosuid,nodev,mode=0755 run /run 2>&3
mkdir -p /run/lock 2>&3

# The runtime writes /etc/hostname ("vzctl set --hostname"); a new UTS
# namespace starts with the host's name, so apply the file.
[ -s /etc/hostname ] && hostname -F /etc/hostname 2>&3
ip link set lo up 2>&3 || ifconfig lo 127.0.0.1 up 2>&3

# Anything the admin added to /etc/fstab (empty by default).
mount -a 2>&3

# Services: /etc/init.d/S[0-9][0-9]* in name order, "start".
for s in /etc/init.d/S[0-9][0-9]*; do
	[ -x "$s" ] && "$s" start
done
exit 0
EOF

cat >"$root/etc/init.d/rcK" <<'EOF'
#!/bin/sh
# System shutdown, run by busybox init (::shutdown: in /etc/inittab) on
# halt, poweroff and reboot, i.e. SIGUSR1, SIGUSR2 or SIGTERM to PID 1.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
if [ -c /dev/null ]; then exec 3>/dev/null; else exec 3>&2; fi

# Services: /etc/init.d/S[0-9][0-9]* in reverse name order, "stop".
set --
for s in /etc/init.d/S[0-9][0-9]*; do
	set -- "$s" "$@"
done
for s in "$@"; do
	[ -x "$s" ] && "$s" stop
done

# others_alive: a process other than init and this script still runs
# (zombies do not count: init reaps them).
others_alive() {
	for _p in /proc/[0-9]*; do
		_p=${_p#/proc/}
		if [ "$_p" = 1 ] || [ "$_p" = "$$" ]; then continue; fi
		read -r _stat <"/proc/$_p/stat" 2>&3 || continue
		case $_stat in
		*") Z "*) continue ;;
		esac
		return 0
	done
	return 1
}

# kill -1: every process in this PID namespace but init and the caller.
kill -TERM -1 2>&3
_i=0
while [ "$_i" -lt 50 ] && others_alive; do
	sleep 0.1
	_i=$((_i + 1))
done
kill -KILL -1 2>&3
sync

# Unmount what was mounted inside the container (/run, /etc/fstab entries),
# innermost first. "/", /proc, /sys and /dev belong to the runtime and stay:
# the kernel drops them with the mount namespace. Never "umount -r" or
# "mount -o remount,ro /": in a container "/" is a directory of a host file
# system, and remounting that superblock read-only would do it for the host.
set --
while read -r _dev _dir _rest; do
	case $_dir in
	/ | /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) ;;
	*) set -- "$_dir" "$@" ;;
	esac
done </proc/mounts
for _dir in "$@"; do
	umount "$_dir" 2>&3 || umount -l "$_dir" 2>&3
done
sync
exit 0
EOF
chmod 0755 "$root/etc/init.d/rcS" "$root/etc/init.d/rcK"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
# Root's password is locked ("*") until set with "vzctl set --userpasswd".
cat >"$root/etc/shadow" <<'EOF'
root:*::0:99999:7:::
nobody:*::0:99999:7:::
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group"
chmod 0600 "$root/etc/shadow"

echo localhost >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
EOF
# Filled in by the runtime (NAMESERVER / SEARCHDOMAIN).
: >"$root/etc/resolv.conf"
cat >"$root/etc/fstab" <<'EOF'
# /etc/fstab: the runtime mounts the container's root, /proc, /sys and
# /dev; /etc/init.d/rcS runs "mount -a" for anything listed here.
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
EOF
ln -s ../proc/self/mounts "$root/etc/mtab"
cat >"$root/etc/shells" <<'EOF'
/bin/sh
/bin/ash
EOF
cat >"$root/etc/profile" <<'EOF'
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
if [ "$(id -u)" -eq 0 ]; then PS1='\h:\w# '; else PS1='\h:\w$ '; fi
export PS1
EOF
cat >"$root/etc/os-release" <<EOF
NAME="BusyBox"
ID=busybox
VERSION_ID=$version
PRETTY_NAME="BusyBox $version"
EOF

# --- pack -------------------------------------------------------------------
# Reproducible: names sorted, one time stamp, numeric owner 0:0, GNU format
# (no pax headers with access times).
tarfile=$work/template.tar
tar --sort=name --format=gnu --numeric-owner --owner=0 --group=0 \
	--mtime="@$epoch" -C "$root" -cf "$tarfile" .
entries=$(tar -tf "$tarfile" | wc -l)
msg "$name: busybox $version, $applets applets, $entries entries," \
	"$(human "$(du -sb "$root" | cut -f1)") tree"

mkdir -p "$cache"
old_ifs=$IFS
IFS=,
for f in $formats; do
	IFS=$old_ifs
	write_tarball "$tarfile" "$cache" "$name" "$f" 1
done
IFS=$old_ifs
msg "done in $(($(now) - t0)) s"
