#!/bin/sh
# Build the debian-12-x86_64-minimal OS template: Debian 12 (bookworm)
# minbase from debootstrap, sysvinit as init, OpenSSH, ifupdown, then the
# fix-ups OpenVZ's precreated templates had (no gettys on hardware ttys, no
# SSH host keys, empty resolv.conf, clean apt and logs...).
#
#   templates/debian-12-x86_64-minimal.sh [--formats gz,xz,zst] [--cache DIR]
#       [--mirror URL] [--security-mirror URL] [CACHE_DIR]
#
# Needs root (debootstrap, chroot), debootstrap and network access to the
# mirror. Takes a few minutes, most of it in xz/zstd. See templates/README.md.
set -eu

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname -- "$0")/common.sh"

SUITE=bookworm
VERSION=12
# sysvinit-core provides /sbin/init (no systemd as PID 1), and
# orphan-sysvinit-scripts the init scripts bookworm packages dropped
# (rsyslog's). The rest is what a minimal VPS is expected to have.
PACKAGES=sysvinit-core,orphan-sysvinit-scripts,openssh-server,ifupdown
PACKAGES=$PACKAGES,iproute2,iputils-ping,procps,netbase,ca-certificates
PACKAGES=$PACKAGES,cron,rsyslog,logrotate,less,nano
# Init scripts that make no sense in a container, or are harmful there
# (umountroot remounts "/" read-only, which for a bind-mounted private area
# means the host's file system if the container may do it; bootlogs copies
# the kernel log, i.e. the host's, into /var/log/dmesg).
DISABLE_SCRIPTS="hwclock.sh checkroot.sh checkfs.sh umountroot umountfs brightness mount-configfs bootlogs"

usage() {
	cat <<EOF
Usage: $PROG [options] [CACHE_DIR]
Build the Debian $VERSION ($SUITE) minimal OS template into CACHE_DIR (default:
--cache, else \$TEMPLATE/cache, else templates/cache/ in the repository).

  --formats LIST          comma-separated: gz, xz, zst, bz2, tar
                          (default gz,xz,zst)
  --cache DIR             same as CACHE_DIR
  --mirror URL            Debian mirror used to build (default: the first
                          $SUITE source in /etc/apt/sources.list{,.d}, else
                          http://deb.debian.org/debian)
  --security-mirror URL   security mirror used to build (same lookup for
                          $SUITE-security, else http://deb.debian.org/debian-security)
  --target-mirror URL     mirror written to the template's sources.list
                          (default http://deb.debian.org/debian)
  --target-security-mirror URL
                          (default http://deb.debian.org/debian-security)
  --include PKGS          extra packages, comma-separated
  --no-upgrade            do not apply $SUITE-updates/-security updates
  --ssh-root-password     let root log in over SSH with a password
                          (PermitRootLogin yes), as "vzctl set --userpasswd"
                          users expect; default is Debian's prohibit-password
  --workdir DIR           parent of the temporary build tree
                          (default \$TMPDIR, else /var/tmp)
  --name NAME             template name (default debian-$VERSION-<arch>-minimal)
  -h, --help              this text
EOF
}

formats=gz,xz,zst
cache=
mirror=
security_mirror=
target_mirror=http://deb.debian.org/debian
target_security_mirror=http://deb.debian.org/debian-security
include=
upgrade=yes
root_password_login=no
workparent=${TMPDIR:-/var/tmp}
name=
need_arg() { [ "$1" -ge 2 ] || die "$2 needs an argument"; }
while [ $# -gt 0 ]; do
	case $1 in
	--formats | --format) need_arg $# "$1"; formats=$2; shift 2 ;;
	--formats=* | --format=*) formats=${1#*=}; shift ;;
	--cache) need_arg $# "$1"; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--mirror) need_arg $# "$1"; mirror=$2; shift 2 ;;
	--mirror=*) mirror=${1#*=}; shift ;;
	--security-mirror) need_arg $# "$1"; security_mirror=$2; shift 2 ;;
	--security-mirror=*) security_mirror=${1#*=}; shift ;;
	--target-mirror) need_arg $# "$1"; target_mirror=$2; shift 2 ;;
	--target-mirror=*) target_mirror=${1#*=}; shift ;;
	--target-security-mirror) need_arg $# "$1"; target_security_mirror=$2; shift 2 ;;
	--target-security-mirror=*) target_security_mirror=${1#*=}; shift ;;
	--include) need_arg $# "$1"; include=$2; shift 2 ;;
	--include=*) include=${1#*=}; shift ;;
	--no-upgrade) upgrade=no; shift ;;
	--ssh-root-password) root_password_login=yes; shift ;;
	--workdir) need_arg $# "$1"; workparent=$2; shift 2 ;;
	--workdir=*) workparent=${1#*=}; shift ;;
	--name) need_arg $# "$1"; name=$2; shift 2 ;;
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

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (apt-get install debootstrap)"
command -v dpkg >/dev/null 2>&1 || die "dpkg not found"

