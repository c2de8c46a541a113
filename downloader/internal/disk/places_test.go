package disk

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

func TestPlaces(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	models := filepath.Join(home, ".cache", "modelfetch", "models")
	state := filepath.Join(home, ".local", "state", "modelfetch")
	partial := filepath.Join(home, ".cache", "modelfetch", "partial")
	for _, d := range []string{models, state, partial, filepath.Join(home, "Models"), filepath.Join(root, "elsewhere")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"in":      filepath.Join(home, "Models"),    // home/in → a folder of home
		"out":     filepath.Join(root, "elsewhere"), // home/out → outside home
		"hidden":  filepath.Join(home, ".cache"),    // home/hidden → a hidden folder
		"dangles": filepath.Join(root, "nothing"),   // home/dangles → nowhere
	}
	symlinks := canSymlink(t, root)
	for name, target := range links {
		if !symlinks {
			continue
		}
		if err := os.Symlink(target, filepath.Join(home, name)); err != nil {
			t.Fatal(err)
		}
	}
	rule := NewPlaces([]string{models}, home, state, partial)
	for _, tc := range []struct {
		dir string
		ok  bool
	}{
		{"", true}, // the default: the models folder
		{models, true},
		{filepath.Join(models, "mine", "new"), true},
		{home, true},
		{filepath.Join(home, "Models"), true},
		{filepath.Join(home, "Models", "not", "yet"), true},
		{filepath.Join(home, "Models") + "/", true},
		{filepath.Join(home, "in", "x"), true},
		{filepath.Join(home, ".config", "autostart"), false},
		{filepath.Join(home, "Models", ".hidden"), false},
		{filepath.Join(home, "hidden", "x"), false},
		{filepath.Join(home, "out"), false},
		{filepath.Join(home, "dangles", "x"), false},
		{state, false},
		{filepath.Join(partial, "x"), false},
		{filepath.Join(root, "elsewhere"), false},
		{"/etc", false},
		{"/", false},
		{"relative/path", false},
		{home + "/Models/../Models", false},
		{home + "/Models/./x", true},
	} {
		if !symlinks && underLink(tc.dir, home, links) {
			continue
		}
		got, err := rule.Check(tc.dir)
		if (err == nil) != tc.ok {
			t.Errorf("check(%q): got %q, %v; want allowed=%v", tc.dir, got, err, tc.ok)
			continue
		}
		var de *fetch.PlaceError
		if err != nil && !errors.As(err, &de) {
			t.Errorf("check(%q): got %T, want *fetch.PlaceError", tc.dir, err)
		}
		if err == nil && tc.dir != "" && got != filepath.Clean(tc.dir) {
			t.Errorf("check(%q): got %q, want the cleaned path", tc.dir, got)
		}
	}
}

// underLink reports whether path is below one of the links made in home.
func underLink(path, home string, links map[string]string) bool {
	for name := range links {
		if Within(path, filepath.Join(home, name)) {
			return true
		}
	}
	return false
}
