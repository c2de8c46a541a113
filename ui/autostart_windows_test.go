package ui

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// TestRunEntry writes, finds and removes a Run value, in a key of its own
// so that the person's own start-at-login setting is left alone.
func TestRunEntry(t *testing.T) {
	key := `Software\ModelFetch-test-` + strconv.Itoa(os.Getpid())
	t.Cleanup(func() { registry.DeleteKey(registry.CURRENT_USER, key) })
	e := runEntry{key: key, name: runValue}
	if e.exists() {
		t.Fatal("the entry exists before it was written")
	}
	if err := e.remove(); err != nil {
		t.Fatalf("removing an entry that is not there: %v", err)
	}
	if err := e.write(); err != nil {
		t.Fatal(err)
	}
	if !e.exists() {
		t.Fatal("the entry written is not found")
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := k.GetStringValue(runValue)
	k.Close()
	self, _ := os.Executable()
	if want := `"` + self + `" --hidden`; err != nil || got != want {
		t.Errorf("the entry is %q, %v; want %q", got, err, want)
	}
	if err := e.remove(); err != nil {
		t.Fatal(err)
	}
	if e.exists() {
		t.Error("the entry is still there after it was removed")
	}
}

// TestRunCommand: the console program names the window program beside it.
func TestRunCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Program Files", "ModelFetch")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	com, exe := filepath.Join(dir, "modelfetch.com"), filepath.Join(dir, "modelfetch.exe")
	if got, want := runCommand(com), `"`+com+`" --hidden`; got != want {
		t.Errorf("without an .exe beside it: %q, want %q", got, want)
	}
	if err := os.WriteFile(exe, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, self := range []string{com, exe} {
		if got, want := runCommand(self), `"`+exe+`" --hidden`; got != want {
			t.Errorf("runCommand(%s) = %q, want %q", filepath.Base(self), got, want)
		}
	}
}
