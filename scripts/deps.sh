#!/bin/sh
# Install the Debian/Ubuntu packages that `make test` needs, if any is missing.
#
# Usage: scripts/deps.sh 'pkg1 pkg2 alt-a|alt-b ...'
# The list is one argument (the Makefile's DEB_PACKAGES). "a|b" means either package: the first one the
# system knows is installed (Debian's chromium, Ubuntu's chromium-browser).
#
# As root it runs apt-get; otherwise sudo apt-get when sudo is there; otherwise it prints one line naming
# the packages and fails. On a system without apt-get it names the packages and fails.
set -eu

missing=""
for spec in $1; do
	ok=""
	for p in $(echo "$spec" | tr '|' ' '); do
		if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
			ok=1
			break
		fi
	done
	[ -n "$ok" ] && continue
	pick=""
	for p in $(echo "$spec" | tr '|' ' '); do
		if apt-cache show "$p" >/dev/null 2>&1; then
			pick=$p
			break
		fi
	done
	missing="$missing ${pick:-$(echo "$spec" | cut -d'|' -f1)}"
done
missing=${missing# }
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "make test needs these Debian/Ubuntu packages (or your system's equivalents): $missing" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "make test needs these packages; as root run: apt-get install -y $missing" >&2
	exit 1
fi
echo "installing: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt-get may hold the lock (unattended upgrades): wait for it rather than fail.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086 # the package names are words
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
