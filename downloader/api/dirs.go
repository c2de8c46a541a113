package api

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DirError is a fetch's dir option that the API refuses: the engine would
// write the finished files there, and a client may only choose folders of
// the user's own files.
type DirError struct {
	Dir string
	Why string
}

func (e *DirError) Error() string {
	return fmt.Sprintf("the folder %q cannot receive downloads: %s", e.Dir, e.Why)
}

// Sentence is e for a person (a downloader.Sayer).
func (e *DirError) Sentence() string {
	return fmt.Sprintf("The folder %q cannot receive downloads: %s.", e.Dir, e.Why)
}

// dirRule is where a client may ask for finished files to go.
//
// The rule: an absolute path without "..", which after following symbolic
// links is inside the models folder, or inside the user's home folder on a
// path with no hidden component (so not ~/.ssh, ~/.config or ~/.local,
// where a file could change how programs behave), and never inside the
// engine's own state or partial folders, where a file could replace the
// journal or another download's data.
type dirRule struct {
	models    string   // anything below is allowed
	home      string   // allowed below, except hidden components; "" for none
	forbidden []string // never, even below an allowed root
}

func newDirRule(models, home string, forbidden ...string) dirRule {
	r := dirRule{models: rootPath(models)}
	if home != "" {
		r.home = rootPath(home)
	}
	for _, f := range forbidden {
		if f != "" {
			r.forbidden = append(r.forbidden, rootPath(f))
		}
	}
	return r
}

// check returns the cleaned dir, or a *DirError that says why not.
func (r dirRule) check(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	if !filepath.IsAbs(dir) {
		return "", &DirError{dir, "it is not an absolute path"}
	}
	if slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), "..") {
		return "", &DirError{dir, `it contains ".."`}
	}
	if strings.ContainsRune(dir, 0) {
		return "", &DirError{dir, "it contains a zero byte"}
	}
	clean := filepath.Clean(dir)
	real, err := realPath(clean)
	if err != nil {
		return "", &DirError{dir, "it cannot be checked"}
	}
	for _, f := range r.forbidden {
		if within(real, f) {
			return "", &DirError{dir, "it is inside ModelFetch's own working folders"}
		}
	}
	if within(real, r.models) {
		return clean, nil
	}
	if r.home != "" && within(real, r.home) {
		rel, _ := filepath.Rel(r.home, real)
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if strings.HasPrefix(part, ".") && part != "." {
				return "", &DirError{dir, fmt.Sprintf("it is in the hidden folder %q; choose a visible folder in your home folder", part)}
			}
		}
		return clean, nil
	}
	where := "the models folder " + r.models
	if r.home != "" {
		where += " or your home folder " + r.home
	}
	return "", &DirError{dir, "downloads may only go inside " + where}
}

// within reports whether path is root or below it; both are clean.
func within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// realPath is path with the symbolic links of its longest existing prefix
// followed, so that a link inside an allowed folder that points elsewhere
// is judged by where it points. The part that does not exist yet is kept
// as it is: the engine creates it as plain folders. A dangling link on the
// way is an error, since creating the folders would follow it to wherever
// it points.
func realPath(path string) (string, error) {
	path = filepath.Clean(path)
	rest := ""
	for p := path; ; {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if _, lerr := os.Lstat(p); lerr == nil {
			return "", fmt.Errorf("%s is a symbolic link to something that does not exist", p)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return path, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// rootPath is a configured folder made comparable with realPath's results;
// one that cannot be resolved is taken as written.
func rootPath(path string) string {
	if real, err := realPath(path); err == nil {
		return real
	}
	return filepath.Clean(path)
}

// homeDir is the user's home folder, or "" when it is not known (then only
// the models folder is allowed).
func homeDir() string {
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) || home == "/" {
		return ""
	}
	return home
}
