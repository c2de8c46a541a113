package hf_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// This is the whole contract the engine follows for a Hub name: parse,
// resolve to a plan pinned to a commit, and for each file skip it if the
// layout has it, else fetch its URL (with the client's transport, so the
// token reaches the hub only), check the bytes with NewHash against Blob,
// move them to Dest and call Finish.
func Example() {
	hub := hftest.Start(hftest.WithRepo(hftest.TinyGGUF()))
	defer hub.Close()
	cacheDir, err := os.MkdirTemp("", "hf-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(cacheDir) }()

	client, err := hf.New(hf.Config{Endpoint: hub.URL()})
	if err != nil {
		log.Fatal(err)
	}
	ref, err := hf.Parse("hf.co/org/Tiny-1B-GGUF:Q4_K_M", hf.Options{Endpoint: client.Endpoint()})
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	plan, err := client.Resolve(context.Background(), ref)
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	fmt.Printf("%s: %d file(s), %d bytes, commit %.7s\n", plan.Title(plan.Files), len(plan.Files), plan.Total(), plan.Commit)

	layout := hf.Cache{Dir: cacheDir}
	httpClient := &http.Client{Transport: hf.NewTransport(nil, client.Endpoint(), client.Token())}
	for _, f := range plan.Files {
		if layout.Has(plan, f) {
			continue // shared with another revision or repo: no byte to fetch
		}
		resp, err := httpClient.Get(f.URL)
		if err != nil {
			log.Fatal(err)
		}
		if err := client.ResponseError(resp, ref); err != nil {
			log.Fatal(words.Sentence(err))
		}
		h := f.NewHash()
		data, err := io.ReadAll(io.TeeReader(resp.Body, h))
		_ = resp.Body.Close()
		if err != nil || fmt.Sprintf("%x", h.Sum(nil)) != f.Blob {
			log.Fatalf("%s does not match its %s", f.Path, f.Digest)
		}
		dest := layout.Dest(plan, f)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(dest, data, 0o644); err != nil { // the engine renames a verified partial file
			log.Fatal(err)
		}
		if err := layout.Finish(plan, f); err != nil {
			log.Fatal(err)
		}
	}

	_, paths, err := layout.Lookup(ref) // what `modelfetch path` prints, offline
	if err != nil {
		log.Fatal(err)
	}
	link, _ := os.Readlink(paths[0])
	fmt.Println(strings.TrimPrefix(paths[0], cacheDir), "->", link[:len("../../blobs/")+12])
	// Output:
	// Tiny-1B-GGUF Q4_K_M: 1 file(s), 100 bytes, commit 1111111
	// /models--org--Tiny-1B-GGUF/snapshots/1111111111111111111111111111111111111111/Tiny-1B-Q4_K_M.gguf -> ../../blobs/7fa66cafeb15
}
