package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/network"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// hubSandbox is a sandbox whose Hub is hub (HF_ENDPOINT) and whose
// HF_HOME is its own, with token as HF_TOKEN.
type hubSandbox struct {
	*sandbox
	hub     *hftest.Hub
	hfHome  string
	token   string
	offline string // HF_HUB_OFFLINE
}

func newHubSandbox(t *testing.T, opts ...hftest.Option) *hubSandbox {
	s := newSandbox(t)
	gated := hftest.TinyGGUF()
	gated.ID, gated.Gated, gated.Readers = "org/Gated-1B-GGUF", true, []string{"hf_reader"}
	hub := hftest.New(t, append([]hftest.Option{hftest.WithRepo(hftest.TinyGGUF()), hftest.WithRepo(gated),
		hftest.WithTokens("hf_reader", "hf_other")}, opts...)...)
	return &hubSandbox{sandbox: s, hub: hub, hfHome: filepath.Join(s.cache, "huggingface")}
}

func (s *hubSandbox) run(args ...string) *proc {
	s.t.Helper()
	p := s.startEnv([]string{asCommand + "=1", "HF_ENDPOINT=" + s.hub.URL(), "HF_HOME=" + s.hfHome, "HF_TOKEN=" + s.token,
		"HUGGING_FACE_HUB_TOKEN=", "HF_HUB_CACHE=", "HF_TOKEN_PATH=", "HF_HUB_OFFLINE=" + s.offline, "OLLAMA_MODELS="}, args...)
	p.wait(s.t)
	return p
}

// paths checks that p succeeded and returns the paths it printed.
func (p *proc) paths(t *testing.T) []string {
	t.Helper()
	if code := p.wait(t); code != 0 {
		t.Fatalf("%v: exit code %d; stderr:\n%s", p.cmd.Args[1:], code, p.stderr.String())
	}
	return strings.Fields(p.stdout.String())
}

// snapshot is the snapshot folder of TinyGGUF's commit.
func (s *hubSandbox) snapshot(repo, commit string) string {
	return filepath.Join(s.hfHome, "hub", "models--"+strings.ReplaceAll(repo, "/", "--"), "snapshots", commit)
}

// cdnGets counts the CDN's GETs so far.
func (s *hubSandbox) cdnGets() int {
	n := 0
	for _, r := range s.hub.Requests() {
		if r.Origin == "cdn" && r.Method == http.MethodGet {
			n++
		}
	}
	return n
}

// checkFiles checks that paths are the files of repo's commit named, in
// that snapshot, each a link to a blob holding the file's bytes.
func checkFiles(t *testing.T, paths []string, snapshot string, files []hftest.File, want ...string) {
	t.Helper()
	if len(paths) != len(want) {
		t.Fatalf("printed %q, want the %d files %q", paths, len(want), want)
	}
	for i, name := range want {
		if paths[i] != filepath.Join(snapshot, name) {
			t.Errorf("path %d is %s, want %s", i, paths[i], filepath.Join(snapshot, name))
		}
		for _, f := range files {
			if got, err := os.ReadFile(paths[i]); f.Path == name && (err != nil || !bytes.Equal(got, f.Data)) {
				t.Errorf("%s: %v, %d bytes", name, err, len(got))
			}
		}
		checkBlobLink(t, paths[i])
	}
}

// checkBlobLink checks that the snapshot's file at path is a symlink into
// the repo's blobs/, or where the system makes no symlinks (Windows
// without developer mode, wine), one of the blobs by a hard link.
func checkBlobLink(t *testing.T, path string) {
	t.Helper()
	if target, err := os.Readlink(path); err == nil {
		if !strings.Contains(filepath.ToSlash(target), "/blobs/") {
			t.Errorf("%s links to %s, want a blob", path, target)
		}
		return
	}
	probe := filepath.Join(t.TempDir(), "probe")
	if os.Symlink("x", probe) == nil {
		if got, err := os.Readlink(probe); err == nil && got == "x" {
			t.Errorf("%s is no symlink, where symlinks can be made", path)
			return
		}
	}
	snapshots := path
	for filepath.Base(snapshots) != "snapshots" && filepath.Dir(snapshots) != snapshots {
		snapshots = filepath.Dir(snapshots)
	}
	blobs := filepath.Join(filepath.Dir(snapshots), "blobs")
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(blobs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if bi, err := os.Stat(filepath.Join(blobs, e.Name())); err == nil && os.SameFile(fi, bi) {
			return
		}
	}
	t.Errorf("%s is neither a symlink nor a hard link into %s", path, blobs)
}

