package api

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/origintest"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// hubEnv is an API whose Hub is a fake one, with its cache in the home's
// hidden ~/.cache/huggingface/hub.
func hubEnv(t *testing.T) (*env, *hftest.Hub, string) {
	hub := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	client, err := hf.New(hf.Config{Endpoint: hub.URL()})
	if err != nil {
		t.Fatal(err)
	}
	var cache string
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 1 << 10}, tweak: func(o *Options) {
		cache = o.HubCache // the home's
		o.Hub = func() *hf.Client { return client }
		o.Catalog = append(o.Catalog, catalog.Model{ID: "tiny", Title: "Tiny", HF: "org/Tiny-1B-GGUF", Quant: "Q8_0"},
			catalog.Model{ID: "tiny-q4", Title: "Tiny Q4", HF: "org/Tiny-1B-GGUF", Quant: "Q4_K_M"})
	}})
	return e, hub, cache
}

func TestCreateHubName(t *testing.T) {
	e, _, cache := hubEnv(t)
	ctx := ctxT(t)
	createdSnap, created, err := e.c.Create(ctx, CreateRequest{Model: "hf.co/org/Tiny-1B-GGUF:Q4_K_M"})
	snap := createdSnap.Snapshot
	if err != nil || !created || !strings.HasPrefix(snap.ID, "hf-") || snap.Title != "Tiny-1B-GGUF Q4_K_M" {
		t.Fatalf("create: %+v, created %v, %v", snap, created, err)
	}
	final, err := e.c.Wait(ctx, snap.ID, nil)
	if err != nil || final.State != fetch.StateSucceeded {
		t.Fatalf("wait: %s %s, %v", final.State, final.Message, err)
	}
	link := filepath.Join(cache, "models--org--Tiny-1B-GGUF", "snapshots", hftest.CommitMain, "Tiny-1B-Q4_K_M.gguf")
	if data, err := os.ReadFile(link); err != nil || len(data) != 100 {
		t.Errorf("%s: %d bytes, %v", link, len(data), err)
	}
	if again, created, err := e.c.Create(ctx, CreateRequest{Model: "hf.co/org/Tiny-1B-GGUF:Q4_K_M"}); err != nil || created || again.ID != snap.ID {
		t.Errorf("the same name again: %s created=%v %v, want the same fetch", again.ID, created, err)
	}
	checkHubMatch(t, e, link)
}

// checkHubMatch: a match of a Hub name, or of a catalog model naming a
// Hub repo, answers the file the Hub cache holds; one not downloaded, 404.
func checkHubMatch(t *testing.T, e *env, link string) {
	t.Helper()
	ctx := ctxT(t)
	for _, model := range []string{"hf.co/org/Tiny-1B-GGUF:Q4_K_M", "tiny-q4"} {
		if paths, err := e.c.MatchModel(ctx, model); err != nil || len(paths) != 1 || paths[0] != link {
			t.Errorf("match %s: %q, %v; want the snapshot's file", model, paths, err)
		}
	}
	if paths, err := e.c.MatchModel(ctx, "hf.co/org/Tiny-1B-GGUF:Q8_0"); !isStatus(err, http.StatusNotFound) {
		t.Errorf("match of a quantization not downloaded: %q, %v; want 404", paths, err)
	}
}

