# vzctl / vzlist: build, install, OS templates.
#
#   make                          release build (swift build -c release)
#   make install [DESTDIR=...] [PREFIX=/usr]
#                                 binaries + a node layout (see install-layout)
#   make install-layout           the node layout only, no binaries
#   make uninstall                remove what install put there (containers,
#                                 templates, logs and edited configs stay)
#   make template-busybox         templates/cache/busybox-<ver>-<arch>.tar.gz
#   make template-debian          templates/cache/debian-12-x86_64-minimal.tar.{gz,xz,zst}
#   make lint                     sh -n on etc/, shellcheck on templates/
#   make deps                     Debian packages the build, tests and templates need
#   make check                    deps + the whole test suite (as root; what CI runs)
#   make demo                     deps + build + busybox template + a scratch node
#                                 in $(DEMO_ROOT): create a container, list it
#
# A scratch node: make install DESTDIR=/tmp/n1, then
#   VZ_SYSROOT=/tmp/n1 /tmp/n1/usr/sbin/vzctl create 101 --ostemplate ...

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
# SwiftPM scratch directory; override to build beside another checkout's
# build (e.g. BUILD=.build-tmpl).
BUILD ?= .build
SWIFTFLAGS ?=
INSTALL ?= install

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
DESTDIR ?=

# Where the node's files live. vzctl itself reads /etc/vz/vz.conf (below
# VZ_SYSROOT); the rest comes from vz.conf. Do not change these unless
# vz.conf is changed to match.
VZCONFDIR = /etc/vz
VZDIR = /vz
STATEDIR = /var/lib/vzctl
LOGDIR = /var/log

BINARIES = vzctl vzlist vzubc
BINPATH = $(BUILD)/release

# Sample configs: regular files and the ve-vswap-1g symlink.
SAMPLES = $(notdir $(wildcard etc/conf/ve-*.conf-sample))

# OS templates (templates/README.md).
TEMPLATE_CACHE ?= templates/cache
# Output formats, e.g. FORMATS=gz or FORMATS=gz,xz,zst; empty = the
# recipe's default (busybox: gz; debian: gz,xz,zst).
FORMATS ?=
TEMPLATE_FLAGS = --cache "$(TEMPLATE_CACHE)" $(if $(FORMATS),--formats "$(FORMATS)")

.PHONY: deps check demo all build monitor install install-bin install-layout uninstall clean lint \
	templates template-busybox template-debian

all: build

build:
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path "$(BUILD)" $(SWIFTFLAGS)
	$(MAKE) monitor BUILD="$(BUILD)"

# vzmonitor: the per-VPS parent of a VPS's init and, in its child, the init
# stage (Sources/vzmonitor/).
# Plain C built here, not by SwiftPM, whose executables always link the Swift
# runtime (~2 MB PSS per process; this one stays in the low hundreds of KiB).
# Copied next to the debug and release binaries, where vzctl looks first.
# Static: no dynamic loader at each start (0.3 ms of CPU instead of 0.5),
# and 100 monitors share one binary's pages.
CC ?= cc
MONITOR_CFLAGS ?= -O2 -Wall -Wextra -static
# SwiftPM makes debug/ and release/ symlinks to per-triple directories: only
# copy into those that exist, after every build (they may be new).
monitor: $(BUILD)/vzmonitor
	@for d in debug release; do \
		[ -d "$(BUILD)/$$d/" ] && cp -f "$(BUILD)/vzmonitor" "$(BUILD)/$$d/vzmonitor" || true; \
	done

# runtime.c is the shim's, shared for vz_clone_into.
MONITOR_SRC = Sources/vzmonitor/monitor.c Sources/vzmonitor/initstage.c Sources/vzmonitor/console.c Sources/CVZShim/runtime.c
$(BUILD)/vzmonitor: $(MONITOR_SRC) Sources/vzmonitor/initstage.h Sources/vzmonitor/console.h Sources/CVZShim/include/vzshim.h
	@mkdir -p "$(BUILD)"
	$(CC) $(MONITOR_CFLAGS) -I Sources/CVZShim/include -o "$@" $(MONITOR_SRC) -lcap

install: install-bin install-layout

install-bin: build
	@set -e; \
	for d in $(PREFIX) $(SBINDIR); do \
		[ -d "$(DESTDIR)$$d" ] || $(INSTALL) -d -m 0755 "$(DESTDIR)$$d"; \
	done
	$(INSTALL) -m 0755 $(addprefix $(BINPATH)/,$(BINARIES)) "$(DESTDIR)$(SBINDIR)/"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(PREFIX)/libexec/vzctl"
	$(INSTALL) -m 0755 "$(BUILD)/vzmonitor" "$(DESTDIR)$(PREFIX)/libexec/vzctl/vzmonitor"
	$(INSTALL) -m 0755 "$(BINPATH)/vzextract" "$(DESTDIR)$(PREFIX)/libexec/vzctl/vzextract"

