#!/bin/sh
# Installs the Debian packages named as arguments that are missing, with
# apt-get (through sudo when not root). Elsewhere it says what is needed.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "ModelFetch needs these packages (Debian names):$missing" >&2
	echo "Install their equivalents with your system's package manager, then run make again." >&2
	exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "Installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
