package hf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
)

// Fetch is what the engine is asked to do for files of a plan: one fetch,
// one request a file, under an id that is the same whenever the same
// files of the same commit are asked for (so asking twice joins the first
// fetch instead of starting another).
type Fetch struct {
	ID       string
	Title    string
	Requests []fetch.Request

	plan   Plan
	files  []File // one a request, in order
	layout Layout
}

// NewFetch turns the chosen files of p into the engine's requests for
// layout l, after writing what l writes on resolving (the cache's tag and
// ref). Each request is pinned to the commit's URL, names the file's
// digest (SHA-256 for LFS files, else the git blob id) and size, and
// goes exactly to l's Dest with l's Links made after it; the engine takes
// a Dest already there at its size as done, so a blob shared by
// revisions or repos is fetched once. The CLI, the local API and the
// window all start Hub fetches through it.
func NewFetch(p Plan, files []File, l Layout) (Fetch, error) {
	if len(files) == 0 {
		return Fetch{}, fmt.Errorf("no file of %s was chosen", p.Repo)
	}
	if err := l.Prepare(p); err != nil {
		return Fetch{}, err
	}
	id := sha256.New()
	fmt.Fprintf(id, "%s\x00%s\x00%s\x00", p.Type, p.Repo, p.Commit)
	f := Fetch{Title: p.Title(files), plan: p, files: files, layout: l}
	for _, file := range files {
		dest, err := filepath.Abs(l.Dest(p, file))
		if err != nil {
			return Fetch{}, fmt.Errorf("the place for %s: %w", file.Path, err)
		}
		links := l.Links(p, file)
		for i, link := range links {
			if links[i], err = filepath.Abs(link); err != nil {
				return Fetch{}, fmt.Errorf("the place for %s: %w", file.Path, err)
			}
		}
		req := fetch.Request{URL: file.URL, Name: path.Base(file.Path), Size: file.Size, Dest: dest, Links: links}
		if file.Digest == DigestSHA256 {
			req.SHA256 = file.Blob
		} else {
			req.GitSHA1 = file.Blob
		}
		f.Requests = append(f.Requests, req)
		fmt.Fprintf(id, "%s\x00%s\x00", file.Path, dest)
	}
	f.ID = "hf-" + hex.EncodeToString(id.Sum(nil))[:24]
	return f, nil
}

// Finish completes a succeeded fetch of f's files as its layout asks
// (the metadata of a --dir) and names each file by the path tools open:
// the snapshot's, not the blob's. A snapshot of anything but success is
// returned as it is. The CLI calls it once its fetch has settled; the
// local API and the window through FinishWhenDone.
func (f Fetch) Finish(s fetch.Snapshot) (fetch.Snapshot, error) {
	if s.State != fetch.StateSucceeded || len(s.Records) != len(f.files) {
		return s, nil
	}
	for i, file := range f.files {
		if err := f.layout.Finish(f.plan, file); err != nil {
			return s, err
		}
		if links := f.layout.Links(f.plan, file); len(links) > 0 {
			s.Records[i].Path = links[0]
		}
	}
	return s, nil
}

// FinishWhenDone waits for m's fetch id (f's files, perhaps under an id a
// client chose) to succeed and then Finishes it. A fetch that fails or
// pauses may still be retried or resumed, so it waits on; it returns nil
// when the fetch is removed, and ctx's error when ctx ends first.
func (f Fetch) FinishWhenDone(ctx context.Context, m *downloader.Manager, id string) error {
	sub := m.Subscribe(id, 16)
	defer func() { sub.Close() }()
	for {
		s, ok := m.Get(id)
		if !ok {
			return nil
		}
		if s.State == fetch.StateSucceeded {
			_, err := f.Finish(s)
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-sub.C:
			if !ok { // fell behind: Get above catches up
				sub = m.Subscribe(id, 16)
			}
		}
	}
}
