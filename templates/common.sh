# shellcheck shell=sh
# Helpers shared by the template recipes (busybox.sh, debian-*.sh).
# Sourced, not run. POSIX sh.

# Directory holding the recipes, and the repository root.
TEMPLATES_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
REPO_DIR=$(dirname -- "$TEMPLATES_DIR")

PROG=$(basename -- "$0")

msg() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

# Time stamps for the log, in seconds since the epoch.
now() { date +%s; }

# cache_dir [DIR]: where tarballs go, created if needed, as an absolute
# path (the recipes cd around; a relative path would follow them). An
# explicit DIR (--cache or the positional argument) wins, then
# $TEMPLATE/cache (vz.conf's TEMPLATE, when exported), then templates/cache/
# in the repository (git-ignored).
cache_dir() {
	if [ -n "${1:-}" ]; then
		_c=$1
	elif [ -n "${TEMPLATE:-}" ]; then
		_c=$TEMPLATE/cache
	else
		_c=$REPO_DIR/templates/cache
	fi
	mkdir -p -- "$_c" || die "cannot create $_c"
	CDPATH='' cd -- "$_c" && pwd -P
}

# format_ext FORMAT: the file name suffix of a tarball in FORMAT.
format_ext() {
	case $1 in
	gz) echo .tar.gz ;;
	xz) echo .tar.xz ;;
	zst) echo .tar.zst ;;
	bz2) echo .tar.bz2 ;;
	tar) echo .tar ;;
	*) return 1 ;;
	esac
}

# check_formats LIST: LIST is comma-separated; each must be known and its
# compressor installed.
check_formats() {
	_old_ifs=$IFS
	IFS=,
	for _f in $1; do
		format_ext "$_f" >/dev/null ||
			die "unknown format '$_f' (known: gz, xz, zst, bz2, tar)"
		case $_f in
		gz) command -v pigz >/dev/null 2>&1 || command -v gzip >/dev/null 2>&1 ||
			die "gzip or pigz is needed for .tar.gz" ;;
		xz) command -v xz >/dev/null 2>&1 || die "xz (xz-utils) is needed for .tar.xz" ;;
		zst) command -v zstd >/dev/null 2>&1 || die "zstd is needed for .tar.zst" ;;
		bz2) command -v bzip2 >/dev/null 2>&1 || die "bzip2 is needed for .tar.bz2" ;;
		esac
	done
	IFS=$_old_ifs
	[ -n "$1" ] || die "no output format given"
}

# compress FORMAT THREADS: filter stdin to stdout. THREADS=0 uses every CPU
# (pigz, xz -T0, zstd -T0); THREADS=1 is single-threaded, whose output is
# byte-for-byte the same on every machine (used for reproducible builds).
compress() {
	case $1 in
	gz)
		if command -v pigz >/dev/null 2>&1 && [ "$2" != 1 ]; then
			pigz -9 -n -c
		else
			gzip -9 -n -c
		fi ;;
	xz) xz -9 -T"$2" -c ;;
	zst)
		if [ "$2" = 1 ]; then zstd -19 -q -c; else zstd -19 -T0 -q -c; fi ;;
	bz2) bzip2 -9 -c ;;
	tar) cat ;;
	esac
}

# human SIZE_IN_BYTES
human() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1048576) printf "%.1f MiB", b / 1048576;
		else printf "%.1f KiB", b / 1024 }'
}

# The temporary output file being written, for the recipes' cleanup traps.
PARTIAL=

# write_tarball TARFILE CACHE NAME FORMAT THREADS: compress the plain tar
# archive TARFILE into CACHE/NAME.<ext>, through a temporary file in CACHE
# and rename(), so a reader never sees a partial template.
write_tarball() {
	_ext=$(format_ext "$4")
	_out="$2/$3$_ext"
	_tmp="$2/.$3$_ext.tmp.$$"
	_t0=$(now)
	PARTIAL=$_tmp
	if ! compress "$4" "$5" <"$1" >"$_tmp"; then
		rm -f -- "$_tmp"
		die "compressing $_out failed"
	fi
	chmod 0644 "$_tmp"
	mv -f -- "$_tmp" "$_out"
	# shellcheck disable=SC2034 # read by the recipes' cleanup traps
	PARTIAL=
	_size=$(wc -c <"$_out" | tr -d ' ')
	msg "wrote $_out ($(human "$_size"), $(($(now) - _t0)) s)"
}
