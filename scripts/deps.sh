#!/bin/sh
# Install every build and test dependency of fimd on Debian 12 (as root).
set -eu
pkgs="gcc make pkg-config libc6-dev
libssl-dev libjansson-dev libevent-dev libcmocka-dev zlib1g-dev
attr acl libcap2-bin e2fsprogs procps util-linux time python3
inotify-tools valgrind mandoc rsyslog logrotate aide git tar sed coreutils
rsyslog-relp iproute2 python3-yaml
clang libclang-rt-14-dev
sysfsutils systemd binutils
dpkg-dev build-essential debhelper lintian"
# libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes for
# `make fuzz`; clang only recommends it, and recommends are not installed.
# sysfsutils is the small package (a binary, two conffiles) that t500
# reinstalls, overwrites and edits to test package verdicts on real dpkg.
# systemd is for `systemd-analyze verify` of the units in `make lint`,
# binutils for the strings(1) that t900 runs over the installed binary.
# dpkg-dev, build-essential (which dpkg-buildpackage checks for) and
# debhelper build the package of `make deb` and t910, lintian checks it.
# rsyslog-relp and iproute2 are for t920's fleet in network namespaces,
# python3-yaml for scripts/check-examples (the YAML shippers' files).
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (apt-get)" >&2
	exit 1
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# hello is the small package t610 installs and removes (dpkg -i, dpkg -r)
# to test the packages entity; its .deb waits here, not installed.
debs=/var/cache/fimd-tests
if ! ls "$debs"/hello_*.deb >/dev/null 2>&1; then
	mkdir -p "$debs"
	(cd "$debs" && apt-get download -q hello) ||
	    { apt-get update -q && (cd "$debs" && apt-get download -q hello); }
fi
echo "deps.sh: all dependencies present"
