//go:build unix

package hf

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// withUmask runs f under umask u. The umask is the process's: tests that
// use it do not run in parallel.
func withUmask(u int, f func()) {
	old := syscall.Umask(u)
	defer syscall.Umask(old)
	f()
}

// cacheModes is the mode of each path of a cache that huggingface_hub
// makes, relative to the cache root.
func cacheModes(t *testing.T, root string, paths []string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	for _, p := range paths {
		if fi, err := os.Lstat(filepath.Join(root, p)); err == nil {
			modes[p] = fi.Mode().Perm()
		}
	}
	return modes
}

// ourCache lays out one file under umask u as the engine and Cache do:
// the blob made 0666 less the umask (as the engine makes its partial
// files), the snapshot's link by the engine's rule, and the lock taken
// once.
func ourCache(t *testing.T, u int) string {
	t.Helper()
	c := Cache{Dir: filepath.Join(t.TempDir(), "hub")}
	data := []byte("weights")
	f := File{Path: "model.gguf", Size: int64(len(data)), Blob: hftest.SHA256Hex(data), Digest: DigestSHA256}
	p := testPlan("main", hftest.CommitMain, f)
	p.Tree = []TreeFile{{Path: f.Path, Size: f.Size, BlobID: "b", LFSSHA256: f.Blob, LFSSize: f.Size}}
	withUmask(u, func() {
		if err := c.Prepare(p); err != nil {
			t.Fatal(err)
		}
		unlock, err := disk.WaitSharedLock(t.Context(), c.Lock(p, f), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.BlobPath(p, f), data, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := disk.MakeLinks(c.BlobPath(p, f), c.Links(p, f)); err != nil {
			t.Fatal(err)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	})
	return c.Dir
}

// modePaths are the paths whose modes huggingface_hub's writes decide.
var modePaths = []string{"CACHEDIR.TAG", "models--org--Tiny-1B-GGUF", "models--org--Tiny-1B-GGUF/blobs",
	"models--org--Tiny-1B-GGUF/blobs/" + hftest.SHA256Hex([]byte("weights")), "models--org--Tiny-1B-GGUF/snapshots",
	"models--org--Tiny-1B-GGUF/snapshots/" + hftest.CommitMain, "models--org--Tiny-1B-GGUF/refs",
	"models--org--Tiny-1B-GGUF/refs/main", "models--org--Tiny-1B-GGUF/trees",
	"models--org--Tiny-1B-GGUF/trees/" + hftest.CommitMain + ".json", ".locks", ".locks/models--org--Tiny-1B-GGUF",
	".locks/models--org--Tiny-1B-GGUF/" + hftest.SHA256Hex([]byte("weights")) + ".lock"}

// TestUmaskModes: under umask 002 and 077, folders are 0777 and files
// 0666 less the umask, as Python's os.makedirs and open make them; the
// tree listing is 0600 (mkstemp) and the lock file 0664 (filelock).
func TestUmaskModes(t *testing.T) {
	for _, u := range []int{0o002, 0o077} {
		modes := cacheModes(t, ourCache(t, u), modePaths)
		for _, p := range modePaths {
			want := fs.FileMode(0o777 &^ u)
			switch {
			case filepath.Ext(p) == ".json":
				want = 0o600
			case filepath.Ext(p) == ".lock":
				want = 0o664
			case p == "CACHEDIR.TAG" || filepath.Base(p) == "main" || filepath.Base(filepath.Dir(p)) == "blobs":
				want = fs.FileMode(0o666 &^ u)
			}
			if modes[p] != want {
				t.Errorf("umask %03o: %s is %v, want %v", u, p, modes[p], want)
			}
		}
	}
}

// TestLockBlob: while one holder has a blob's lock another waits, and
// gets it once the first lets it go.
func TestLockBlob(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	f := File{Path: "m.gguf", Blob: hftest.SHA256Hex([]byte("m"))}
	p := testPlan("main", hftest.CommitMain, f)
	first, err := disk.WaitSharedLock(t.Context(), c.Lock(p, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	waits := 0
	second, err := disk.WaitSharedLock(t.Context(), c.Lock(p, f), func() {
		waits++
		_ = first() // the holder lets go while the other waits
	})
	if err != nil || waits != 1 {
		t.Fatalf("second lock after %d waits: %v", waits, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := disk.WaitSharedLock(ctx, c.Lock(p, f), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a held lock with the context ended: %v", err)
	}
	if err := second(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Lock(p, f)); err != nil {
		t.Errorf("the lock file is gone after unlock (filelock keeps it): %v", err)
	}
}
