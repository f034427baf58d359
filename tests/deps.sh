#!/bin/sh
# Install the Debian packages that building and testing sr need, saying which; a no-op when all are there.
#
# usage: tests/deps.sh [build]    (build: only what building and running the tools needs)
set -eu

build="make gcc libc6-dev libcsv-dev libsqlite3-dev sqlite3 libpq-dev libevent-dev zlib1g-dev libzstd-dev coreutils"
pkgs="$build clang libclang-rt-14-dev bats
	mandoc mawk gzip zstd valgrind cppcheck clang-tidy shellcheck postgresql
	curl jq python3 nginx chromium wrk
	parallel openssh-server openssh-client iproute2 util-linux
	build-essential dpkg-dev debhelper fakeroot lintian devscripts systemd
	fiu-utils prometheus strace"
[ "${1:-}" = build ] && pkgs=$build

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "sr: installing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "sr: not root: run  apt-get install$missing  as root, then try again" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
