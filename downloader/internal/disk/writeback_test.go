package disk

import (
	"os"
	"path/filepath"
	"testing"
)

// StartWriteback of written bytes, and of a range past the end, is no
// error, and the bytes are still what was written.
func TestStartWriteback(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 1 << 20}, {4096, 8192}, {1 << 20, 1 << 20}} {
		if err := StartWriteback(f, r[0], r[1]); err != nil {
			t.Errorf("StartWriteback(%d, %d): %v", r[0], r[1], err)
		}
	}
	if err := SyncData(f); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || string(got) != string(data) {
		t.Errorf("the file changed under writeback (%v)", err)
	}
}