// A Hub name with a revision and include patterns, into a dir of home.
func TestCreateHubNameIntoDir(t *testing.T) {
	e, _, _ := hubEnv(t)
	ctx := ctxT(t)
	dir := filepath.Join(e.home, "Models", "tiny")
	snap, _, err := e.c.Create(ctx, CreateRequest{Model: "hf://org/Tiny-1B-GGUF", Revision: "v1", Include: []string{"*.md"},
		Options: fetch.Options{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if final, err := e.c.Wait(ctx, snap.ID, nil); err != nil || final.State != fetch.StateSucceeded {
		t.Fatalf("wait: %s %s, %v", final.State, final.Message, err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(data) != "# Tiny v1\n" {
		t.Errorf("README.md of v1 under dir: %q, %v", data, err)
	}
	// What `modelfetch get --dir` and `hf download --local-dir` write
	// beside the file, so that the hf CLI knows it needs no new download.
	// The server writes it once the fetch has succeeded, so soon after.
	meta := filepath.Join(dir, ".cache", "huggingface", "download", "README.md.metadata")
	var data []byte
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if data, err = os.ReadFile(meta); err == nil || time.Now().After(deadline) {
			break
		}
	}
	lines := strings.Split(string(data), "\n")
	if err != nil || len(lines) != 4 || lines[0] != hftest.CommitV1 || lines[1] != origintest.GitBlobID([]byte("# Tiny v1\n")) {
		t.Errorf("%s: %q, %v; want the commit of v1, the blob id and a time", meta, data, err)
	}
	if ignore, err := os.ReadFile(filepath.Join(dir, ".cache", "huggingface", ".gitignore")); err != nil || string(ignore) != "*" {
		t.Errorf(".gitignore: %q, %v", ignore, err)
	}
}

func TestCreateHubRefused(t *testing.T) {
	e, hub, cache := hubEnv(t)
	before := tree(t, e.root)
	outside := filepath.Join(e.root, "outside", "x.bin")
	u := hub.URL() + "/org/Tiny-1B-GGUF/resolve/main/README.md"
	for name, body := range map[string]string{
		"missing repo":          `{"model":"hf.co/org/Nope"}`,
		"missing quant":         `{"model":"hf.co/org/Tiny-1B-GGUF:Q5_K_S"}`,
		"dir outside home":      `{"model":"hf.co/org/Tiny-1B-GGUF:Q4_K_M","dir":"/etc"}`,
		"dest outside":          fmt.Sprintf(`{"requests":[{"url":%q,"dest":%q}]}`, u, outside),
		"link outside":          fmt.Sprintf(`{"requests":[{"url":%q,"dest":%q,"links":[%q]}]}`, u, filepath.Join(cache, "x"), outside),
		"dest hidden in home":   fmt.Sprintf(`{"requests":[{"url":%q,"dest":%q}]}`, u, filepath.Join(e.home, ".ssh", "authorized_keys")),
		"link relative":         fmt.Sprintf(`{"requests":[{"url":%q,"dest":%q,"links":["x"]}]}`, u, filepath.Join(cache, "x")),
		"not a name or a model": `{"model":"nope"}`,
	} {
		t.Run(name, func(t *testing.T) { checkRefused(t, e.c, "POST", "/v1/fetches", body, 400) })
	}
	checkNothingChanged(t, e, before, filepath.Dir(outside))
}

// A catalog model that names a Hub repo is resolved like its Hub name.
func TestCreateCatalogHubModel(t *testing.T) {
	e, _, cache := hubEnv(t)
	ctx := ctxT(t)
	createdSnap, _, err := e.c.Create(ctx, CreateRequest{Model: "tiny"})
	snap := createdSnap.Snapshot
	if err != nil || snap.Title != "Tiny" || len(snap.Records) != 1 {
		t.Fatalf("create: %+v, %v", snap, err)
	}
	if final, err := e.c.Wait(ctx, snap.ID, nil); err != nil || final.State != fetch.StateSucceeded {
		t.Fatalf("wait: %s %s, %v", final.State, final.Message, err)
	}
	link := filepath.Join(cache, "models--org--Tiny-1B-GGUF", "snapshots", hftest.CommitMain, "Tiny-1B-Q8_0.gguf")
	if data, err := os.ReadFile(link); err != nil || len(data) != 160 {
		t.Errorf("%s: %d bytes, %v", link, len(data), err)
	}
}

// The client that resolves Hub names is asked for on every create, so a
// token saved meanwhile (the window's Settings) applies at once: a token
// the Hub refuses fails a create of a gated repo (a public one would go
// on without it), and the next one, with the token replaced, goes
// through.
func TestCreateHubNameUsesCurrentToken(t *testing.T) {
	gated := hftest.TinyGGUF()
	gated.Gated, gated.Readers = true, []string{"hf_good"}
	hub := hftest.New(t, hftest.WithRepo(gated), hftest.WithTokens("hf_good"))
	var current atomic.Pointer[hf.Client]
	client := func(tok string) *hf.Client {
		c, err := hf.New(hf.Config{Endpoint: hub.URL(), Token: hf.NewToken(tok, "the test")})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	current.Store(client("hf_stale"))
	// Made before the engine, so that it is removed after the engine has
	// stopped writing into it (cleanups run last first).
	cache := filepath.Join(t.TempDir(), "hub")
	e := newEnv(t, envOptions{roots: []string{cache}, tweak: func(o *Options) {
		o.Hub, o.HubCache = current.Load, cache
	}})
	ctx := ctxT(t)
	_, _, err := e.c.Create(ctx, CreateRequest{Model: "hf.co/org/Tiny-1B-GGUF:Q4_K_M"})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("create with a stale token: %v, want the token refused", err)
	}
	current.Store(client("hf_good"))
	createdSnap, created, err := e.c.Create(ctx, CreateRequest{Model: "hf.co/org/Tiny-1B-GGUF:Q4_K_M"})
	snap := createdSnap.Snapshot
	if err != nil || !created {
		t.Fatalf("create with the new token: %+v, %v", snap, err)
	}
}
