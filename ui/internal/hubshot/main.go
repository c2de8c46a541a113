// Command hubshot shows the window's Hugging Face view on a fake Hub (the
// one the tests use, package hftest, on 127.0.0.1) and takes two
// screenshots with ImageMagick's import: search results, a repo's files
// grouped by quantization with one already in the cache, and a gated repo
// opened without a token. Run it in an X display:
//
//	xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- go run ./ui/internal/hubshot -out ui/testdata
//
// The view is not in the main window yet; this shows it on its own.
package main

import (
	"flag"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/ui"
)

func main() {
	out := flag.String("out", ".", "folder for hub-search.png, hub-repo.png and hub-gated.png")
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
	cacheDir, err := os.MkdirTemp("", "hubshot-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(cacheDir) }()
	cache := hf.Cache{Dir: cacheDir}
	if err := cacheFile(cache, tiny, "Tiny-1B-Q8_0.gguf"); err != nil {
		return err
	}
	client, err := hf.New(hf.Config{Endpoint: hub.URL()})
	if err != nil {
		return err
	}

	a := app.NewWithID("io.github.modelfetch.hubshot")
	w := a.NewWindow("ModelFetch — Hugging Face")
	v := ui.NewHubView(client, cache, func(hf.Plan, []hf.File) {})
	w.SetContent(v)
	w.Resize(fyne.NewSize(900, 560))
	errc := make(chan error, 1)
	go func() {
		errc <- shoot(v, out)
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return <-errc
}

// shoot waits for each page to be drawn; a screenshot tool has no event to
// wait for, so it waits a generous moment.
func shoot(v *ui.HubView, out string) error {
	shots := []struct{ name, open string }{
		{"hub-search.png", "gguf"},
		{"hub-repo.png", "hf.co/org/Tiny-1B-GGUF:F16"},
		{"hub-gated.png", "https://huggingface.co/lab/Small-Chat-3B-GGUF"},
	}
	time.Sleep(2 * time.Second)
	for _, s := range shots {
		fyne.Do(func() { v.Open(s.open) })
		time.Sleep(2 * time.Second)
		if err := exec.Command("import", "-window", "root", filepath.Join(out, s.name)).Run(); err != nil {
			return err
		}
	}
	return nil
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
