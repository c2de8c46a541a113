#!/bin/sh
# Checks what `make install` writes (make check-install, part of make test):
# the file list of a DESTDIR install with PREFIX=/usr (the .deb's tree), an
# install into a PREFIX and its uninstall, the desktop entry, the AppStream
# metadata, the user unit, and that the man page and the completions know
# every subcommand of this version. check-install.sh VERSION
set -eu
version=$1
make="${MAKE:-make} --no-print-directory"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

# 1. The tree of a package.
$make install DESTDIR="$tmp/stage" PREFIX=/usr >/dev/null
(cd "$tmp/stage" && find . \( -type f -o -type l \) | sort) > "$tmp/got"
cat > "$tmp/want" <<'LIST'
./usr/bin/modelfetch
./usr/lib/systemd/user/modelfetch.service
./usr/share/applications/io.github.modelfetch.desktop
./usr/share/bash-completion/completions/modelfetch
./usr/share/fish/vendor_completions.d/modelfetch.fish
./usr/share/icons/hicolor/128x128/apps/io.github.modelfetch.png
./usr/share/icons/hicolor/256x256/apps/io.github.modelfetch.png
./usr/share/icons/hicolor/48x48/apps/io.github.modelfetch.png
./usr/share/icons/hicolor/512x512/apps/io.github.modelfetch.png
./usr/share/icons/hicolor/64x64/apps/io.github.modelfetch.png
./usr/share/man/man1/modelfetch.1.gz
./usr/share/metainfo/io.github.modelfetch.metainfo.xml
./usr/share/zsh/vendor-completions/_modelfetch
LIST
diff -u "$tmp/want" "$tmp/got" || fail "a DESTDIR install wrote other files than these"
grep -qx 'ExecStart=/usr/bin/modelfetch serve' "$tmp/stage/usr/lib/systemd/user/modelfetch.service" ||
	fail "the user unit does not run /usr/bin/modelfetch serve"
for s in 48 64 128 256 512; do
	file "$tmp/stage/usr/share/icons/hicolor/${s}x$s/apps/io.github.modelfetch.png" | grep -q "PNG image data, $s x $s," ||
		fail "the ${s}px icon is not a $s×$s PNG"
done

# 2. Into a prefix, as `make install PREFIX=$HOME/.local` does, and out again.
prefix="$tmp/prefix"
mkdir -m 0700 "$tmp/run"
$make install PREFIX="$prefix" >/dev/null
bin="$prefix/bin/modelfetch"
desktop-file-validate "$prefix/share/applications/io.github.modelfetch.desktop"
appstreamcli validate --no-net --pedantic "$prefix/share/metainfo/io.github.modelfetch.metainfo.xml" >/dev/null ||
	appstreamcli validate --no-net --pedantic "$prefix/share/metainfo/io.github.modelfetch.metainfo.xml"
unit="$prefix/lib/systemd/user/modelfetch.service"
if command -v systemd-analyze >/dev/null; then
	# It needs a runtime folder even when no systemd runs (in containers).
	# Documentation=man:modelfetch(1) is looked up with man.
	out=$(MANPATH="$prefix/share/man:" XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$tmp/run} systemd-analyze --user verify "$unit" 2>&1) &&
		[ -z "$out" ] || fail "systemd-analyze --user verify: $out"
else
	echo "check-install: systemd-analyze is not installed; the user unit is not verified"
fi
if command -v man >/dev/null; then
	warnings=$(MANWIDTH=80 man --warnings -l "$prefix/share/man/man1/modelfetch.1.gz" 2>&1 >/dev/null)
	[ -z "$warnings" ] || fail "the man page has warnings: $warnings"
fi

# The version is FyneApp.toml's everywhere.
[ "$("$bin" --version 2>/dev/null | head -1)" = "modelfetch $version" ] || fail "modelfetch --version does not say $version"
grep -q "^\.TH MODELFETCH 1 \"[0-9-]*\" \"ModelFetch $version\"" packaging/modelfetch.1 ||
	fail "the man page's version is not $version"
grep -q "<release version=\"$version\"" packaging/io.github.modelfetch.metainfo.xml ||
	fail "the metainfo has no release $version"

# Every subcommand `modelfetch help` lists is in the man page and completions.
commands=$("$bin" help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\).*/\1/p' | sort -u)
[ -n "$commands" ] || fail "modelfetch help lists no subcommands"
for c in $commands; do
	for f in modelfetch.1 completions/modelfetch.bash completions/_modelfetch completions/modelfetch.fish; do
		grep -qw -- "$c" "packaging/$f" || fail "packaging/$f does not know the subcommand $c"
	done
done
bash -n packaging/completions/modelfetch.bash
# Bash completes subcommands and ids through the installed binary.
got=$(PATH="$prefix/bin:$PATH" XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" bash -c '
	. /usr/share/bash-completion/bash_completion
	. "$1/share/bash-completion/completions/modelfetch"
	complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _modelfetch; echo "${COMPREPLY[*]}"; }
	complete_line modelfetch pa; complete_line modelfetch get gem; complete_line modelfetch resume --' _ "$prefix")
[ "$got" = "pause path
gemma-2b
--all" ] || fail "bash completed $got"
! command -v zsh >/dev/null || zsh -n packaging/completions/_modelfetch
! command -v fish >/dev/null || fish --no-execute packaging/completions/modelfetch.fish

$make uninstall PREFIX="$prefix" >/dev/null
left=$(cd "$prefix" && find . -type f ! -name mimeinfo.cache ! -name icon-theme.cache)
[ -z "$left" ] || fail "uninstall left $left"
echo "check-install: the install tree, desktop entry, metainfo, man page, user unit and completions are right"
