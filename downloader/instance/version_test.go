package instance

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestReadVersion(t *testing.T) {
	v := ReadVersion("1.2.3", "0123456789ab")
	if v.Version != "1.2.3" || v.Commit != "0123456789ab" || !strings.HasPrefix(v.Go, "go") {
		t.Errorf("got %+v, want the stamped version and commit and a Go version", v)
	}
	// A test binary has no stamp and no VCS information (go test does not
	// record it).
	if v := ReadVersion("", ""); v.Version != "dev" || v.Commit != "unknown" {
		t.Errorf("unstamped: got %+v, want dev and unknown", v)
	}
}

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
