package hf_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// A Hub name's whole way into the Hub cache: parse it, resolve it to a
// plan pinned to a commit, turn the plan into the engine's requests for a
// layout (NewFetch), and let the engine fetch, verify, place and link
// them. Files the layout already has are not fetched again.
func Example() {
	hub := hftest.Start(hftest.WithRepo(hftest.TinyGGUF()))
	defer hub.Close()
	root, err := os.MkdirTemp("", "hf-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(root) }()
	cacheDir := filepath.Join(root, "hub")

	client, err := hf.New(hf.Config{Endpoint: hub.URL()})
	if err != nil {
		log.Fatal(err)
	}
	ref, err := hf.Parse("hf.co/org/Tiny-1B-GGUF:Q4_K_M", hf.Options{Endpoint: client.Endpoint()})
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	ctx := context.Background()
	plan, err := client.Resolve(ctx, ref)
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	fmt.Printf("%s: %d file(s), %d bytes, commit %.7s\n", plan.Title(plan.Files), len(plan.Files), plan.Total(), plan.Commit)
	f, err := hf.NewFetch(plan, plan.Files, hf.Cache{Dir: cacheDir})
	if err != nil {
		log.Fatal(words.Sentence(err))
	}

	m, err := downloader.New(downloader.Config{StateDir: filepath.Join(root, "state"), PartialDir: filepath.Join(root, "partial"),
		ModelsDir: filepath.Join(root, "models"), Roots: []string{cacheDir}})
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { stop(); <-done; _ = m.Close() }()
	if _, _, err := m.Ensure(f.ID, f.Requests, fetch.Options{Title: f.Title}); err != nil {
		log.Fatal(words.Sentence(err))
	}
	s, err := m.Wait(ctx, f.ID, nil)
	if err != nil || s.Message != "" {
		log.Fatal(s.Message, err)
	}
	path := s.Paths()[0] // the snapshot's name, a link to the blob
	link, _ := os.Readlink(path)
	fmt.Println(strings.TrimPrefix(path, cacheDir), "->", link[:len("../../blobs/")+12])
	// Output:
	// Tiny-1B-GGUF Q4_K_M: 1 file(s), 100 bytes, commit 1111111
	// /models--org--Tiny-1B-GGUF/snapshots/1111111111111111111111111111111111111111/Tiny-1B-Q4_K_M.gguf -> ../../blobs/7fa66cafeb15
}
