package downloader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// sameFile reports whether a and b are one file (a hard link: the same
// inode on Unix, the same file index on Windows).
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

// TestShareAtCommit: a Hub model's file asked for with Share is made
// available to the apps named once it is verified, as a hard link (the
// same inode, no byte copied) under the name the app's own download would
// give; a file with no verified SHA-256 is never offered; Share later
// adds an app.
func TestShareAtCommit(t *testing.T) {
	gguf := appstest.GGUF("llama", 4096)
	o := origintest.NewServer()
	t.Cleanup(o.Close)
	o.Put("/org/Tiny-1B-GGUF/resolve/c1/Tiny-1B-Q4_K_M.gguf", gguf)
	cfg := testConfig(t)
	stores := filepath.Join(t.TempDir(), "stores")
	found := map[string]apps.App{
		"lmstudio": apps.LMStudio(filepath.Join(stores, "lmstudio")),
		"ollama":   apps.NewOllama(filepath.Join(stores, "ollama")),
	}
	for _, a := range found {
		if err := os.MkdirAll(a.Dir(), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Apps = func(name string) (apps.App, bool) { a, ok := found[name]; return a, ok }
	m := start(t, cfg)
	model := &fetch.Model{Org: "org", Repo: "Tiny-1B-GGUF", Quant: "Q4_K_M", File: "Tiny-1B-Q4_K_M.gguf"}
	req := fetch.Request{URL: o.FileURL("/org/Tiny-1B-GGUF/resolve/c1/Tiny-1B-Q4_K_M.gguf"), SHA256: o.SHA256("/org/Tiny-1B-GGUF/resolve/c1/Tiny-1B-Q4_K_M.gguf"),
		Model: model, Share: []string{"lmstudio"}}
	mustFetch(t, m, "tiny", req)
	s := settleWhole(t, m, "tiny", gguf)
	sh := s.Records[0].Shared
	if len(sh) != 1 || sh[0].Problem != "" || sh[0].Name != "org/Tiny-1B-GGUF" {
		t.Fatalf("shared %+v, want LM Studio as org/Tiny-1B-GGUF", sh)
	}
	if !sameFile(t, sh[0].Path, s.Records[0].Path) {
		t.Errorf("LM Studio's file %s is not the same inode as ours", sh[0].Path)
	}

	s, err := m.Share(t.Context(), "tiny", "ollama", false)
	if err != nil || len(s.Records[0].Shared) != 2 {
		t.Fatalf("Share with Ollama: %v, %+v", err, s.Records[0].Shared)
	}
	for _, sh := range s.Records[0].Shared {
		if sh.Problem != "" || !sameFile(t, sh.Path, s.Records[0].Path) {
			t.Errorf("%s: %q at %s, want the same inode without a problem", sh.App, sh.Problem, sh.Path)
		}
	}

	checkUnshare(t, m, filepath.Join(stores, "ollama"), req.SHA256, gguf)

	o.Put("/other/x.gguf", appstest.GGUF("llama", 2048))
	plain := fetch.Request{URL: o.FileURL("/other/x.gguf"), Model: model, Share: []string{"ollama"}}
	mustFetch(t, m, "unverified", plain)
	if s := settle(t, m, "unverified"); s.State != fetch.StateSucceeded || len(s.Records[0].Shared) != 0 {
		t.Errorf("a file with no verified SHA-256 was offered: %+v", s.Records[0].Shared)
	}
}

// checkUnshare: Unshare from Ollama takes away only Ollama's link, and
// the engine's file and LM Studio's stay.
func checkUnshare(t *testing.T, m *running, ollama, sum string, data []byte) {
	t.Helper()
	s, err := m.Unshare("tiny", "ollama")
	if err != nil || len(s.Records[0].Shared) != 1 || s.Records[0].Shared[0].App != "LM Studio" {
		t.Fatalf("Unshare from Ollama: %v, %+v; want LM Studio left", err, s.Records[0].Shared)
	}
	if _, err := os.Stat(filepath.Join(ollama, "blobs", "sha256-"+sum)); !os.IsNotExist(err) {
		t.Errorf("Ollama's link is still there after Unshare: %v", err)
	}
	checkFile(t, s.Records[0].Path, data) // the engine's file stays
}

// TestShareNewFromConfig: an engine started with Config.ShareNew (the
// settings every process follows) makes a Hub model's verified file
// available to those apps though its request names none.
func TestShareNewFromConfig(t *testing.T) {
	gguf := appstest.GGUF("llama", 1024)
	o := origintest.NewServer()
	t.Cleanup(o.Close)
	const p = "/org/Tiny-1B-GGUF/resolve/c1/Tiny-1B-Q4_K_M.gguf"
	o.Put(p, gguf)
	cfg := testConfig(t)
	lms := apps.LMStudio(filepath.Join(t.TempDir(), "lmstudio"))
	if err := os.MkdirAll(lms.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Apps = func(name string) (apps.App, bool) { return lms, name == "lmstudio" }
	cfg.ShareNew = []string{"lmstudio"}
	m := start(t, cfg)
	model := &fetch.Model{Org: "org", Repo: "Tiny-1B-GGUF", Quant: "Q4_K_M", File: "Tiny-1B-Q4_K_M.gguf"}
	mustFetch(t, m, "tiny", fetch.Request{URL: o.FileURL(p), SHA256: o.SHA256(p), Model: model})
	s := settleWhole(t, m, "tiny", gguf)
	if sh := s.Records[0].Shared; len(sh) != 1 || sh[0].Problem != "" || sh[0].Name != "org/Tiny-1B-GGUF" {
		t.Errorf("shared %+v, want LM Studio as org/Tiny-1B-GGUF", sh)
	}
}
