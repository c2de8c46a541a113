# Reads the output of a Go test binary run with -test.v (see test.sh) and
# prints one line "ran passed failed skipped cleanup crashed", then why
# each test was skipped or failed: its last log line (file.go:N: message).
#
# "cleanup" counts the failed tests whose only errors are t.TempDir's
# cleanup failing with "Invalid function": Go's os.RemoveAll deletes with
# FileDispositionInformationEx, which wine 8 does not implement, so under
# wine every test that leaves a file in a TempDir folder fails there. A
# parent test counts when all of its failed subtests do. "crashed" is 1
# when the binary panicked or timed out.

/^=== (RUN|CONT|NAME|PAUSE) / {
	current = $3
	next
}
/^ *--- (PASS|FAIL|SKIP): / {
	name = $3
	if ($2 == "PASS:") {
		passed++
	} else if ($2 == "SKIP:") {
		why[++shown] = "    skipped " name ": " last[name]
		skipped++
	} else {
		failedName[++failed] = name
	}
	next
}
/^ +[^ ]+\.go:[0-9]+: / {
	line = $0
	sub(/^ +/, "", line)
	last[current] = line
	messages[current]++
	if (line ~ /TempDir RemoveAll cleanup: .*: Invalid function\.$/)
		cleanupMessages[current]++
	next
}
/^panic: |^fatal error: |^panic: test timed out/ {
	crashed = 1
}

function cleanupOnly(name,    i, other, any) {
	if (messages[name] > 0)
		return messages[name] == cleanupMessages[name]
	any = 0
	for (i = 1; i <= failed; i++) {
		other = failedName[i]
		if (index(other, name "/") != 1 || messages[other] == 0)
			continue
		if (messages[other] != cleanupMessages[other])
			return 0
		any = 1
	}
	return any
}

END {
	cleanup = 0
	for (i = 1; i <= failed; i++) {
		name = failedName[i]
		if (cleanupOnly(name)) {
			cleanup++
			cleanupNames = cleanupNames (cleanupNames == "" ? "" : ", ") name
		} else if (messages[name] > 0) { # a parent's failed subtests speak for it
			why[++shown] = "    failed " name ": " last[name]
		}
	}
	print passed + failed + skipped, passed + 0, failed + 0, skipped + 0, cleanup, crashed + 0
	for (i = 1; i <= shown; i++)
		print why[i]
	if (cleanup > 0)
		print "    failed only at TempDir cleanup (wine 8): " cleanupNames
}
