package downloader

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// check refuses what no fetch can be (fetch.Validate) and paths where the
// engine will not write (checkPlaces); it returns opts with its Dir
// cleaned.
func (m *Manager) check(id string, requests []fetch.Request, opts fetch.Options) (fetch.Options, error) {
	if err := fetch.Validate(id, requests, opts); err != nil {
		return opts, err
	}
	return m.checkPlaces(requests, opts)
}

// checkPlaces refuses a path a client named where the engine will not
// write (disk.Places, from Config.Roots and Home): the fetch's Dir, and
// each request's Dest, links and stamp. A link may replace only a link
// (or the file that stands for one where there are no symlinks, see
// disk.Replaceable): a file or folder already at a link's path is not the
// engine's. It
// returns opts with its Dir cleaned.
func (m *Manager) checkPlaces(requests []fetch.Request, opts fetch.Options) (fetch.Options, error) {
	dir, err := m.places.Check(opts.Dir)
	if err != nil {
		return opts, err
	}
	opts.Dir = dir
	for _, q := range requests {
		for _, p := range append([]string{q.Dest}, q.Links...) {
			if _, err := m.places.Check(p); err != nil {
				return opts, err
			}
		}
		if q.Stamp != nil {
			if err := m.checkBelow(q.Stamp.Path, opts.Dir); err != nil {
				return opts, err
			}
		}
		if err := m.checkBelow(q.Lock, opts.Dir); err != nil {
			return opts, err
		}
		for _, l := range q.Links {
			if !disk.Replaceable(q.Dest, l) {
				return opts, &fetch.PlaceError{Path: l, Problem: fetch.PlaceTaken}
			}
		}
	}
	return opts, nil
}

// checkBelow refuses a stamp or a lock file where the engine will not
// write: it goes below the fetch's Dir, hidden folders included (a tool
// keeps its metadata there, as `hf download --local-dir` keeps
// .cache/huggingface), or where the rule lets a client name a path.
func (m *Manager) checkBelow(path, dir string) error {
	if path == "" || dir != "" && filepath.IsAbs(path) && !strings.ContainsRune(path, 0) &&
		!slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "..") && disk.Within(filepath.Clean(path), dir) {
		return nil
	}
	_, err := m.places.Check(path)
	return err
}

// Place is the engine's rule for a path a client names (disk.Places from
// Config.Roots and Home): the path cleaned, or a *fetch.PlaceError. A
// client that writes there itself before it asks for a fetch (the Hub's
// layouts) checks it first.
func (m *Manager) Place(path string) (string, error) { return m.places.Check(path) }
