#!/bin/sh
# Runs Go packages' tests as Windows programs under wine (make test-windows):
#
#	packaging/windows/test.sh ./downloader/origintest ./ui/cli/hush ...
#
# Each package's tests are compiled for windows/amd64 (go test -c, without
# cgo unless CGO_ENABLED=1 is set: then with mingw's gcc) and run in the
# package's folder, as go test runs them, under packaging/windows/wine.sh.
# Per package it prints pass, fail or "does not build", how many tests ran
# (subtests count), and each skipped test with the reason it gave. The
# logs are in bin/windows/test/. TESTFLAGS is passed to every test binary
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

status=0
for pkg in "$@"; do
	name=$(echo "${pkg#./}" | tr / _)
	exe=$out/$name.test.exe
	log=$out/$name.log
	rm -f "$exe"
	if ! (cd "$root" && nice "$GO" test -c -o "$exe" "$pkg") > "$log" 2>&1; then
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
	# shellcheck disable=SC2086 # TESTFLAGS is split into flags on purpose
	if (cd "$dir" && sh "$root/packaging/windows/wine.sh" "$exe" -test.v -test.count=1 -test.timeout=20m ${TESTFLAGS:-}) > "$log" 2>&1; then
		verdict=pass
	else
		verdict="FAIL (exit $?)"
		status=1
	fi
	tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
	passed=$(grep -c -- '--- PASS: ' "$log" || true)
	failed=$(grep -c -- '--- FAIL: ' "$log" || true)
	skipped=$(grep -c -- '--- SKIP: ' "$log" || true)
	echo "$pkg: $verdict: $((passed + failed + skipped)) tests ran, $passed passed, $failed failed, $skipped skipped"
	# Why a test was skipped or failed: its last log line before its SKIP
	# or FAIL line (file.go:N: message), as go test -v prints them.
	awk '/^ +[^ ]+\.go:[0-9]+: /{sub(/^ +/, ""); last=$0}
		/--- (SKIP|FAIL): /{print "    " ($2 == "SKIP:" ? "skipped " : "failed ") $3 ": " last}' "$log"
done
exit $status
