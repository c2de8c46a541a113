package instance

import (
	"os"
	"testing"
)

// checkPrivate checks that the file at path exists. Windows has no file
// modes: the log is private by the access list of its folder, the user's
// profile (%LOCALAPPDATA%), which a test folder does not have.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}
