#!/bin/sh
# Installs, runs and uninstalls a Windows installer under wine, silently,
# in a new wine prefix of its own (thrown away after), and checks what
# each step leaves: check-installer.sh SETUP.EXE [ARGUMENTS...]
#
# The installed program is run as a person would from a new terminal, by
# name (cmd finds modelfetch.com through PATH and PATHEXT), with ARGUMENTS
# (default: version); it must exit 0. Before the install the prefix gets a
# file standing for the person's data and a PATH of their own; after the
# install, the start-at-login value the app writes. After the uninstall
# everything must be as before: the data and their PATH kept, nothing of
# the installer's left. The listings are printed as it goes.
set -eu
setup=$(realpath "$1")
shift
[ $# -gt 0 ] || set -- version
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'WINEPREFIX="$tmp/prefix" wineserver -k 2>/dev/null || true; rm -rf "$tmp"' EXIT
export WINEPREFIX="$tmp/prefix"
wine() { sh "$here/wine.sh" "$@"; }
# cmd and reg print CRLF. (Arguments go to wine one by one: wine quotes one
# that has spaces, and cmd would not read quotes inside it.)
w() { wine "$@" | tr -d '\r'; }

uninst='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\ModelFetch'
aumid='HKCU\Software\Classes\AppUserModelId\io.github.modelfetch'
run='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'

drive=$(realpath "$(w winepath -u "C:\\")")
local=$(realpath "$(w winepath -u "$(w cmd /c echo %LOCALAPPDATA%)")")
roaming=$(realpath "$(w winepath -u "$(w cmd /c echo %APPDATA%)")")
dir=$local/Programs/ModelFetch
menu=$roaming/Microsoft/Windows/Start\ Menu/Programs/ModelFetch.lnk
data=$local/modelfetch/settings.json

# show prints a file's path as Windows does.
show() { printf 'C:%s\n' "${1#"$drive"}" | sed 's|/|\\|g'; }

# query prints a registry key or value, or "absent:" and its name; reg's
# own words for a missing key are not read, only its exit code.
query() {
	if out=$(wine reg query "$@" 2>/dev/null); then printf '%s\n' "$out" | tr -d '\r' | grep .; else printf 'absent: %s\n' "$*"; fi
}

# list prints what the installer may have made, one line each.
list() {
	echo "--- files"
	if [ -d "$dir" ]; then find "$dir" | sort | while read -r f; do show "$f"; done; else printf 'absent: %s\n' "$(show "$dir")"; fi
	for f in "$menu" "$data"; do
		if [ -e "$f" ]; then printf 'present: %s\n' "$(show "$f")"; else printf 'absent: %s\n' "$(show "$f")"; fi
	done
	echo "--- registry"
	query "$uninst"
	query "$aumid"
	query 'HKCU\Environment' /v Path
	query "$run" /v ModelFetch
}

mkdir -p "$(dirname "$data")" && echo '{}' > "$data"
wine reg add 'HKCU\Environment' /v Path /t REG_EXPAND_SZ /d 'C:\tools' /f >/dev/null
echo "=== before: a new prefix, with the person's data and PATH"
before=$(list)
printf '%s\n' "$before"

echo "=== install: $(basename "$setup") /S"
wine "$setup" /S
wineserver -w
list
for f in "$dir/modelfetch.exe" "$dir/modelfetch.com" "$dir/uninstall.exe" "$menu"; do
	[ -f "$f" ] || { echo "check-installer: the installer did not make $f" >&2; exit 1; }
done

printf '=== run: modelfetch %s, from a new cmd in C:\\, found through PATH\n' "$*"
w cmd /c "cd /d C:\\ && modelfetch $*"

echo "=== the app starts at login (as its setting would write), then uninstall.exe /S"
wine reg add "$run" /v ModelFetch /d "\"$(show "$dir")\\modelfetch.exe\" --hidden" /f >/dev/null
query "$run" /v ModelFetch
wine "$dir/uninstall.exe" /S
wineserver -w # the uninstaller runs a copy of itself from %TEMP% and returns at once
after=$(list)
printf '%s\n' "$after"
if [ "$after" != "$before" ]; then
	echo "check-installer: after the uninstall, not as before:" >&2
	printf '%s\n' "$before" > "$tmp/before"
	printf '%s\n' "$after" > "$tmp/after"
	diff "$tmp/before" "$tmp/after" >&2
	exit 1
fi
echo "=== the installer installed, ran and uninstalled cleanly; the person's data and PATH stayed"