# Every mode is explicit (install -m / install -d -m), so the result does
# not depend on the caller's umask, and each directory is created on its own
# line so that no parent is left to install's umask-derived default.
# System directories (/etc, /var/log, ...) are only created when missing,
# never chmod'ed; the node's own directories get their modes enforced.
install-layout:
	@set -e; \
	for d in /etc /var /var/lib $(LOGDIR) $(PREFIX) $(DATADIR); do \
		[ -d "$(DESTDIR)$$d" ] || $(INSTALL) -d -m 0755 "$(DESTDIR)$$d"; \
	done
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZCONFDIR)"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZCONFDIR)/conf"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZCONFDIR)/names"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(DATADIR)/vzctl"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZDIR)"
	@# Container trees hold setuid binaries and the containers' data: no host
	@# user may reach them. Dumps are memory images, locks are ours alone.
	$(INSTALL) -d -m 0700 "$(DESTDIR)$(VZDIR)/private"
	$(INSTALL) -d -m 0700 "$(DESTDIR)$(VZDIR)/root"
	$(INSTALL) -d -m 0700 "$(DESTDIR)$(VZDIR)/lock"
	$(INSTALL) -d -m 0700 "$(DESTDIR)$(VZDIR)/dump"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZDIR)/template"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(VZDIR)/template/cache"
	$(INSTALL) -d -m 0755 "$(DESTDIR)$(STATEDIR)"
	@# Samples are ours: always overwritten (symlinks recreated as symlinks).
	@set -e; \
	for s in $(SAMPLES); do \
		dst="$(DESTDIR)$(VZCONFDIR)/conf/$$s"; \
		if [ -L "etc/conf/$$s" ]; then \
			ln -sfn "$$(readlink "etc/conf/$$s")" "$$dst"; \
		else \
			rm -f "$$dst"; \
			$(INSTALL) -m 0644 "etc/conf/$$s" "$$dst"; \
		fi; \
	done
	@# vz.conf is a conffile, handled like dpkg does: an existing copy the
	@# admin has edited is NEVER overwritten; the new default is installed
	@# beside it as vz.conf.dist. An unedited copy (identical to the pristine
	@# default kept in $(DATADIR)/vzctl/vz.conf by the previous install) is
	@# upgraded in place. No copy yet: the default is installed.
	@set -e; \
	cur="$(DESTDIR)$(VZCONFDIR)/vz.conf"; \
	old="$(DESTDIR)$(DATADIR)/vzctl/vz.conf"; \
	if [ ! -e "$$cur" ] && [ ! -L "$$cur" ]; then \
		$(INSTALL) -m 0644 etc/vz.conf "$$cur"; \
		echo "installed $$cur"; \
	elif cmp -s etc/vz.conf "$$cur"; then \
		echo "$$cur is up to date"; \
	elif [ -f "$$old" ] && cmp -s "$$old" "$$cur"; then \
		$(INSTALL) -m 0644 etc/vz.conf "$$cur.new"; \
		mv -f "$$cur.new" "$$cur"; \
		echo "upgraded unedited $$cur"; \
	else \
		$(INSTALL) -m 0644 etc/vz.conf "$$cur.dist"; \
		echo "kept the edited $$cur; the new default is $$cur.dist"; \
	fi; \
	$(INSTALL) -m 0644 etc/vz.conf "$$old"

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(SBINDIR)/,$(addsuffix ",$(BINARIES)))
	rm -f "$(DESTDIR)$(PREFIX)/libexec/vzctl/vzmonitor" "$(DESTDIR)$(PREFIX)/libexec/vzctl/vzextract"
	rmdir "$(DESTDIR)$(PREFIX)/libexec/vzctl" 2>/dev/null || true
	rm -f $(addprefix "$(DESTDIR)$(VZCONFDIR)/conf/,$(addsuffix ",$(SAMPLES)))
	@set -e; \
	cur="$(DESTDIR)$(VZCONFDIR)/vz.conf"; \
	old="$(DESTDIR)$(DATADIR)/vzctl/vz.conf"; \
	if [ -f "$$cur" ] && [ -f "$$old" ] && cmp -s "$$old" "$$cur"; then \
		rm -f "$$cur"; \
	elif [ -e "$$cur" ]; then \
		echo "kept the edited $$cur"; \
	fi; \
	rm -f "$$old" "$$cur.dist"; \
	rmdir "$(DESTDIR)$(DATADIR)/vzctl" 2>/dev/null || true
	@echo "containers, templates, logs and state under $(DESTDIR)$(VZDIR)," \
		"$(DESTDIR)$(STATEDIR) and $(DESTDIR)$(VZCONFDIR) were left in place"

clean:
	$(SWIFT) package clean --scratch-path "$(BUILD)"

