#!/bin/sh
# Screenshots and checks of starting at login (make screenshot-login):
# under Xvfb with a session bus, dunst and a tray host, a download is left in
# the journal by a killed `modelfetch get`; `modelfetch --hidden` then starts
# with no window, registers its tray icon and carries the download on; the
# window's Settings tick and untick "Start ModelFetch when I log in", which
# writes and removes the autostart entry. Without a tray host, --hidden shows
# the window. Run inside: xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session --
# screenshot-login.sh MODELFETCH BENCH OUT-DIR
set -eu
bin=$(realpath "$1") bench=$(realpath "$2") out=$(realpath "$3")
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 1
	rm -rf "$tmp" || true
}
trap cleanup EXIT
say() { echo "screenshot-login: $*"; }
fail() { say "FAILED: $*"; exit 1; }
bg() { "$@" & pids="$pids $!"; }
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
	n=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1)); [ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# A person's home, so that nothing here touches the real one.
export HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run"
unset XDG_CACHE_HOME XDG_STATE_HOME XDG_CONFIG_HOME XDG_DATA_HOME
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 0700 "$HOME" "$XDG_RUNTIME_DIR"
mkdir -p "$tmp/path" && ln -s "$bin" "$tmp/path/modelfetch"
export PATH="$tmp/path:$PATH"
entry="$HOME/.config/autostart/io.github.modelfetch.desktop"

bg dunst
bg status-notifier-watcher
watcher=$!
bg "$bench" -serve -cap 2MB -capped-size 512MiB >"$tmp/bench.log" 2>&1
wait_for 60 grep -q '^SHA-256' "$tmp/bench.log" || fail "the local server did not start"
url=$(grep -m1 '/capped/536870912/' "$tmp/bench.log")

# A download left in the journal, as by a machine turned off mid-download.
modelfetch get --connections 1 --id left-over "$url" >/dev/null 2>"$tmp/get.log" &
get=$!
sleep 4
kill -9 $get
before=$(modelfetch list 2>/dev/null | awk '$1 == "left-over"')
say "after kill -9: $before"

# The login start.
bg dbus-monitor --session "interface='org.kde.StatusNotifierWatcher'" >"$tmp/dbus.log" 2>&1
sleep 0.5
bg modelfetch --hidden >"$tmp/hidden.log" 2>&1
hidden=$!
wait_for 20 grep -q RegisterStatusNotifierItem "$tmp/dbus.log" || fail "no tray icon was registered"
sleep 3
visible=$(xdotool search --onlyvisible --name '^ModelFetch$' 2>/dev/null || true)
[ -z "$visible" ] || fail "--hidden showed a window"
say "--hidden: no window is visible; the watcher heard:"
grep -A1 RegisterStatusNotifierItem "$tmp/dbus.log" | sed 's/^/    /'
dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
	org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher string:RegisteredStatusNotifierItems |
	sed 's/^/    /'
import -window root "$out/login-hidden.png"
sleep 3
after=$(modelfetch list 2>/dev/null | awk '$1 == "left-over"')
say "5 s after the login start: $after"
[ "$after" != "$before" ] || fail "the download left in the journal did not carry on"

# The window, from a second start (as a click in the launcher would).
modelfetch >/dev/null 2>&1 || fail "a second start did not bring the window forward"
wait_for 10 xdotool search --onlyvisible --name '^ModelFetch$' || fail "no window after a second start"
win=$(xdotool search --onlyvisible --name '^ModelFetch$' | head -1)
sleep 1
# Settings: tick the login box (the window sits at 0,0: there is no
# window manager), look, save; the entry is there.
click() { xdotool mousemove --sync "$1" "$2" click 1; sleep 1; }
click 167 21
[ ! -e "$entry" ] || fail "an autostart entry before the box was ticked"
click 438 386
import -window root "$out/login-settings.png"
click 522 425
[ -f "$entry" ] || fail "no autostart entry after ticking the box and saving"
say "ticked and saved: $entry holds"
sed 's/^/    /' "$entry"
grep -qx 'Exec=modelfetch --hidden' "$entry" || fail "the entry does not run modelfetch --hidden"
command -v desktop-file-validate >/dev/null && desktop-file-validate "$entry"
click 167 21
click 438 386
click 522 425
[ ! -e "$entry" ] || fail "the autostart entry is still there after unticking the box and saving"
say "unticked and saved: $entry is gone"

click 261 21
import -window root "$out/about.png"

# Without a tray host, --hidden shows the window: nothing else would.
kill -TERM $hidden
wait_for 10 sh -c "! kill -0 $hidden" || fail "ModelFetch did not quit on SIGTERM"
kill $watcher
bg modelfetch --hidden >"$tmp/hidden2.log" 2>&1
wait_for 20 xdotool search --onlyvisible --name '^ModelFetch$' || fail "--hidden without a tray host showed no window"
sleep 2
import -window root "$out/login-no-tray.png"
say "--hidden without a tray host: the window shows"
