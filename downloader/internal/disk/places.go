package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Places is where a client may name a path for the engine to write: a
// fetch's Dir, a request's Dest, Links and Stamp.
//
// The rule: an absolute path without "..", which after following symbolic
// links is inside one of the roots (the models folder, the Hub cache), or
// inside the user's home folder on a path with no hidden component (so not
// ~/.ssh, ~/.config or ~/.local, where a file could change how programs
// behave), and never inside the engine's own state or partial folders,
// where a file could replace the journal or another download's data.
type Places struct {
	roots     []string // anything below is allowed
	home      string   // allowed below, except hidden components; "" for none
	forbidden []string // never, even below an allowed root
}

// NewPlaces is the rule for roots and home ("" for no home), forbidding
// what is below forbidden.
func NewPlaces(roots []string, home string, forbidden ...string) Places {
	var p Places
	for _, r := range roots {
		if r != "" {
			p.roots = append(p.roots, rootPath(r))
		}
	}
	if home != "" {
		p.home = rootPath(home)
	}
	for _, f := range forbidden {
		if f != "" {
			p.forbidden = append(p.forbidden, rootPath(f))
		}
	}
	return p
}

// Check returns the cleaned path, or a *fetch.PlaceError that says why a
// client may not name it.
func (p Places) Check(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	clean, real, err := resolvePlace(path)
	if err != nil {
		return "", err
	}
	for _, f := range p.forbidden {
		if Within(real, f) {
			return "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceInternal}
		}
	}
	for _, r := range p.roots {
		if Within(real, r) {
			return clean, nil
		}
	}
	if p.home != "" && Within(real, p.home) {
		rel, _ := filepath.Rel(p.home, real)
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if strings.HasPrefix(part, ".") && part != "." {
				return "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceHidden, Part: part}
			}
		}
		return clean, nil
	}
	return "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceOutside, Allowed: append(slices.Clone(p.roots), p.home)}
}

// resolvePlace checks path's form and returns it cleaned and with its
// symbolic links followed.
func resolvePlace(path string) (clean, real string, err error) {
	switch {
	case !filepath.IsAbs(path):
		return "", "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceRelative}
	case slices.Contains(strings.Split(filepath.ToSlash(path), "/"), ".."):
		return "", "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceDotDot}
	case strings.ContainsRune(path, 0):
		return "", "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceZeroByte}
	}
	clean = filepath.Clean(path)
	real, err = realPath(clean)
	if err != nil {
		return "", "", &fetch.PlaceError{Path: path, Problem: fetch.PlaceUnresolved}
	}
	return clean, real, nil
}

// Within reports whether path is root or below it; both are clean.
func Within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
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

// HomeDir is the user's home folder, or "" when it is not known (then only
// the roots are allowed).
func HomeDir() string {
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) || home == "/" {
		return ""
	}
	return home
}

// InRoot reports whether path, with its links followed, is below one of
// the roots: a folder whose files the engine may replace when they are
// not what their name says (the Hub cache's blobs are named by their
// digest).
func (p Places) InRoot(path string) bool {
	_, real, err := resolvePlace(path)
	return err == nil && slices.ContainsFunc(p.roots, func(r string) bool { return Within(real, r) })
}
