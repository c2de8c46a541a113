package downloader

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// flip changes one byte of the file at path, keeping its size, and
// moves its time on (a coarse clock may not tell the write).
func flip(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	touch(t, path)
}

// touch moves the file's modification time on without changing a byte.
func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// TestDigestIsAPromise: a file downloaded without a digest and asked for
// again with one is checked against it before it is called done, with no
// download: another digest is refused as a conflict and the file kept;
// the right one completes it and is recorded.
func TestDigestIsAPromise(t *testing.T) {
	o := newOrigin(t, 1<<20)
	m := start(t, testConfig(t))
	req := fetch.Request{URL: o.FileURL(modelPath)}
	if _, _, err := m.Ensure("", []fetch.Request{req}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	first := settle(t, m, fetch.IDForURLs([]string{req.URL}))
	path := first.Records[0].Path
	gets := o.GETs.Load()

	wrong := req
	wrong.SHA256 = strings.Repeat("0", 64)
	s, outcome, err := m.Ensure("", []fetch.Request{wrong}, fetch.Options{})
	switch {
	case outcome == fetch.OutcomeConflict: // the background hash was done: refused at once
		if !errors.Is(err, fetch.ErrConflict) {
			t.Fatalf("conflict without its error: %v", err)
		}
	case outcome == fetch.OutcomeChecking:
		if s = settle(t, m, s.ID); s.State != fetch.StateFailed || !strings.Contains(s.Message, o.SHA256(modelPath)) || !strings.Contains(s.Message, "replace it") {
			t.Fatalf("a wrong digest for a file here: %s %q, want failed naming the digest it has", s.State, s.Message)
		}
	default:
		t.Fatalf("a wrong digest for a file here: outcome %q, %v; want a conflict", outcome, err)
	}
	checkFile(t, path, o.Bytes(modelPath))

	right := req
	right.SHA256 = strings.ToUpper(o.SHA256(modelPath))
	if _, _, err := m.Ensure("", []fetch.Request{right}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := settle(t, m, first.ID); s.State != fetch.StateSucceeded || s.Records[0].SHA256 != o.SHA256(modelPath) {
		t.Fatalf("the right digest: %s %q with %q", s.State, s.Message, s.Records[0].SHA256)
	}
	if n := o.GETs.Load() - gets; n != 0 {
		t.Errorf("%d GETs to check digests of a file already here, want 0", n)
	}
}

// TestChangedFileNotReady: a finished file with one byte changed (same
// size, a new time) is not Ready, Match does not return it, and asked for
// again it is downloaded again into its place; one only touched is found
// intact by its digest, with no download.
func TestChangedFileNotReady(t *testing.T) {
	o := newOrigin(t, 1<<20)
	m := start(t, testConfig(t))
	req := fetch.Request{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}
	mustFetch(t, m, "a", req)
	path := settle(t, m, "a").Records[0].Path

	touch(t, path)
	if _, ok := m.Ready(req.URL); ok {
		t.Error("Ready returned a file whose time changed before it was checked")
	}
	until(t, "the touched file to be Ready again once the background check hashed it", func() bool {
		_, ok := m.Ready(req.URL)
		return ok
	})

	flip(t, path)
	if _, ok := m.Ready(req.URL); ok {
		t.Error("Ready returned a file with a byte changed")
	}
	if _, ok := m.Match(t.Context(), req.URL); ok {
		t.Error("Match returned a file with a byte changed")
	}
	gets := o.GETs.Load()
	if _, outcome, err := m.Ensure("a", []fetch.Request{req}, fetch.Options{}); err != nil || outcome == fetch.OutcomeComplete {
		t.Fatalf("a changed file asked for again: %q, %v; want it downloaded again", outcome, err)
	}
	if s := settle(t, m, "a"); s.State != fetch.StateSucceeded || s.Records[0].Path != path || o.GETs.Load() == gets {
		t.Fatalf("%s at %q after %d GETs; want it repaired in place", s.State, s.Records[0].Path, o.GETs.Load()-gets)
	}
	checkFile(t, path, o.Bytes(modelPath))
}

// TestDestNotOurs: a file at a request's Dest that this engine did not
// put there is checked against the digest before any byte is asked for:
// the same bytes are taken as done; other bytes are never replaced,
// unless they sit in a root whose files are named by their digest (the
// Hub cache), where they are repaired.
func TestDestNotOurs(t *testing.T) {
	o := newOrigin(t, 300<<10)
	cfg := testConfig(t)
	cache := filepath.Join(t.TempDir(), "hub")
	cfg.Roots, cfg.Home = []string{cache}, filepath.Dir(cache) // the test's own folders: in the home, not a root
	m := start(t, cfg)
	data := o.Bytes(modelPath)
	for i, tc := range []struct {
		dir     string
		content []byte
		ok      bool
		gets    bool
	}{
		{dir: filepath.Join(filepath.Dir(cache), "mine-a"), content: data, ok: true},
		{dir: filepath.Join(filepath.Dir(cache), "mine-b"), content: origintest.Content(len(data), 9), ok: false},
		{dir: cache, content: origintest.Content(len(data), 9), ok: true, gets: true},
	} {
		dest := filepath.Join(tc.dir, "blobs", o.SHA256(modelPath))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, tc.content, 0o644); err != nil {
			t.Fatal(err)
		}
		gets := o.GETs.Load()
		id := "dest" + string(rune('a'+i))
		req := fetch.Request{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath), Size: int64(len(data)), Dest: dest}
		if _, err := m.Fetch(id, []fetch.Request{req}, fetch.Options{}); err != nil {
			t.Fatal(err)
		}
		s := settle(t, m, id)
		if ok := s.State == fetch.StateSucceeded; ok != tc.ok || (o.GETs.Load() != gets) != tc.gets {
			t.Errorf("case %d: %s %q after %d GETs; want ok %v, GETs %v", i, s.State, s.Message, o.GETs.Load()-gets, tc.ok, tc.gets)
		}
		want := tc.content
		if tc.ok {
			want = data
		}
		checkFile(t, dest, want)
	}
}

// TestSharedLock: a request naming the lock another program takes around
// its download of the same file waits while that program holds it,
// saying so; when the program lets go having put the file in place, the
// engine checks that file and takes it, asking the server for nothing.
func TestSharedLock(t *testing.T) {
	o := newOrigin(t, 300<<10)
	cfg := testConfig(t)
	cache := filepath.Join(t.TempDir(), "hub")
	cfg.Roots = []string{cache}
	m := start(t, cfg)
	lock := filepath.Join(cache, ".locks", "models--org--repo", o.SHA256(modelPath)+".lock")
	unlock, err := disk.WaitSharedLock(t.Context(), lock, nil)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(cache, "models--org--repo", "blobs", o.SHA256(modelPath))
	req := fetch.Request{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath), Size: 300 << 10, Dest: dest, Lock: lock}
	mustFetch(t, m, "model", req)
	says(t, m, fetch.StateRunning, "Another program")
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, o.Bytes(modelPath), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	settleWhole(t, m, "model", o.Bytes(modelPath))
	if n := o.GETs.Load(); n != 0 {
		t.Errorf("%d GETs for a file another program put in place, want 0", n)
	}
}