debarch=$(dpkg --print-architecture)
case $debarch in
amd64) arch=x86_64 ;;
i386) arch=x86 ;;
arm64) arch=aarch64 ;;
*) arch=$debarch ;;
esac
[ -n "$name" ] || name="debian-$VERSION-$arch-minimal"
case $name in
*/* | .* | '') die "bad template name '$name'" ;;
esac
[ -z "$include" ] || PACKAGES=$PACKAGES,$include

# apt_source_uri SUITE: the first "deb" URI for SUITE in the host's apt
# sources, one-line (sources.list, *.list) or deb822 (*.sources) format.
apt_source_uri() {
	for _f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$_f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$_f" |
			awk -v want="$1" '$1 == "deb" && $3 == want { print $2; exit }'
	done
	for _f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$_f" ] || continue
		awk -v want="$1" '
			function flush() {
				if (!done && enabled && index(" " types " ", " deb ") &&
				    index(" " suites " ", " " want " ")) {
					split(uris, u, " "); print u[1]; done = 1
				}
				types = uris = suites = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); val = $0
				sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types:") types = val
				else if (key == "uris:") uris = val
				else if (key == "suites:") suites = val
				else if (key == "enabled:" && tolower(val) == "no") enabled = 0
			}
			END { flush() }' "$_f"
	done
}
if [ -z "$mirror" ]; then
	mirror=$(apt_source_uri "$SUITE" | head -n 1)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi
if [ -z "$security_mirror" ]; then
	security_mirror=$(apt_source_uri "$SUITE-security" | head -n 1)
	[ -n "$security_mirror" ] || security_mirror=http://deb.debian.org/debian-security
fi

umask 022
work=
root=
debootstrap_pid=

# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r
}

# kill_chrooted DIR: kill processes whose root directory is in DIR (a
# daemon a maintainer script may have started in the chroot).
kill_chrooted() {
	for _p in /proc/[0-9]*; do
		_r=$(readlink "$_p/root" 2>/dev/null) || continue
		case $_r in
		"$1" | "$1"/*) kill -KILL "${_p#/proc/}" 2>/dev/null || true ;;
		esac
	done
}

# Runs on every exit path: stop debootstrap, kill anything chrooted into
# the tree, unmount whatever is mounted below it (debootstrap mounts /proc
# and /sys in the target while it runs), and only then delete it.
cleanup() {
	_rc=$?
	trap - EXIT HUP INT TERM
	[ -z "$PARTIAL" ] || rm -f -- "$PARTIAL"
	if [ -n "$debootstrap_pid" ] && kill -0 "$debootstrap_pid" 2>/dev/null; then
		# SIGTERM lets debootstrap unmount what it mounted; after 5 s the
		# whole session gets SIGKILL (dpkg can sit on SIGTERM for long).
		# "kill -SIG -PGID" without "--": dash's kill does not take "--".
		kill -TERM "-$debootstrap_pid" 2>/dev/null || true
		_i=0
		while [ "$_i" -lt 50 ] && kill -0 "-$debootstrap_pid" 2>/dev/null; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "-$debootstrap_pid" 2>/dev/null || true
		wait "$debootstrap_pid" 2>/dev/null || true
	fi
	if [ -n "$work" ] && [ -d "$work" ]; then
		case $work in
		*/vz-tmpl-debian.*) ;;
		*) msg "refusing to remove unexpected work dir '$work'"; exit "$_rc" ;;
		esac
		[ -z "$root" ] || kill_chrooted "$root"
		for _try in 1 2 3; do
			_mps=$(mounts_under "$work")
			[ -n "$_mps" ] || break
			for _mp in $_mps; do
				umount "$_mp" 2>/dev/null || umount -l "$_mp" 2>/dev/null || true
			done
		done
		if [ -n "$(mounts_under "$work")" ]; then
			msg "warning: still mounted below $work; not removing it:"
			mounts_under "$work" >&2
		else
			rm -rf --one-file-system -- "$work"
		fi
	fi
	exit "$_rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# in_root CMD...: run CMD in the tree with a clean environment.