func TestGetHubRepoThenRevisionSharingBlobs(t *testing.T) {
	s := newHubSandbox(t)
	main := hftest.TinyGGUF().Commits[hftest.CommitMain]
	paths := s.run("get", "hf.co/org/Tiny-1B-GGUF:*").paths(t)
	var names []string
	for _, f := range main {
		names = append(names, f.Path)
	}
	checkFiles(t, paths, s.snapshot("org/Tiny-1B-GGUF", hftest.CommitMain), main, names...)

	// v1 shares .gitattributes and the Q4_K_M blob: nothing from the CDN.
	before := s.cdnGets()
	v1 := hftest.TinyGGUF().Commits[hftest.CommitV1]
	paths = s.run("get", "--revision", "v1", "hf.co/org/Tiny-1B-GGUF:*").paths(t)
	checkFiles(t, paths, s.snapshot("org/Tiny-1B-GGUF", hftest.CommitV1), v1, ".gitattributes", "README.md", "Tiny-1B-Q4_K_M.gguf")
	if n := s.cdnGets() - before; n != 0 {
		t.Errorf("the second revision made %d CDN requests, want 0", n)
	}
	ref, err := os.ReadFile(filepath.Join(s.hfHome, "hub", "models--org--Tiny-1B-GGUF", "refs", "v1"))
	if err != nil || string(ref) != hftest.CommitV1 {
		t.Errorf("refs/v1 = %q, %v", ref, err)
	}
	got := s.run("path", "hf://org/Tiny-1B-GGUF@v1/Tiny-1B-Q4_K_M.gguf").paths(t)
	if len(got) != 1 || got[0] != paths[2] {
		t.Errorf("path printed %q, want %s", got, paths[2])
	}
}

func TestGetHubQuantIncludeExclude(t *testing.T) {
	s := newHubSandbox(t)
	main := hftest.TinyGGUF().Commits[hftest.CommitMain]
	snap := s.snapshot("org/Tiny-1B-GGUF", hftest.CommitMain)
	if p := s.run("path", "hf.co/org/Tiny-1B-GGUF:F16"); p.wait(t) != 1 || p.stdout.Len() != 0 {
		t.Errorf("path of a file not downloaded: exit %d, %q", p.code, p.stdout.String())
	}
	paths := s.run("get", "hf.co/org/Tiny-1B-GGUF:F16").paths(t)
	checkFiles(t, paths, snap, main, "Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf",
		"Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf", "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf")
	got := s.run("path", "hf.co/org/Tiny-1B-GGUF:F16").paths(t)
	if strings.Join(got, " ") != strings.Join(paths, " ") {
		t.Errorf("path printed %q, want %q", got, paths)
	}
	paths = s.run("get", "--include", "*.gguf", "--exclude", "*F16*", "--exclude", "mmproj*", "https://huggingface.co/org/Tiny-1B-GGUF").paths(t)
	checkFiles(t, paths, snap, main, "Tiny-1B-Q4_K_M.gguf", "Tiny-1B-Q8_0.gguf", "Tiny-1B-IQ2_XS.gguf")
}

func TestGetHubDir(t *testing.T) {
	s := newHubSandbox(t)
	dir := filepath.Join(s.home, "Models", "local") // a folder of the home may receive downloads
	paths := s.run("get", "--dir", dir, "hf.co/org/Tiny-1B-GGUF:Q4_K_M").paths(t)
	if len(paths) != 1 || paths[0] != filepath.Join(dir, "Tiny-1B-Q4_K_M.gguf") {
		t.Fatalf("printed %q", paths)
	}
	if fi, err := os.Lstat(paths[0]); err != nil || !fi.Mode().IsRegular() || fi.Size() != 100 {
		t.Errorf("%s is not the plain file: %v", paths[0], err)
	}
	meta, err := os.ReadFile(filepath.Join(dir, ".cache", "huggingface", "download", "Tiny-1B-Q4_K_M.gguf.metadata"))
	if err != nil || !strings.HasPrefix(string(meta), hftest.CommitMain+"\n") {
		t.Errorf("metadata %q, %v", meta, err)
	}
	if _, err := os.Stat(filepath.Join(s.hfHome, "hub")); err == nil {
		t.Error("--dir wrote to the Hub cache")
	}
}

