#!/bin/sh
# Runs Go packages' tests as Windows programs under wine (make test-windows):
#
#	packaging/windows/test.sh ./downloader/origintest ./ui/cli/hush ...
#	packaging/windows/test.sh ./ui:-test.run=^TestRun
#
# A package may carry flags for its test binary after a colon, separated
# by commas (./ui:-test.run=^TestRun runs only those tests of ./ui).
# Each package's tests are compiled for windows/amd64 (go test -c, without
# cgo unless CGO_ENABLED=1 is set: then with mingw's gcc) and run in the
# package's folder, as go test runs them, under packaging/windows/wine.sh.
# Per package it prints pass, fail or "does not build", how many tests ran
# (subtests count), and each skipped or failed test with the reason it
# gave (testlog.awk).
#
# Wine 8 does not implement the call Go's os.RemoveAll deletes with
# (FileDispositionInformationEx): it answers STATUS_NOT_IMPLEMENTED, which
# Go does not take as "use the older call", so every t.TempDir cleanup
# would fail. The test binaries are built with an overlay of Go's own
# internal/syscall/windows/at_windows.go (in a temporary folder) that takes
# that status, as it takes STATUS_NOT_SUPPORTED, as a reason for the older
# call; real Windows never answers it there, so nothing tested changes.
# If the Go version's file no longer has the line patched, there is no
# overlay, and a test that failed only because wine could not remove its
# TempDir is counted apart and does not fail the package. The logs are
# in bin/windows/test/. TESTFLAGS is passed to every test binary
# (for example TESTFLAGS="-test.run TestX"). It exits 1 when a package did
# not build or failed.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/bin/windows/test
mkdir -p "$out"
GO=${GO:-go}
cgo=${CGO_ENABLED:-0}
export GOOS=windows GOARCH=amd64 CGO_ENABLED="$cgo"
[ "$cgo" = 0 ] || export CC="${CC:-x86_64-w64-mingw32-gcc}"

# overlay: see above; sets $overlay to go test's flag, or to nothing.
overlay=
src=$("$GO" env GOROOT)/src/internal/syscall/windows/at_windows.go
# Outside the checkout, where make test's gofmt, vet and gocyclo would
# read a .go file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
patched=$tmp/at_windows.go
sed 's|^\([[:space:]]*\)STATUS_NOT_SUPPORTED: |\1STATUS_NOT_SUPPORTED, NTStatus(0xC0000002) /* wine 8 */: |' "$src" > "$patched"
if ! cmp -s "$src" "$patched"; then
	printf '{"Replace":{"%s":"%s"}}\n' "$src" "$patched" > "$tmp/overlay.json"
	overlay=-overlay=$tmp/overlay.json
else
	echo "test.sh: Go's at_windows.go changed; running without the overlay (see the comment at the top)" >&2
fi

status=0
for arg in "$@"; do
	pkg=${arg%%:*}
	flags=
	[ "$pkg" = "$arg" ] || flags=$(echo "${arg#*:}" | tr , ' ')
	name=$(echo "${pkg#./}" | tr / _)
	exe=$out/$name.test.exe
	log=$out/$name.log
	rm -f "$exe"
	if ! (cd "$root" && nice "$GO" test $overlay -c -o "$exe" "$pkg") > "$log" 2>&1; then
		echo "$pkg: does not build for windows/amd64"
		sed 's/^/    /' "$log" | head -8
		status=1
		continue
	fi
	if [ ! -f "$exe" ]; then
		echo "$pkg: no tests"
		continue
	fi
	dir=$(cd "$root" && "$GO" list -f '{{.Dir}}' "$pkg")
	# shellcheck disable=SC2086 # the flags are split into words on purpose
	if (cd "$dir" && sh "$root/packaging/windows/wine.sh" "$exe" -test.v -test.count=1 -test.timeout=20m $flags ${TESTFLAGS:-}) > "$log" 2>&1; then
		code=0
	else
		code=$?
	fi
	tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
	awk -f "$root/packaging/windows/testlog.awk" "$log" > "$log.summary"
	read -r ran passed failed skipped cleanup crashed < "$log.summary"
	if [ "$code" = 0 ]; then
		verdict=pass
	elif [ "$crashed" = 0 ] && [ "$failed" -gt 0 ] && [ "$failed" = "$cleanup" ]; then
		verdict="pass but for wine (exit $code)"
	else
		verdict="FAIL (exit $code)"
		status=1
	fi
	echo "$arg: $verdict: $ran tests ran, $passed passed, $failed failed ($cleanup only at wine's TempDir cleanup), $skipped skipped"
	tail -n +2 "$log.summary"
done
exit $status