in_root() {
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true "$@"
}

# show_log FILE: the end of a log, on failure.
show_log() {
	[ -r "$1" ] || return 0
	msg "last lines of $1:"
	tail -n 25 "$1" >&2
}

t_start=$(now)
mkdir -p "$workparent"
work=$(mktemp -d "$workparent/vz-tmpl-debian.XXXXXX")
work=$(cd "$work" && pwd -P)
chmod 0700 "$work" # the tree holds setuid binaries
root=$work/root
log=$work/build.log

# --- debootstrap -------------------------------------------------------------
msg "debootstrap $SUITE ($debarch, minbase) from $mirror"
t0=$(now)
# In its own session, so that cleanup can stop it and every child it has
# (wget, dpkg in the chroot) with one kill.
setsid debootstrap --variant=minbase --arch="$debarch" --components=main \
	--include="$PACKAGES" "$SUITE" "$root" "$mirror" >"$log" 2>&1 &
debootstrap_pid=$!
if ! wait "$debootstrap_pid"; then
	debootstrap_pid=
	show_log "$log"
	show_log "$root/debootstrap/debootstrap.log"
	die "debootstrap failed"
fi
debootstrap_pid=
t_debootstrap=$(($(now) - t0))
msg "debootstrap done in $t_debootstrap s"

# No service may start in the chroot while packages are configured.
printf '#!/bin/sh\n# Installed by %s while building the template.\nexit 101\n' "$PROG" \
	>"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

# --- updates -------------------------------------------------------------------
write_sources() {
	cat >"$root/etc/apt/sources.list" <<EOF
deb $1 $SUITE main
deb $1 $SUITE-updates main
deb $2 $SUITE-security main
EOF
	chmod 0644 "$root/etc/apt/sources.list"
}
t0=$(now)
if [ "$upgrade" = yes ]; then
	msg "applying $SUITE-updates and $SUITE-security"
	write_sources "$mirror" "$security_mirror"
	if ! { in_root apt-get -q update &&
		in_root apt-get -q -y -o Dpkg::Options::=--force-confold \
			-o Dpkg::Options::=--force-confdef dist-upgrade; } >>"$log" 2>&1; then
		show_log "$log"
		die "upgrading the tree failed"
	fi
fi
write_sources "$target_mirror" "$target_security_mirror"
t_upgrade=$(($(now) - t0))

# --- checks ------------------------------------------------------------------------
init_pkg=$(in_root dpkg-query -S /sbin/init 2>/dev/null | cut -d: -f1)
[ "$init_pkg" = sysvinit-core ] ||
	die "/sbin/init comes from '${init_pkg:-nothing}', not sysvinit-core"
for p in systemd systemd-sysv udev; do
	# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
	if in_root dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
		die "$p got installed; the template must not have it"
	fi
done

# --- container fix-ups ---------------------------------------------------------------
msg "container fix-ups"
cd "$root"

# inittab: no getty on hardware ttys; SIGPWR halts (LXC's convention, also
# usable by "vzctl stop"); sysvinit's SIGINT stays ctrl-alt-del => reboot.
sed -i -e 's|^\([1-6]:[0-9]*:respawn:/sbin/getty.*\)|#\1|' \
	-e '/^p[fno]::power/d' etc/inittab
cat >>etc/inittab <<'EOF'

