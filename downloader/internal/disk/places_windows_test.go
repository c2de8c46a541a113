package disk

import (
	"path/filepath"
	"testing"
)

// TestWithinWindows: paths on Windows compare by volume and without case,
// and a share is a volume of its own.
func TestWithinWindows(t *testing.T) {
	for _, tc := range []struct {
		path, root string
		want       bool
	}{
		{`C:\Users\you\Models\x.gguf`, `C:\Users\you`, true},
		{`c:\users\YOU\models`, `C:\Users\you`, true},
		{`C:\Users\you`, `C:\Users\you`, true},
		{`C:\Users\yours`, `C:\Users\you`, false},
		{`C:\Users`, `C:\Users\you`, false},
		{`D:\Users\you\Models`, `C:\Users\you`, false},
		{`\\server\share\models\x`, `\\server\share\models`, true},
		{`\\server\other\models\x`, `\\server\share\models`, false},
		{`C:\Users\you\..foo`, `C:\Users\you`, true},
	} {
		if got := Within(filepath.Clean(tc.path), filepath.Clean(tc.root)); got != tc.want {
			t.Errorf("Within(%s, %s) = %v, want %v", tc.path, tc.root, got, tc.want)
		}
	}
}

// TestPlacesOtherDrive: a folder on another drive than the roots and the
// home is outside, and a drive's root is never allowed.
func TestPlacesOtherDrive(t *testing.T) {
	home := t.TempDir()
	rule := NewPlaces([]string{filepath.Join(home, "models")}, home)
	for _, dir := range []string{`Z:\tmp\models`, `Z:\`, filepath.VolumeName(home) + `\`, `relative\models`, `\rooted\without\drive`} {
		if got, err := rule.Check(dir); err == nil {
			t.Errorf("Check(%s) = %s, want a refusal", dir, got)
		}
	}
	if _, err := rule.Check(filepath.Join(home, "Models", "mine")); err != nil {
		t.Errorf("a folder of the home: %v", err)
	}
}
