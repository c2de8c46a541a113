package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// TestRenameWaitsForHolder checks that a move waits while another handle
// (a virus scanner's, say) holds the file for a moment, and that a holder
// that does not let go makes it fail with the sharing violation.
func TestRenameWaitsForHolder(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.part"), filepath.Join(dir, "a.bin")
	writeFile(t, src, "data")
	holder, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	time.AfterFunc(200*time.Millisecond, func() { released <- holder.Close() })
	if err := Move(src, dst); err != nil {
		t.Fatalf("move while a holder lets go after 200 ms: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	checkLink(t, dst, "data")

	holder, err = os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := Move(dst, src); !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		t.Fatalf("move of a file held throughout: got %v, want a sharing violation", err)
	}
}

// TestLongPath checks the \\?\ forms of long paths.
func TestLongPath(t *testing.T) {
	long := strings.Repeat("x", 250)
	for in, want := range map[string]string{
		`C:\short`:                   `C:\short`,
		`C:\` + long:                 `\\?\C:\` + long,
		`C:\a\..\` + long:            `\\?\C:\` + long,
		`\\server\share\` + long:     `\\?\UNC\server\share\` + long,
		`\\?\C:\` + long:             `\\?\C:\` + long,
		`relative\` + long:           `relative\` + long,
		`C:/forward/slashes/` + long: `\\?\C:\forward\slashes\` + long,
	} {
		if got := longPath(in); got != want {
			t.Errorf("longPath(%.30q…) = %.40q…, want %.40q…", in, got, want)
		}
	}
}

// TestIsNoSpace checks Windows' disk-full errors, as a write returns them.
func TestIsNoSpace(t *testing.T) {
	for _, errno := range []windows.Errno{windows.ERROR_DISK_FULL, windows.ERROR_HANDLE_DISK_FULL, windows.ERROR_DISK_QUOTA_EXCEEDED} {
		if !IsNoSpace(&fs.PathError{Op: "write", Path: `C:\x`, Err: errno}) {
			t.Errorf("IsNoSpace(%d) is false", errno)
		}
	}
	if IsNoSpace(&fs.PathError{Op: "write", Path: `C:\x`, Err: windows.ERROR_ACCESS_DENIED}) {
		t.Error("access denied counts as no space")
	}
}

// TestHashWhileDeleted: a file being hashed can be deleted meanwhile, as a
// person deletes a finished file in Explorer while the engine checks it.
func TestHashWhileDeleted(t *testing.T) {
	name := filepath.Join(t.TempDir(), "model.bin")
	writeFile(t, name, "model")
	f, err := openRead(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Remove(name); err != nil {
		t.Fatalf("remove a file open for hashing: %v", err)
	}
}