# --- OS template for vzctl ---------------------------------------------------
# The gettys on tty1-6 above are off: a container has no hardware ttys.
# There is no console getty either; "vzctl console" needs one, e.g.
#c:2345:respawn:/sbin/agetty --noclear --keep-baud console 115200,38400,9600 linux
# SIGPWR to init (the container's PID 1) halts it cleanly.
p0::powerfail:/sbin/init 0
EOF

# sysvinit 3.06 warns at every boot when this (optional) directory is missing.
mkdir -p etc/inittab.d

# Init scripts a container has no use for.
for s in $DISABLE_SCRIPTS; do
	[ -e "etc/init.d/$s" ] || continue
	in_root update-rc.d -f "$s" remove >>"$log" 2>&1 ||
		die "update-rc.d $s remove failed"
done
# Without checkroot, checkroot-bootclean.sh and mountall.sh (which required
# it) would run first, in parallel with mountkernfs.sh, and fail cleaning a
# /run that is being mounted. insserv overrides give them checkroot's place
# in the boot order; unlike edits to the scripts, they survive upgrades.
mkdir -p etc/insserv/overrides
set_required_start() { # SCRIPT DEPS
	sed -n '/^### BEGIN INIT INFO/,/^### END INIT INFO/p' "etc/init.d/$1" |
		sed "s/^# Required-Start:.*/# Required-Start:    $2/" >"etc/insserv/overrides/$1"
	grep -q "^# Required-Start:    $2\$" "etc/insserv/overrides/$1" ||
		die "cannot write an insserv override for $1"
}
set_required_start checkroot-bootclean.sh "mountdevsubfs hostname"
set_required_start mountall.sh "checkroot-bootclean"
in_root insserv >>"$log" 2>&1 || die "insserv failed"

# Host-wide sysctls a container may not set (procps would print "permission
# denied" at every boot): a file of the same name in /etc/sysctl.d masks them.
if [ -f usr/lib/sysctl.d/99-protect-links.conf ]; then
	cat >etc/sysctl.d/99-protect-links.conf <<'EOF'
# Masks /usr/lib/sysctl.d/99-protect-links.conf: fs.protected_* are
# host-wide settings, set by the host, not by a container.
EOF
fi

# ifupdown: the loopback interface (debootstrap leaves it out).
if ! grep -q '^iface lo ' etc/network/interfaces; then
	cat >>etc/network/interfaces <<'EOF'

# The loopback network interface
auto lo
iface lo inet loopback
EOF
fi

# SSH host keys: none in the template (every container would share them);
# generated on first boot, before ssh starts.
rm -f etc/ssh/ssh_host_*
cat >etc/init.d/ssh-keygen-firstboot <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          ssh-keygen-firstboot
# Required-Start:    $local_fs
# Required-Stop:
# X-Start-Before:    ssh
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: Create missing SSH host keys
# Description:       The OS template has no SSH host keys, so that no two
#                    containers share them. Create the missing ones (first
#                    boot, or after they were deleted) before sshd starts.
### END INIT INFO

PATH=/usr/sbin:/usr/bin:/sbin:/bin

. /lib/lsb/init-functions

missing() {
	for t in rsa ecdsa ed25519; do
		[ -s "/etc/ssh/ssh_host_${t}_key" ] || return 0
	done
	return 1
}

case "$1" in
start)
	if [ -x /usr/bin/ssh-keygen ] && missing; then
		log_action_begin_msg "Generating SSH host keys"
		ssh-keygen -A >/dev/null
		log_action_end_msg $?
	fi
	;;
stop | restart | force-reload | status)
	;;
*)
	echo "Usage: $0 start" >&2
	exit 3
	;;
esac
exit 0
EOF
chmod 0755 etc/init.d/ssh-keygen-firstboot
in_root update-rc.d ssh-keygen-firstboot defaults >>"$log" 2>&1 ||
	die "update-rc.d ssh-keygen-firstboot defaults failed"
keygen_link=$(find etc/rc2.d -name 'S*ssh-keygen-firstboot' | head -n 1)
ssh_link=$(find etc/rc2.d -name 'S*ssh' | head -n 1)
if [ -z "$keygen_link" ] || [ -z "$ssh_link" ]; then
	die "ssh-keygen-firstboot or ssh is not enabled in runlevel 2"
