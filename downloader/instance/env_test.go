package instance

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// TestStoppedJournalIsAWarning: a journal that could not be saved (a full
// state folder) is said as a warning, and a download that succeeded still
// exits 0.
func TestStoppedJournalIsAWarning(t *testing.T) {
	var out strings.Builder
	env := Env{Stderr: &out}
	full := &fs.PathError{Op: "write", Path: "/state/journal.json", Err: syscall.ENOSPC}
	if code := env.Stopped(&StopError{Journal: full}, 0); code != 0 || !strings.Contains(out.String(), "warning") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning", code, out.String())
	}
}
