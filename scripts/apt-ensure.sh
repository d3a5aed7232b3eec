#!/usr/bin/env bash
# apt-ensure.sh PACKAGE... installs the Debian packages that are not installed
# yet. It runs `apt-get update` at most once, and only when something is
# missing; it prints nothing when every package is already there.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

missing=()
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != "install ok installed" ]]; then
		missing+=("$pkg")
	fi
done
((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null; then
		echo "apt-ensure: missing Debian packages: ${missing[*]}; run as root or install them" >&2
		exit 1
	fi
	sudo=(sudo -n)
fi

echo "apt-ensure: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" >/dev/null
