package disk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// TestLock checks that a second lock of the same file is ErrLocked while
// the first is held, and that closing the first frees it.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := Lock(filepath.Join(dir, "lock")); !errors.Is(err, fetch.ErrLocked) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("a second lock: got %v, want ErrLocked", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Lock(filepath.Join(dir, "lock"))
	if err != nil {
		t.Fatalf("the lock after its holder closed it: %v", err)
	}
	again.Close()
}

// TestMoveReplaces checks that Move and WriteFile replace what is at the
// destination, also on a path longer than Windows' 260 characters.
func TestMoveReplaces(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, strings.Repeat("d", 100), strings.Repeat("e", 100), strings.Repeat("f", 100))
	for _, folder := range []string{dir, deep} {
		dst := filepath.Join(folder, "model.bin")
		writeFile(t, dst, "old")
		writeFile(t, dst+".part", "new")
		if err := Move(dst+".part", dst); err != nil {
			t.Fatalf("move in a folder of %d characters: %v", len(folder), err)
		}
		checkLink(t, dst, "new")
		if _, err := os.Stat(dst + ".part"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the moved file is still there: %v", err)
		}
		if err := WriteFile(dst, []byte("newer"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkLink(t, dst, "newer")
	}
}

// TestFreeSpace checks that the free space of a folder is known.
func TestFreeSpace(t *testing.T) {
	free, err := FreeSpace(t.TempDir())
	if err != nil || free <= 0 {
		t.Fatalf("free space: got %d, %v; want a positive number", free, err)
	}
}

// TestPreallocate checks that a preallocated file is as long as asked,
// and that preallocating a longer file than asked leaves it alone.
func TestPreallocate(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "part"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int64{1 << 20, 1 << 10} {
		if err := Preallocate(f, size); err != nil {
			t.Fatal(err)
		}
		if st, err := f.Stat(); err != nil || st.Size() != 1<<20 {
			t.Fatalf("after preallocating %d bytes: size %d, %v; want %d", size, st.Size(), err, 1<<20)
		}
	}
	if err := SyncData(f); err != nil {
		t.Fatal(err)
	}
}

// TestBootID checks that the boot is named the same twice (empty only
// where the system does not say).
func TestBootID(t *testing.T) {
	if a, b := BootID(), BootID(); a != b {
		t.Fatalf("boot id %q, then %q", a, b)
	}
}