lint:
	@set -e; \
	for f in etc/vz.conf etc/conf/*.conf-sample; do \
		sh -n "$$f"; bash -n "$$f"; \
	done; \
	echo "etc/: sh -n and bash -n clean"
	@if command -v shellcheck >/dev/null 2>&1; then \
		shellcheck -x templates/*.sh && echo "templates/: shellcheck clean"; \
	else \
		echo "shellcheck not installed; templates/ not checked"; \
	fi

templates: template-busybox template-debian

template-busybox:
	sh templates/busybox.sh $(TEMPLATE_FLAGS)

template-debian:
	sh templates/debian-12-x86_64-minimal.sh $(TEMPLATE_FLAGS)

# Debian packages: libarchive/libcap headers for the build; busybox-static
# for the test template; bsdtar, zstd, xz, bzip2, pigz for templates and
# benchmarks; attr (getfattr) and python3 for tests; debootstrap for the
# Debian template. Installed only when missing.
DEB_PACKAGES = libarchive-dev libcap-dev pkg-config busybox-static libarchive-tools zstd xz-utils \
	bzip2 pigz attr python3 debootstrap e2fsprogs util-linux make gcc libc6-dev iproute2

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The whole suite: unit tests (config, listing, storage, system) and the
# integration tests that run the real vzctl/vzlist as root on scratch nodes.
check: deps monitor
	@[ "$$(id -u)" = 0 ] || { echo "make check runs as root (containers, mounts, locks)" >&2; exit 1; }
	$(SWIFT) build --build-tests --scratch-path "$(BUILD)" $(SWIFTFLAGS)
	$(MAKE) monitor BUILD="$(BUILD)"
	$(SWIFT) test --skip-build --scratch-path "$(BUILD)" $(SWIFTFLAGS)

# The main job on a fresh machine, on a scratch node (nothing touches a
# real /vz or /etc/vz): build, make the busybox template, lay out a node
# with `make install DESTDIR`, create container 101, start it, run commands
# inside, list it, stop it (so the demo leaves nothing running; `make
# demo DEMO_KEEP=1` leaves it running for `vzctl enter 101`).
DEMO_ROOT ?= /var/tmp/vz-demo
DEMO_KEEP ?=
demo: deps
	$(MAKE) template-busybox FORMATS=gz
	$(MAKE) install DESTDIR="$(DEMO_ROOT)"
	cp templates/cache/busybox-*-x86_64.tar.gz "$(DEMO_ROOT)/vz/template/cache/"
	@# The demo VPS's routed address (TEST-NET-2) is announced nowhere: no
	@# proxy ARP/NDP on this machine's own interfaces.
	sed -i 's/^NEIGHBOUR_DEVS=.*/NEIGHBOUR_DEVS="none"/' "$(DEMO_ROOT)/etc/vz/vz.conf"
	@# The node's cgroup parent (vz-<FNV-1a of the node root>, CgroupNode)
	@# goes too when the demo VPS is stopped at the end.
	@set -e; vz="env VZ_SYSROOT=$(DEMO_ROOT) $(DEMO_ROOT)$(SBINDIR)"; \
	tmpl=$$(basename templates/cache/busybox-*-x86_64.tar.gz .tar.gz); \
	if $$vz/vzctl status 101 | grep -q ' running'; then $$vz/vzctl stop --fast 101; fi; \
	if $$vz/vzctl status 101 | grep -q ' exist '; then $$vz/vzctl destroy 101; fi; \
	set -x; \
	$$vz/vzctl create 101 --ostemplate $$tmpl --hostname demo.example.com --ipadd 198.51.100.101 --name demo; \
	$$vz/vzctl set 101 --numproc 200:220 --description "demo container" --save; \
	$$vz/vzctl start 101; \
	$$vz/vzctl exec 101 'hostname; ps; cat /proc/1/cmdline | tr "\\0" " "; echo; ip -o addr show venet0'; \
	$$vz/vzctl status 101; \
	$$vz/vzlist; \
	$$vz/vzlist -a -o ctid,name,hostname,numproc.b,numproc.l,ostemplate,status; \
	set +x; \
	if [ -n "$(DEMO_KEEP)" ]; then \
		echo "CT 101 keeps running: VZ_SYSROOT=$(DEMO_ROOT) $(DEMO_ROOT)$(SBINDIR)/vzctl enter 101"; \
	else \
		set -x; $$vz/vzctl stop 101; $$vz/vzlist -a; set +x; \
		h=2166136261; \
		for c in $$(printf %s "$(DEMO_ROOT)" | od -An -tu1); do h=$$(( (h ^ c) * 16777619 & 0xffffffff )); done; \
		for d in /sys/fs/cgroup/*/vz-$$(printf '%08x' $$h) /sys/fs/cgroup/vz-$$(printf '%08x' $$h); do \
			[ -d "$$d" ] && rmdir "$$d" 2>/dev/null || true; \
		done; \
	fi
