package hf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Fetch is what the engine is asked to do for files of a plan: one fetch,
// one request a file, under an id that is the same whenever the same
// files of the same commit are asked for (so asking twice joins the first
// fetch instead of starting another).
type Fetch struct {
	ID       string
	Title    string
	Requests []fetch.Request
}

// NewFetch turns the chosen files of p into the engine's requests for
// layout l, after writing what l writes on resolving (the cache's tag and
// ref). Each request is pinned to the commit's URL, names the file's
// digest (SHA-256 for LFS files, else the git blob id) and size, and
// goes exactly to l's Dest with l's Links made and its Stamp written
// after it, by the engine, which journals all three; it takes a Dest
// already there with its digest as done, so a blob shared by revisions or
// repos is fetched once. The CLI, the local API and the window all start
// Hub fetches through it.
func NewFetch(p Plan, files []File, l Layout) (Fetch, error) {
	if len(files) == 0 {
		return Fetch{}, fmt.Errorf("no file of %s was chosen", p.Repo)
	}
	if err := l.Prepare(p); err != nil {
		return Fetch{}, err
	}
	id := sha256.New()
	fmt.Fprintf(id, "%s\x00%s\x00%s\x00", p.Type, p.Repo, p.Commit)
	f := Fetch{Title: p.Title(files)}
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
		req := fetch.Request{URL: file.URL, Name: path.Base(file.Path), Size: file.Size, Dest: dest, Links: links, Stamp: l.Stamp(p, file),
			Model: p.model(file), Lock: l.Lock(p, file)}
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

// model names f as a model file of p's repo, for the apps it may be made
// available to; nil for a dataset's, and for a file that is not a model's
// GGUF. The quantization is the one the name
// asked for: none when it named none and one was picked (Ollama then
// names it :latest, as its own pull does).
func (p Plan) model(f File) *fetch.Model {
	org, repo, ok := strings.Cut(p.Repo, "/")
	if p.Type != TypeModel || !ok || !strings.EqualFold(path.Ext(f.Path), ".gguf") || strings.HasPrefix(strings.ToLower(path.Base(f.Path)), "mmproj") {
		return nil // the apps take a model's GGUF, not its README or its projector
	}
	m := &fetch.Model{Org: org, Repo: repo, File: f.Path}
	if p.Picked == "" {
		m.Quant = f.Quant
	}
	return m
}
