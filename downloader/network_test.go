package downloader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// fails waits for the fetch to settle and checks that it failed with a
// message that holds want, and that nothing was kept as the file.
func fails(t *testing.T, m *running, cfg Config, want string) fetch.Snapshot {
	t.Helper()
	s := settle(t, m, "model")
	if s.State != fetch.StateFailed || !strings.Contains(s.Message, want) {
		t.Fatalf("state %s, message %q; want failed, saying %q", s.State, s.Message, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.ModelsDir, "model")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed fetch left something in the models folder: %v", err)
	}
	return s
}

// says waits until the active fetch is in state and says want.
func says(t *testing.T, m *running, state fetch.State, want string) {
	t.Helper()
	var s fetch.Snapshot
	until(t, "the fetch says "+want, func() bool {
		s, _ = m.Get("model")
		ok := s.State == state && strings.Contains(s.Message, want)
		if !ok && s.State.Settled() {
			t.Fatalf("settled as %s (%s) before saying %q", s.State, s.Message, want)
		}
		return ok
	})
}

// TestNetworkFailures: each failure the network package tells apart ends
// in its state and sentence, within bounded time, with the machine online.
func TestNetworkFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	plain := srv.URL + "/model.bin"
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain, http.StatusFound)
	}))
	defer secure.Close()
	dead := origintest.ClosedAddr(t)
	tests := []struct {
		name   string
		url    string
		client func() *http.Client
		want   string
	}{
		{name: "redirect loop", url: srv.URL + "/loop", want: "redirects in a loop"},
		{name: "file:// redirect", url: srv.URL + "/file", want: "file:///etc/passwd, which is not a web address"},
		{name: "https to http", url: secure.URL + "/model.bin", client: secure.Client, want: "from a secure address to an insecure one"},
		{name: "malformed header", url: origintest.RawURL(t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Bad: a\nb\r\n\r\nhello") + "/model.bin", want: "not valid HTTP"},
		{name: "refused port", url: "http://" + origintest.ClosedAddr(t) + "/model.bin", want: "Nothing answers at "},
		{name: "dead proxy", url: plain, client: func() *http.Client {
			tr := newClient().Transport.(*http.Transport)
			tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: dead})
			return &http.Client{Transport: tr}
		}, want: "The proxy at " + dead + " is not answering; gave up"},
		{name: "host not found", url: "http://no-such-host.invalid/model.bin", client: func() *http.Client {
			// The resolver is injected: the test asks no name server.
			tr := newClient().Transport.(*http.Transport)
			tr.DialContext = func(_ context.Context, _, addr string) (net.Conn, error) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			return &http.Client{Transport: tr}
		}, want: "The host no-such-host.invalid does not exist; gave up after 4 tries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MaxRetries = 3
			if tc.client != nil {
				cfg.Client = tc.client()
			}
			m := start(t, cfg)
			began := time.Now()
			if _, err := m.Fetch("model", []fetch.Request{{URL: tc.url}}, fetch.Options{}); err != nil {
				t.Fatal(err)
			}
			fails(t, m, cfg, tc.want)
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("failing took %v", d)
			}
		})
	}
}

// TestServerNotAnsweringSaysSo: while a refused connection is retried the
// fetch says so, with the wait and the bound, before it fails.
func TestServerNotAnsweringSaysSo(t *testing.T) {
	addr := origintest.ClosedAddr(t)
	cfg := testConfig(t)
	cfg.MaxRetries = 3
	cfg.BackoffBase, cfg.BackoffMax = 400*time.Millisecond, 400*time.Millisecond
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: "http://" + addr + "/model.bin"}}, fetch.Options{})
	says(t, m, fetch.StateRunning, "Nothing answers at "+addr+"; trying again in 1 s (try 2 of 4)")
	fails(t, m, cfg, "gave up after 4 tries")
}

// TestWaitsWhileTheSystemSays: offline or behind a portal by the system's
// own view, a fetch waits, saying for what, however often it fails.
func TestWaitsWhileTheSystemSays(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   network.Status
		want string
	}{
		{name: "offline", st: network.Status{State: network.Offline}, want: "not connected to the internet"},
		{name: "portal", st: network.Status{State: network.Portal, PortalURL: "http://127.0.0.1:9/login"}, want: "Sign in to the network at http://127.0.0.1:9/login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MaxRetries = 1
			cfg.Network = network.Fixed(tc.st)
			// No name server answers: a failure that says nothing of the
			// server, as when the machine is offline (a refused port would
			// show the host answered).
			var tries atomic.Int32
			tr := newClient().Transport.(*http.Transport)
			tr.DialContext = func(_ context.Context, _, addr string) (net.Conn, error) {
				tries.Add(1)
				host, _, _ := net.SplitHostPort(addr)
				return nil, &net.DNSError{Err: "server misbehaving", Name: host}
			}
			cfg.Client = &http.Client{Transport: tr}
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{{URL: "http://mirror.test/model.bin"}}, fetch.Options{})
			says(t, m, fetch.StateWaitingNetwork, tc.want)
			until(t, "many more tries than MaxRetries", func() bool { return tries.Load() > 10 })
			if s, _ := m.Get("model"); s.State != fetch.StateWaitingNetwork || !strings.Contains(s.Message, tc.want) {
				t.Fatalf("state %s, message %q: stopped waiting", s.State, s.Message)
			}
		})
	}
}

