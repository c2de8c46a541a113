// Command hubshot shows the window with its Hugging Face tab on a fake Hub
// (the one the tests use, package hftest, on 127.0.0.1) and a real engine,
// and takes screenshots with ImageMagick's import: search results, a
// repo's files grouped by quantization with one already in the cache, a
// download of two of its files in progress, and a gated repo opened
// without a token. Run it in an X display:
//
//	xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- go run ./ui/internal/hubshot -out ui/testdata
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/modelfetch/modelfetch/assets"
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/ui"
)

func main() {
	out := flag.String("out", ".", "folder for hub-search.png, hub-repo.png, hub-download.png and hub-gated.png")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	tiny, gated := hftest.TinyGGUF(), hftest.TinyGGUF()
	gated.ID, gated.Gated = "lab/Small-Chat-3B-GGUF", true
	hub := hftest.Start(hftest.WithRepo(tiny), hftest.WithRepo(gated), hftest.WithModels(
		model("org/Tiny-1B-GGUF", 1284113, 412, "2025-03-14T09:00:00.000Z", false),
		model("org/Tiny-1B-Instruct-GGUF", 402877, 198, "2025-02-02T09:00:00.000Z", false),
		model("lab/Small-Chat-3B-GGUF", 96310, 77, "2024-12-20T09:00:00.000Z", true),
		model("someone/tiny-gguf-experiments", 1520, 3, "2024-06-01T09:00:00.000Z", false),
	))
	defer hub.Close()
	dir, err := os.MkdirTemp("", "hubshot-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cache := hf.Cache{Dir: filepath.Join(dir, "hub")}
	if err := cacheFile(cache, tiny, "Tiny-1B-Q8_0.gguf"); err != nil {
		return err
	}
	client, err := hf.New(hf.Config{Endpoint: hub.URL()})
	if err != nil {
		return err
	}
	// The test repo's files are a few hundred bytes: the engine reads them
	// slowly, so that the download shows in progress.
	m, err := downloader.New(downloader.Config{
		StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "partial"), ModelsDir: filepath.Join(dir, "models"),
		Client: &http.Client{Transport: slowTransport{hf.NewTransport(nil, hub.URL(), client.Token())}},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = m.Run(ctx) }()

	a := app.NewWithID("io.github.modelfetch.hubshot")
	catalog, err := catalog.Parse(assets.Catalog)
	if err != nil {
		return err
	}
	u := ui.New(a, m, ui.Options{Catalog: catalog, Icon: assets.Icon, ModelsDir: filepath.Join(dir, "models"),
		Hub: client, HubLayout: cache, HubTokenPath: filepath.Join(dir, "token"), Notify: func(*fyne.Notification) {}})
	w := u.Window()
	w.Resize(fyne.NewSize(1100, 640))
	errc := make(chan error, 1)
	go func() {
		errc <- shoot(u, m, client, cache, out)
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	u.Stop()
	return <-errc
}

// shoot waits for each page to be drawn; a screenshot tool has no event to
// wait for, so it waits a generous moment.
func shoot(u *ui.UI, m *downloader.Manager, client *hf.Client, cache hf.Cache, out string) error {
	time.Sleep(2 * time.Second)
	steps := []struct {
		name string
		do   func()
	}{
		{"hub-search.png", func() { u.ShowHub("gguf") }},
		{"hub-repo.png", func() { u.ShowHub("hf.co/org/Tiny-1B-GGUF:F16") }},
		{"hub-download.png", func() { downloadTwo(m, client, cache) }},
		{"hub-gated.png", func() { u.ShowHub("https://huggingface.co/lab/Small-Chat-3B-GGUF") }},
	}
	for _, s := range steps {
		fyne.Do(s.do)
		time.Sleep(3 * time.Second)
		if err := exec.Command("import", "-window", "root", filepath.Join(out, s.name)).Run(); err != nil {
			return err
		}
	}
	return nil
}

// downloadTwo fetches the Q4_K_M and IQ2_XS files of the test repo through
// hf.NewFetch, as the tab's Download does.
func downloadTwo(m *downloader.Manager, client *hf.Client, cache hf.Cache) {
	ref, err := hf.Parse("hf.co/org/Tiny-1B-GGUF", hf.Options{Endpoint: client.Endpoint()})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := client.Resolve(context.Background(), ref)
	if err != nil {
		log.Fatal(words.Sentence(err))
	}
	var two []hf.File
	for _, f := range plan.Files {
		if f.Quant == "Q4_K_M" || f.Quant == "IQ2_XS" {
			two = append(two, f)
		}
	}
	f, err := hf.NewFetch(plan, two, cache)
	if err == nil {
		_, err = m.Fetch(f.ID, f.Requests, fetch.Options{Title: f.Title})
	}
	if err != nil {
		log.Fatal(err)
	}
}

// slowTransport hands out response bodies a few bytes at a time.
type slowTransport struct{ http.RoundTripper }

func (t slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(req)
	if err == nil {
		resp.Body = &slowBody{resp.Body}
	}
	return resp, err
}

type slowBody struct{ io.ReadCloser }

func (b *slowBody) Read(p []byte) (int, error) {
	time.Sleep(250 * time.Millisecond)
	return b.ReadCloser.Read(p[:min(len(p), 2)])
}

func model(id string, downloads, likes int, updated string, gated bool) map[string]any {
	return map[string]any{"id": id, "downloads": downloads, "likes": likes, "lastModified": updated, "gated": gated}
}

// cacheFile puts one file of the repo's main commit in the cache's blobs.
func cacheFile(c hf.Cache, repo *hftest.Repo, path string) error {
	for _, f := range repo.Commits[hftest.CommitMain] {
		if f.Path == path {
			blob := filepath.Join(c.RepoDir(hf.TypeModel, repo.ID), "blobs", hftest.SHA256Hex(f.Data))
			if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
				return err
			}
			return os.WriteFile(blob, f.Data, 0o644)
		}
	}
	return os.ErrNotExist
}
