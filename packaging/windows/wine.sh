#!/bin/sh
# Runs a command under wine in the checkout's own prefix, bin/wine, made on
# first use (wineboot, about 20 s), so that nothing here touches ~/.wine and
# `rm -rf bin` starts afresh. Go programs need the ProcessPrng DLL that make
# builds from processprng.c (wine 8 lacks it); it is put into the prefix's
# system32 whenever it changed, because Go's runtime loads it from there
# and nowhere else.
#
#	packaging/windows/wine.sh prog.exe args...
#	packaging/windows/wine.sh cmd /c "dir C:\\"
#
# WINE_PRNG_DLL names another DLL; WINEPREFIX, if set, another prefix
# (check-installer.sh uses a new one). The exit code is the program's.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dll=${WINE_PRNG_DLL:-$root/bin/windows/bcryptprimitives.dll}
if [ ! -f "$dll" ]; then
	echo "wine.sh: $dll is missing; make bin/windows/bcryptprimitives.dll builds it" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	echo "usage: wine.sh PROGRAM [ARGUMENTS...]" >&2
	exit 2
fi
export WINEPREFIX="${WINEPREFIX:-$root/bin/wine}"
export WINEARCH=win64 WINEDEBUG=-all

# One process makes the prefix; another started meanwhile waits for it.
mkdir -p "$(dirname "$WINEPREFIX")"
(
	flock 9
	if [ ! -f "$WINEPREFIX/system.reg" ]; then
		echo "wine.sh: making the wine prefix $WINEPREFIX (once, about 20 s)" >&2
		# Without mscoree and mshtml wineboot does not offer to download
		# Mono and Gecko, which nothing here needs.
		WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1
		wineserver -w
	fi
	sys32="$WINEPREFIX/drive_c/windows/system32"
	cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp "$dll" "$sys32/bcryptprimitives.dll"
) 9>"$WINEPREFIX.lock"

# n: the DLL in system32 before a built-in one. Wine 8 has none, so it
# would load ours anyway; later wines have their own.
export WINEDLLOVERRIDES="bcryptprimitives=n${WINEDLLOVERRIDES:+;$WINEDLLOVERRIDES}"
exec wine "$@"