// portal is a captive portal that answers every request with its sign-in
// page until signedIn, then lets the origin answer.
func portal(t *testing.T, o *origin, signedIn *atomic.Bool, asked *atomic.Int32) *httptest.Server {
	t.Helper()
	page := strings.Repeat("x", 130) + "<html>Sign in</html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if signedIn.Load() {
			o.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCaptivePortal: a portal's page is never kept as the file, with or
// without a known size: the fetch waits, saying where to sign in, and
// resumes once the real file answers.
func TestCaptivePortal(t *testing.T) {
	const size = 256 << 10
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("size known %v", known), func(t *testing.T) {
			o := newOrigin(t, size)
			var signedIn atomic.Bool
			var asked atomic.Int32
			srv := portal(t, o, &signedIn, &asked)
			req := fetch.Request{URL: srv.URL + "/gemma-2b.gguf"}
			if known {
				req.Size = size
			}
			cfg := testConfig(t)
			cfg.MaxRetries = 1
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{req}, fetch.Options{})
			says(t, m, fetch.StateWaitingNetwork, "Sign in to the network at "+req.URL)
			until(t, "more tries than MaxRetries", func() bool { return asked.Load() > 6 })
			if s, _ := m.Get("model"); s.State.Settled() || s.SignIn != req.URL {
				t.Fatalf("%s (%s), sign-in page %q behind a portal; want waiting with %s", s.State, s.Message, s.SignIn, req.URL)
			}
			signedIn.Store(true)
			settleWhole(t, m, "model", o.Bytes(modelPath))
		})
	}
}

// TestLengthMismatch: a file whose length disagrees with the size the
// request gave is not the file, whether the server says its length before
// the body or not.
func TestLengthMismatch(t *testing.T) {
	const size = 256 << 10
	for _, tc := range []struct {
		name   string
		faults []fault
	}{{name: "length told"}, {name: "length not told", faults: []fault{origintest.Chunked}}} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, size, tc.faults...)
			cfg := testConfig(t)
			m := start(t, cfg) // the default MaxRetries: a deterministic mismatch is not tried 9 times
			m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), Size: 2 * size}}, fetch.Options{})
			fails(t, m, cfg, "sent 262 kB where the file is 524 kB, so it is not the file")
			if n := o.Requests.Load(); n > 3 {
				t.Errorf("%d requests for an answer of the same wrong length, want 2 or 3", n)
			}
		})
	}
}

// trickle serves the GETs numbered in ns 100 bytes at a time, every 20 ms
// (5 KB/s), as a link that nearly stopped.
func trickle(ns ...int64) fault {
	return origintest.OnRequests(func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		tw := &trickleWriter{ResponseWriter: w, ctx: r.Context()}
		o.ServeFile(tw, r)
		return true
	}, ns...)
}

type trickleWriter struct {
	http.ResponseWriter
	ctx context.Context
}

func (tw *trickleWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), 100)
		m, err := tw.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		tw.ResponseWriter.(http.Flusher).Flush()
		p = p[n:]
		select {
		case <-tw.ctx.Done():
			return written, tw.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return written, nil
}

// TestSlowConnectionReplaced: one connection of several trickles; it is
// replaced, so the file does not wait for its 256 KiB at 5 KB/s (50 s).
func TestSlowConnectionReplaced(t *testing.T) {
	const size = 1 << 20
	var trickled atomic.Int64
	o := newOrigin(t, size, origintest.Count(&trickled, trickle(2)))
	cfg := testConfig(t)
	cfg.SlowRate, cfg.SlowAfter = 64<<10, 200*time.Millisecond
	cfg.StallTimeout = time.Second
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	t.Logf("the trickling connection sent %d bytes", trickled.Load())
	if got := trickled.Load(); got == 0 || got > 64<<10 {
		t.Errorf("the trickling connection sent %d bytes, want some and at most 64 KiB: it was not replaced", got)
	}
}

