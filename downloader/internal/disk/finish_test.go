package disk

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMakeLinks checks that a link is made through new folders over a
// wrong file, names dest's content, is a relative symlink where the
// system makes symlinks (else the file itself), is left alone when right,
// and follows dest when dest is replaced.
func TestMakeLinks(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "blobs", "abc")
	writeFile(t, dest, "x")
	link := filepath.Join(dir, "snapshots", "c1", "sub", "f.gguf")
	writeFile(t, link, "a wrong file")
	if err := MakeLinks(dest, []string{link}); err != nil {
		t.Fatal(err)
	}
	checkLink(t, link, "x")
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		got, err := os.Readlink(link)
		if want := filepath.Join("..", "..", "..", "blobs", "abc"); err != nil || got != want {
			t.Fatalf("link -> %q, %v; want %q", got, err, want)
		}
	} else if canSymlink(t, dir) {
		t.Fatal("the link is no symlink, where symlinks can be made")
	}
	if err := MakeLinks(dest, []string{link}); err != nil {
		t.Fatal(err)
	}
	if again, err := os.Lstat(link); err != nil || !os.SameFile(fi, again) {
		t.Errorf("a right link was made again: %v", err)
	}
	// A repaired file replaces dest by a rename: the link names the new one.
	writeFile(t, dest+".new", "y")
	if err := Move(dest+".new", dest); err != nil {
		t.Fatal(err)
	}
	if err := MakeLinks(dest, []string{link}); err != nil {
		t.Fatal(err)
	}
	checkLink(t, link, "y")
}

// TestPlaceFile checks the way without symlinks: a hard link where the
// volume makes them, and that a copy with dest's time counts as linked
// while a copy of another time does not.
func TestPlaceFile(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "blob")
	writeFile(t, dest, "model")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dest, past, past); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard")
	if err := placeFile(dest, hard); err != nil {
		t.Fatal(err)
	}
	a, errA := os.Stat(dest)
	b, errB := os.Stat(hard)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Errorf("placeFile made no hard link: %v, %v", errA, errB)
	}
	copied := filepath.Join(dir, "copy")
	if err := copyFile(dest, copied); err != nil {
		t.Fatal(err)
	}
	if linked(dest, copied, "blob") {
		t.Error("a copy of another time counts as linked")
	}
	if err := os.Chtimes(copied, a.ModTime(), a.ModTime()); err != nil {
		t.Fatal(err)
	}
	if !linked(dest, copied, "blob") {
		t.Error("a copy of dest's size and time does not count as linked")
	}
	if err := os.Chtimes(dest, a.ModTime().Add(time.Hour), a.ModTime().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if linked(dest, copied, "blob") {
		t.Error("a copy counts as linked after dest changed")
	}
	mine := filepath.Join(dir, "mine")
	writeFile(t, mine, "a person's file")
	for name, want := range map[string]bool{hard: true, mine: false, filepath.Join(dir, "nothing"): true} {
		if got := Replaceable(dest, name); got != want {
			t.Errorf("Replaceable(%s) = %v, want %v", filepath.Base(name), got, want)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkLink(t *testing.T, link, want string) {
	t.Helper()
	got, err := os.ReadFile(link)
	if err != nil || string(got) != want {
		t.Fatalf("the link reads %q, %v; want %q", got, err, want)
	}
}

// canSymlink reports whether symlinks can be made in dir: not on Windows
// without developer mode, nor under wine, which says it made one and
// makes nothing.
func canSymlink(t *testing.T, dir string) bool {
	t.Helper()
	link := filepath.Join(dir, "probe-link")
	defer os.Remove(link)
	return symlink("probe-target", link) == nil
}