func TestGetHubGatedAndCorrupt(t *testing.T) {
	s := newHubSandbox(t, hftest.WithCorrupt("Tiny-1B-Q8_0.gguf"))
	for _, c := range []struct{ token, want string }{
		{"", "org/Gated-1B-GGUF is gated: log in"},
		{"hf_other", "request access at " + s.hub.URL() + "/org/Gated-1B-GGUF"},
		{"hf_stale", "refused the Hugging Face token from HF_TOKEN"},
	} {
		s.token = c.token
		p := s.run("get", "hf.co/org/Gated-1B-GGUF:Q4_K_M")
		if p.code != 1 || !strings.Contains(p.stderr.String(), c.want) {
			t.Errorf("token %q: exit %d, stderr %q, want %q", c.token, p.code, p.stderr.String(), c.want)
		}
	}
	s.token = "hf_reader"
	s.run("get", "hf.co/org/Gated-1B-GGUF:Q4_K_M").paths(t)
	for _, r := range s.hub.Requests() {
		if r.Origin == "cdn" && r.Auth != "" {
			t.Errorf("the CDN saw a token on %s", r.Path)
		}
	}

	p := s.run("get", "hf.co/org/Tiny-1B-GGUF:Q8_0")
	if p.code == 0 || !strings.Contains(p.stderr.String(), "SHA-256") {
		t.Errorf("corrupt bytes: exit %d, stderr %q", p.code, p.stderr.String())
	}
	blobs, _ := os.ReadDir(filepath.Join(s.hfHome, "hub", "models--org--Tiny-1B-GGUF", "blobs"))
	if len(blobs) != 0 {
		t.Errorf("blobs/ holds %d files after an integrity failure", len(blobs))
	}
	for _, c := range []struct{ name, want string }{
		{"hf.co/org/Nope", "org/Nope was not found"},
		{"hf://org/Tiny-1B-GGUF@nope", `no branch, tag or commit named "nope"`},
		{"hf://org/Tiny-1B-GGUF/missing.gguf", `no file or folder "missing.gguf"`},
	} {
		if p := s.run("get", c.name); p.code != 1 || !strings.Contains(p.stderr.String(), c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.name, p.code, p.stderr.String(), c.want)
		}
	}
}

// A catalog entry that names a Hub repo is fetched by its id into the Hub
// cache, and path finds it by the same id.
func TestGetCatalogHubEntry(t *testing.T) {
	s := newHubSandbox(t)
	dir := filepath.Join(s.config, "modelfetch")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	entry := `[{"id": "tiny", "title": "Tiny", "hf": "org/Tiny-1B-GGUF", "quant": "Q4_K_M"}]`
	if err := os.WriteFile(filepath.Join(dir, "catalog.json"), []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}
	main := hftest.TinyGGUF().Commits[hftest.CommitMain]
	paths := s.run("get", "tiny").paths(t)
	checkFiles(t, paths, s.snapshot("org/Tiny-1B-GGUF", hftest.CommitMain), main, "Tiny-1B-Q4_K_M.gguf")
	if got := s.run("path", "tiny").paths(t); len(got) != 1 || got[0] != paths[0] {
		t.Errorf("path tiny printed %q, want %q", got, paths)
	}
}

// TestProxyBeneathTheHubToken sets a proxy while the engine's client adds
// the Hub's token: the setting applies beneath the token, which still
// goes to the Hub, now through the proxy.
func TestProxyBeneathTheHubToken(t *testing.T) {
	asked := make(chan string, 4)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- r.URL.String() + " " + r.Header.Get("Authorization"):
		default:
		}
		http.Error(w, "gone", http.StatusGone)
	}))
	defer proxy.Close()
	env := map[string]string{"HF_ENDPOINT": "http://hub.test", "HF_TOKEN": "hf_secret"}
	cfg := downloader.Config{StateDir: t.TempDir(), PartialDir: t.TempDir(), ModelsDir: t.TempDir(),
		Wrap: hf.NewEngineTransport(func(k string) string { return env[k] }).Wrap}
	m, err := downloader.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.SetNetworkSettings(network.Settings{Proxy: proxy.URL}); err != nil {
		t.Fatalf("SetNetworkSettings under the Hub's token: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if _, err := m.Fetch("f", []fetch.Request{{URL: "http://hub.test/org/repo/resolve/main/a.bin"}}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-asked:
		if want := "http://hub.test/org/repo/resolve/main/a.bin Bearer hf_secret"; got != want {
			t.Errorf("got the proxy asked %q, want %q", got, want)
		}
	case <-t.Context().Done():
		t.Fatal("the proxy was never asked")
	}
}