// TestVerySlow: when every connection trickles, none is replaced and the
// fetch says how slow it is instead of showing a frozen bar.
func TestVerySlow(t *testing.T) {
	o := newOrigin(t, 1<<20, trickle(1, 2, 3, 4, 5, 6, 7, 8))
	cfg := testConfig(t)
	cfg.MaxConnections = 1
	cfg.SlowRate, cfg.SlowAfter = 64<<10, 200*time.Millisecond
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	says(t, m, fetch.StateRunning, "Very slow: ")
	if s, _ := m.Get("model"); s.Downloaded == 0 {
		t.Errorf("no byte counted while trickling")
	}
	if n := o.GETs.Load(); n > 2 {
		t.Errorf("%d requests: a trickling link was replaced", n)
	}
}

// TestFailedFetchReleasesSpace: a fetch that fails before any byte leaves
// no preallocated partial file; one that fails with useful bytes keeps
// them for a retry.
func TestFailedFetchReleasesSpace(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		name string
		keep bool
		f    fault
	}{
		{name: "nothing useful", f: origintest.OnRequests(origintest.Status(http.StatusNotFound, ""), 1, 2, 3, 4, 5, 6, 7, 8)},
		{name: "half useful", keep: true, f: func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
			if n == 1 {
				return origintest.Cut(size/2)(o, w, r, n)
			}
			return n > 1 && origintest.Status(http.StatusNotFound, "")(o, w, r, n)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, size, tc.f)
			cfg := testConfig(t)
			cfg.MaxConnections = 1
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
			fails(t, m, cfg, "404")
			_, err := os.Stat(filepath.Join(cfg.PartialDir, "model", "0.part"))
			if kept := err == nil; kept != tc.keep {
				t.Errorf("partial file kept %v, want %v (%v)", kept, tc.keep, err)
			}
		})
	}
}

// TestRestartKeepsConnections: after the file changed on the server (a
// 200 to a ranged request), the new version is fetched in ranges over
// several connections again, not on one.
func TestRestartKeepsConnections(t *testing.T) {
	const size = 2 << 20
	v2 := origintest.Content(size, 2)
	var changed atomic.Bool
	var ranged atomic.Int64
	o := newOrigin(t, size, func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if n == 1 {
			origintest.Cut(100<<10)(o, w, r, n)
			o.Put(modelPath, v2)
			changed.Store(true)
			return true
		}
		if r.Header.Get("If-Range") == origintest.ETagOf(v2) {
			ranged.Add(1)
		}
		return false
	})
	cfg := testConfig(t)
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	s := settle(t, m, "model")
	if s.State != fetch.StateSucceeded || !changed.Load() {
		t.Fatalf("state %s (%s), changed %v", s.State, s.Message, changed.Load())
	}
	checkFile(t, s.Records[0].Path, v2)
	if n := ranged.Load(); n < 2 {
		t.Errorf("%d ranged requests for the new version: the restart went on one connection", n)
	}
}

// TestRepairInPlace: a finished file truncated on disk is not taken as
// downloaded; fetching it again puts the whole file in its place, not
// beside it as name-2.
func TestRepairInPlace(t *testing.T) {
	o := newOrigin(t, 256<<10)
	cfg := testConfig(t)
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	s := settle(t, m, "model")
	path := s.Records[0].Path
	if err := os.Truncate(path, 1000); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Match(t.Context(), o.FileURL(modelPath)); ok {
		t.Fatal("a truncated file matched as downloaded")
	}
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	s = settle(t, m, "model")
	if s.State != fetch.StateSucceeded || s.Records[0].Path != path {
		t.Fatalf("state %s (%s), path %s; want succeeded at %s", s.State, s.Message, s.Records[0].Path, path)
	}
	checkFile(t, path, o.Bytes(modelPath))
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("the folder holds %d files (%v), want the one", len(entries), err)
	}
}

