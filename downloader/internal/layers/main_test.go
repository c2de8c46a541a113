package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCheckImports: each import rule is found broken when an import
// breaks it, and an import graph that keeps them passes.
func TestCheckImports(t *testing.T) {
	const m = module
	fine := map[string][]string{
		"/ui":                           {m + "/downloader", m + "/ui/term", "fyne.io/fyne/v2"},
		"/ui/cli":                       {m + "/downloader", m + "/ui/term"},
		"/downloader":                   {m + "/downloader/internal/transfer", m + "/downloader/fetch"},
		"/downloader/internal/transfer": {m + "/downloader/fetch", m + "/downloader/internal/disk"},
	}
	for _, tc := range []struct {
		name     string
		from, to string
		broken   int
	}{
		{"fine", "", "", 0},
		{"window imports the command line", "/ui", m + "/ui/cli", 1},
		{"command line imports the window", "/ui/cli", m + "/ui", 1},
		{"transfer reaches back", "/downloader/internal/transfer", m + "/downloader", 1},
		{"a package under transfer reaches back", "/downloader/internal/transfer/x", m + "/downloader", 1},
		{"engine imports Fyne", "/downloader", "fyne.io/fyne/v2", 1},
		{"engine imports the window", "/downloader/api", m + "/ui/term", 1},
		{"a package beside transfer may import downloader", "/downloader/internal/transferx", m + "/downloader", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := map[string][]string{}
			for p, ds := range fine {
				deps[p] = append([]string(nil), ds...)
			}
			if tc.from != "" {
				deps[tc.from] = append(deps[tc.from], tc.to)
			}
			if got := checkImports("linux", deps); len(got) != tc.broken {
				t.Errorf("got %d broken rules %q, want %d", len(got), got, tc.broken)
			}
		})
	}
}

// TestTopLevel: constants, variables, types and functions count, those
// go/doc files under a type too (its constructors and typed constants),
// each once however many systems declare it; methods and unexported names
// do not.
func TestTopLevel(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a.go":       "package a\n\nconst A = 1\n\nvar B, c int\n\ntype C int\n\nconst D C = 1\n\nfunc NewC() C { return 0 }\n\nfunc (C) M() {}\n\nfunc e() {}\n",
		"a_unix.go":  "//go:build unix\n\npackage a\n\nfunc Sys() {}\n",
		"a_other.go": "//go:build !unix\n\npackage a\n\nfunc Sys() {}\n",
		"a_test.go":  "package a\n\nfunc Helper() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	p, err := loadPackage(dir, ".")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.topLevel(), []string{"A", "B", "C", "D", "NewC", "Sys"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