fi
[ "$(basename "$keygen_link" | cut -c2-3)" -lt "$(basename "$ssh_link" | cut -c2-3)" ] ||
	die "ssh-keygen-firstboot does not start before ssh ($keygen_link, $ssh_link)"

if [ "$root_password_login" = yes ]; then
	cat >etc/ssh/sshd_config.d/vzctl-template.conf <<'EOF'
# OS template default: root may log in with the password set by
# "vzctl set CTID --userpasswd root:PASSWORD". Delete this file for
# Debian's default (prohibit-password: keys only).
PermitRootLogin yes
EOF
	chmod 0644 etc/ssh/sshd_config.d/vzctl-template.conf
fi

# rsyslog: the kernel log belongs to the host.
if [ -f etc/rsyslog.conf ]; then
	sed -i 's|^\(module(load="imklog".*\)|#\1|' etc/rsyslog.conf
fi

# Host identity that debootstrap copied in: replace with generic files.
# vzctl writes hostname, hosts and resolv.conf from the container's config.
rm -f etc/hostname etc/hosts etc/resolv.conf etc/mailname
echo localhost >etc/hostname
cat >etc/hosts <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
: >etc/resolv.conf
chmod 0644 etc/hostname etc/hosts etc/resolv.conf

cat >etc/fstab <<'EOF'
# /etc/fstab: static file system information.
#
# A container's root, /proc, /sys and /dev are mounted by vzctl; nothing
# needs to be listed here. mountall.sh mounts what is added below.
#
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
EOF
chmod 0644 etc/fstab
rm -f etc/mtab
ln -s ../proc/self/mounts etc/mtab

# Per-machine state that must not be shared by every container.
rm -f var/lib/urandom/random-seed var/lib/systemd/random-seed \
	var/lib/dbus/machine-id
[ ! -e etc/machine-id ] || : >etc/machine-id

# apt: caches and lists.
rm -f usr/sbin/policy-rc.d
in_root apt-get -q clean >>"$log" 2>&1
rm -rf var/lib/apt/lists/* var/cache/apt/*.bin
mkdir -p var/lib/apt/lists/partial
rm -f var/cache/debconf/*-old var/lib/dpkg/*-old

# Logs: keep the files (and their modes), drop the content.
find var/log \( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]' -o -name '*.old' \) \
	-type f -delete
find var/log -type f -exec truncate -s 0 {} +
rm -rf tmp/* tmp/.[!.]* var/tmp/* var/tmp/.[!.]* root/.bash_history root/.lesshst \
	root/.wget-hsts var/backups/*

# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
pkgs=$(in_root dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')

# Last, as nothing may run in the tree after this (a ">/dev/null" in the
# chroot would create a regular file). /dev: the runtime mounts its own (a
# tmpfs with the usual nodes), and the extractor skips device nodes anyway.
# /run: a tmpfs at boot (mountkernfs.sh), leftovers from the build go.
find dev run -mindepth 1 -delete

cd /

special=$(find "$root" -xdev \( -type b -o -type c \) | head -n 5)
[ -z "$special" ] || die "device nodes left in the tree: $special"
[ -z "$(mounts_under "$root")" ] || die "something is mounted below $root"

# --- pack --------------------------------------------------------------------------
t0=$(now)
tarfile=$work/template.tar
tar --numeric-owner --xattrs --xattrs-include='*' --acls --sort=name \
	--format=posix --pax-option='delete=atime,delete=ctime' \
	-C "$root" -cf "$tarfile" .
tree_bytes=$(du -sb "$root" | cut -f1)
entries=$(tar -tf "$tarfile" | wc -l)
msg "$name: $pkgs packages, $entries entries, $(human "$tree_bytes") tree," \
	"$(human "$(wc -c <"$tarfile")") tar"

mkdir -p "$cache"
old_ifs=$IFS
IFS=,
for f in $formats; do
	IFS=$old_ifs
	write_tarball "$tarfile" "$cache" "$name" "$f" 0
done
IFS=$old_ifs
t_pack=$(($(now) - t0))
msg "done in $(($(now) - t_start)) s (debootstrap $t_debootstrap s," \
	"updates $t_upgrade s, packing $t_pack s)"
