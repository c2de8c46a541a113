//go:build !windows

package instance

import (
	"os"
	"testing"
)

// checkPrivate checks that the file at path is the user's alone (0600).
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600", path, st.Mode(), err)
	}
}
