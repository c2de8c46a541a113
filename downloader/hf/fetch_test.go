package hf_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/enginetest"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// engine runs a real Manager whose client is the Hub transport for hub
// and token, as the CLI and the window build it.
func engine(t *testing.T, endpoint string, token hf.Token, wrap ...func(http.RoundTripper) http.RoundTripper) *downloader.Manager {
	t.Helper()
	var rt http.RoundTripper = hf.NewTransport(nil, endpoint, token)
	for _, w := range wrap {
		rt = w(rt)
	}
	cfg := enginetest.Config(t)
	cfg.Client = &http.Client{Transport: rt}
	return enginetest.Start(t, cfg)
}

// fetchPlan resolves name, starts its fetch into layout and waits until it settles.
func fetchPlan(t *testing.T, m *downloader.Manager, c *hf.Client, name string, layout hf.Layout) (hf.Plan, fetch.Snapshot) {
	t.Helper()
	ref, err := hf.Parse(name, hf.Options{Endpoint: c.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.Resolve(context.Background(), ref)
	if err != nil {
		t.Fatal(words.Sentence(err))
	}
	f, err := hf.NewFetch(plan, plan.Files, layout)
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Subscribe(f.ID, 64)
	defer sub.Close()
	snap, err := m.Fetch(f.ID, f.Requests, fetch.Options{Title: f.Title})
	if err != nil {
		t.Fatal(err)
	}
	for !snap.State.Settled() {
		select {
		case ev := <-sub.C:
			snap = ev.Fetch
		case <-time.After(10 * time.Second):
			t.Fatalf("the fetch did not settle: %+v", snap)
		}
	}
	return plan, snap
}

func newClient(t *testing.T, hub *hftest.Hub, token string) *hf.Client {
	t.Helper()
	c, err := hf.New(hf.Config{Endpoint: hub.URL(), Token: hf.NewToken(token, "HF_TOKEN")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A whole repo goes into the Hub cache exactly: blobs named by their
// digest, snapshot symlinks, the ref, the tag; plain git files verified by
// their git blob id; every request for bytes bounded; the token never
// reaching the CDN; and a second revision sharing a blob fetches only
// what it lacks.
func TestFetchIntoCache(t *testing.T) {
	repo := hftest.TinyGGUF()
	repo.Gated, repo.Readers = true, []string{"hf_reader"}
	hub := hftest.New(t, hftest.WithRepo(repo), hftest.WithTokens("hf_reader"))
	c := newClient(t, hub, "hf_reader")
	m := engine(t, c.Endpoint(), c.Token())
	cache := hf.Cache{Dir: filepath.Join(t.TempDir(), "hub")}

	plan, snap := fetchPlan(t, m, c, "hf.co/org/Tiny-1B-GGUF:*", cache)
	if snap.Result != fetch.ResultSuccess {
		t.Fatalf("fetch: %s %s", snap.FailureReason, snap.Message)
	}
	checkSnapshot(t, cache, plan)
	checkRequests(t, hub.Requests())

	// v1 shares .gitattributes and the Q4_K_M blob with main: only its README is new.
	before := len(hub.Requests())
	v1, snap := fetchPlan(t, m, c, "hf://org/Tiny-1B-GGUF@v1", cache)
	if snap.Result != fetch.ResultSuccess {
		t.Fatalf("fetch v1: %s %s", snap.FailureReason, snap.Message)
	}
	for _, s := range hub.Requests()[before:] {
		if s.Method == http.MethodGet && (s.Origin == "cdn" || strings.Contains(s.Path, "/resolve/")) && !strings.HasSuffix(s.Path, "README.md") {
			t.Errorf("a blob the cache holds was fetched again: %s %s", s.Origin, s.Path)
		}
	}
	if _, paths, err := cache.Lookup(hf.Ref{Repo: v1.Repo, Type: v1.Type, Revision: "v1"}); err != nil || len(paths) != 3 {
		t.Errorf("Lookup v1: %v, %v", paths, err)
	}
}

// Bytes that do not match the listed sha256 fail as integrity and leave
// nothing under blobs/ (the partial data stays in the engine's folder).
func TestFetchCorruptBlob(t *testing.T) {
	hub := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithCorrupt("Tiny-1B-Q8_0.gguf"))
	c := newClient(t, hub, "")
	m := engine(t, c.Endpoint(), c.Token())
	cache := hf.Cache{Dir: filepath.Join(t.TempDir(), "hub")}
	plan, snap := fetchPlan(t, m, c, "hf.co/org/Tiny-1B-GGUF:Q8_0", cache)
	if snap.FailureReason != fetch.ReasonIntegrity {
		t.Fatalf("got %s %q, want integrity", snap.FailureReason, snap.Message)
	}
	blobs, _ := os.ReadDir(filepath.Join(cache.RepoDir(plan.Type, plan.Repo), "blobs"))
	if len(blobs) != 0 {
		t.Errorf("blobs/ holds %v", blobs)
	}
}

// A signed CDN address that expired between the engine's resolve and its
// GET is resolved again from the hub's URL, and the file completes.
func TestFetchExpiredSignedURL(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	hub := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithSignedURLs(time.Minute, now))
	c := newClient(t, hub, "")
	var expired atomic.Int32
	m := engine(t, c.Endpoint(), c.Token(), func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if err == nil && req.URL.Query().Has("expires") {
				if resp.StatusCode == http.StatusForbidden {
					expired.Add(1)
				} else if expired.Load() == 0 {
					clock.Add(120) // the first address handed out expires now
				}
			}
			return resp, err
		})
	})
	cache := hf.Cache{Dir: filepath.Join(t.TempDir(), "hub")}
	plan, snap := fetchPlan(t, m, c, "hf.co/org/Tiny-1B-GGUF:Q4_K_M", cache)
	if snap.Result != fetch.ResultSuccess {
		t.Fatalf("fetch: %s %s", snap.FailureReason, snap.Message)
	}
	if !cache.Has(plan, plan.Files[0]) {
		t.Error("the blob is not in the cache")
	}
	if expired.Load() == 0 {
		t.Error("no request met an expired address: the test proved nothing")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// checkSnapshot checks that every file of plan is in cache as the Hub's
// clients lay it out.
func checkSnapshot(t *testing.T, cache hf.Cache, plan hf.Plan) {
	t.Helper()
	for _, f := range plan.Files {
		link := cache.SnapshotPath(plan, f)
		target, err := os.Readlink(link)
		if err != nil || filepath.IsAbs(target) {
			t.Fatalf("%s: link %q, %v", f.Path, target, err)
		}
		data, err := os.ReadFile(link)
		if err != nil || int64(len(data)) != f.Size {
			t.Fatalf("%s: %d bytes through the link, %v", f.Path, len(data), err)
		}
		if filepath.Join(filepath.Dir(link), target) != cache.BlobPath(plan, f) {
			t.Errorf("%s links to %s, not its blob", f.Path, target)
		}
	}
	if ref, err := os.ReadFile(filepath.Join(cache.RepoDir(plan.Type, plan.Repo), "refs", "main")); err != nil || string(ref) != hftest.CommitMain {
		t.Errorf("refs/main = %q, %v", ref, err)
	}
	if _, err := os.Stat(filepath.Join(cache.Dir, "CACHEDIR.TAG")); err != nil {
		t.Error(err)
	}
}

// checkRequests checks that every GET for a file's bytes asked a bounded
// range, that the CDN never saw the token, and that some came from it.
func checkRequests(t *testing.T, seen []hftest.Seen) {
	t.Helper()
	bounded := regexp.MustCompile(`^bytes=\d+-\d+$`)
	cdnGets := 0
	for _, s := range seen {
		if s.Origin == "cdn" && s.Auth != "" {
			t.Errorf("the CDN saw Authorization on %s", s.Path)
		}
		if s.Method == http.MethodGet && (s.Origin == "cdn" || strings.Contains(s.Path, "/resolve/")) && !bounded.MatchString(s.Range) {
			t.Errorf("GET %s %s had Range %q", s.Origin, s.Path, s.Range)
		}
		if s.Origin == "cdn" && s.Method == http.MethodGet {
			cdnGets++
		}
	}
	if cdnGets == 0 {
		t.Fatal("no file came from the CDN")
	}
}

// A --dir download that an engine journalled but did not finish (it
// stopped, or was killed, before the bytes came) is finished by the next
// engine on that journal with the hf CLI's metadata: its links and stamp
// are part of the requests the engine journals, not a client's job.
func TestDirFinishedAfterRestart(t *testing.T) {
	hub := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	c := newClient(t, hub, "")
	root := t.TempDir()
	cfg := downloader.Config{StateDir: filepath.Join(root, "state"), PartialDir: filepath.Join(root, "partial"),
		ModelsDir: filepath.Join(root, "models"), Roots: []string{root},
		Client: &http.Client{Transport: hf.NewTransport(nil, c.Endpoint(), c.Token())}}
	ref, err := hf.Parse("hf.co/org/Tiny-1B-GGUF:Q4_K_M", hf.Options{Endpoint: c.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.Resolve(t.Context(), ref)
	if err != nil {
		t.Fatal(words.Sentence(err))
	}
	dir := hf.Dir{Dir: filepath.Join(root, "local")}
	f, err := hf.NewFetch(plan, plan.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := downloader.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := first.Ensure(f.ID, f.Requests, fetch.Options{Dir: dir.Dir}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil { // never run: the journal holds the fetch
		t.Fatal(err)
	}

	if s := runUntilSettled(t, cfg, f.ID); s.State != fetch.StateSucceeded {
		t.Fatalf("the second engine: %s %q", s.State, s.Message)
	}
	meta, err := os.ReadFile(filepath.Join(dir.Dir, ".cache", "huggingface", "download", "Tiny-1B-Q4_K_M.gguf.metadata"))
	if lines := strings.Split(string(meta), "\n"); err != nil || len(lines) != 4 || lines[0] != plan.Commit || lines[1] != plan.Files[0].Blob {
		t.Errorf("metadata %q, %v; want the commit, the blob id and a time", meta, err)
	}
}

// runUntilSettled runs an engine of cfg until the fetch id settles, and
// stops it.
func runUntilSettled(t *testing.T, cfg downloader.Config, id string) fetch.Snapshot {
	t.Helper()
	var s fetch.Snapshot
	t.Run("engine", func(t *testing.T) { // its cleanups stop the engine before the test goes on
		var err error
		if s, err = enginetest.Start(t, cfg).Wait(t.Context(), id, nil); err != nil {
			t.Fatal(err)
		}
	})
	return s
}