// TestRepairChangedInPlace: a finished file with a recorded digest that
// was changed on disk at its full size (one byte flipped) is not taken as
// downloaded; fetching it again asks the server and puts the file back in
// its place, not beside it as name-2. One only touched is hashed (by
// Match and by the fetch), found intact and kept, without asking the
// server.
func TestRepairChangedInPlace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(b []byte)
		asks   bool
		sha    bool // the request names the digest; else the server's is recorded
	}{
		{name: "one byte flipped", change: func(b []byte) { b[len(b)/2] ^= 0xff }, asks: true, sha: true},
		{name: "only touched", change: func([]byte) {}, sha: true},
		{name: "only touched, digest from the server", change: func([]byte) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, 256<<10, func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
				w.Header().Set("X-Linked-Etag", `"`+o.SHA256(modelPath)+`"`) // the server's digest, as a hub gives it
				return false
			})
			m := start(t, testConfig(t))
			req := []fetch.Request{{URL: o.FileURL(modelPath)}}
			if tc.sha {
				req[0].SHA256 = o.SHA256(modelPath)
			}
			m.Fetch("model", req, fetch.Options{})
			path := settle(t, m, "model").Records[0].Path
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(b)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			touch := func(d time.Duration) { // a coarse clock may not tell the write
				if err := os.Chtimes(path, time.Now().Add(d), time.Now().Add(d)); err != nil {
					t.Fatal(err)
				}
			}
			touch(time.Minute)
			if _, ok := m.Match(t.Context(), o.FileURL(modelPath)); ok == tc.asks {
				t.Fatalf("Match: %v, want %v (hashed: the file is intact only when not written)", ok, !tc.asks)
			}
			touch(2 * time.Minute) // so that the fetch hashes it too
			asked := o.GETs.Load()
			m.Fetch("model", req, fetch.Options{})
			s := settle(t, m, "model")
			if s.State != fetch.StateSucceeded || s.Records[0].Path != path || s.Records[0].Name != filepath.Base(path) {
				t.Fatalf("state %s (%s), path %s, name %q; want succeeded at %s", s.State, s.Message, s.Records[0].Path, s.Records[0].Name, path)
			}
			if s.Records[0].SHA256 != o.SHA256(modelPath) {
				t.Errorf("the file's digest is %q, want %s", s.Records[0].SHA256, o.SHA256(modelPath))
			}
			if got := o.GETs.Load() != asked; got != tc.asks {
				t.Errorf("the server asked again: %v, want %v", got, tc.asks)
			}
			checkFile(t, path, o.Bytes(modelPath))
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil || len(entries) != 1 {
				t.Errorf("the folder holds %d files (%v), want the one", len(entries), err)
			}
			if _, ok := m.Match(t.Context(), o.FileURL(modelPath)); !ok {
				t.Error("the repaired file does not match as downloaded")
			}
		})
	}
}

// TestDownloadTotalIsTheSize: the DownloadTotal of a fetch of one file is
// that file's size, so a portal's short page sent as a file (not typed as
// html) is not the file; for several files it stays a cap.
func TestDownloadTotalIsTheSize(t *testing.T) {
	page := newOrigin(t, 179) // the portal's page, as application/octet-stream
	cfg := testConfig(t)
	cfg.MaxRetries = 1
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: page.FileURL(modelPath)}}, fetch.Options{DownloadTotal: 668788096})
	fails(t, m, cfg, "so it is not the file")

	other := newOrigin(t, 1000)
	m.Fetch("two", []fetch.Request{{URL: page.FileURL(modelPath)}, {URL: other.FileURL(modelPath) + "?b"}}, fetch.Options{DownloadTotal: 668788096})
	if s := settle(t, m, "two"); s.State != fetch.StateSucceeded {
		t.Fatalf("two files under a cap: state %s (%s)", s.State, s.Message)
	}
}

// TestCaptivePortalOnGet: a portal that lets HEAD through to the file but
// answers the GET with its sign-in page: the fetch waits, saying where to
// sign in, and never keeps the page as the file.
func TestCaptivePortalOnGet(t *testing.T) {
	o := newOrigin(t, 256<<10)
	page := "<html>Sign in</html>"
	var gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			o.ServeHTTP(w, r)
			return
		}
		gets.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(t)
	cfg.MaxRetries = 1
	m := start(t, cfg)
	url := srv.URL + "/gemma-2b.gguf"
	m.Fetch("model", []fetch.Request{{URL: url}}, fetch.Options{})
	says(t, m, fetch.StateWaitingNetwork, "Sign in to the network at "+url)
	until(t, "more GETs than MaxRetries", func() bool { return gets.Load() > 3 })
	if s, _ := m.Get("model"); s.State.Settled() {
		t.Fatalf("settled as %s (%s) behind a portal", s.State, s.Message)
	}
	if _, err := os.Stat(filepath.Join(cfg.ModelsDir, "model")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the page was kept in the models folder: %v", err)
	}
}

// TestChangedCopyNotTheDest: a finished copy elsewhere that changed on
// disk is not taken for a request that names its own Dest.
func TestChangedCopyNotTheDest(t *testing.T) {
	o := newOrigin(t, 64<<10)
	m := start(t, testConfig(t))
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{})
	path := settle(t, m, "model").Records[0].Path
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "mine.bin")
	m.Fetch("dest", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath), Dest: dest}}, fetch.Options{})
	if s := settle(t, m, "dest"); s.State != fetch.StateSucceeded || s.Records[0].Path != dest {
		t.Fatalf("state %s (%s), path %s; want succeeded at %s", s.State, s.Message, s.Records[0].Path, dest)
	}
	checkFile(t, dest, o.Bytes(modelPath))
}
