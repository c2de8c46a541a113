package disk

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMakeLinksRelative checks that the exported rule makes a relative
// symlink through new folders, and makes it again over a wrong one.
func TestMakeLinksRelative(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "blobs", "abc")
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "snapshots", "c1", "sub", "f.gguf")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere", link); err != nil {
		t.Fatal(err)
	}
	if err := MakeLinks(dest, []string{link}); err != nil {
		t.Fatal(err)
	}
	got, err := os.Readlink(link)
	if want := filepath.Join("..", "..", "..", "blobs", "abc"); err != nil || got != want {
		t.Fatalf("link -> %q, %v; want %q", got, err, want)
	}
}
