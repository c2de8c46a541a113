package downloader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// TestFaults runs one download per injected fault and checks that each
// ends in the right file, having sent little more than the file.
func TestFaults(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name     string
		faults   []fault
		maxSent  int64 // body bytes the server may send in all; 0 means 2×size
		minGets  int64
		cfg      func(*Config)
		minDelay time.Duration
	}{
		{name: "plain"},
		{name: "connection cut mid-body", faults: []fault{origintest.OnRequests(origintest.Cut(300<<10), 1, 2)}, minGets: 3},
		{name: "stall", faults: []fault{origintest.OnRequests(origintest.Stall(200<<10), 1)}, minGets: 2},
		{name: "503 with Retry-After", faults: []fault{origintest.OnRequests(origintest.Status(503, "1"), 1)}, minGets: 2, minDelay: time.Second},
		{name: "429 with Retry-After", faults: []fault{origintest.OnRequests(origintest.Status(429, "1"), 1)}, minGets: 2, minDelay: time.Second},
		// The client drops a 200 to a ranged request after its head, but the
		// server has written some of the body into the socket by then.
		{name: "ranges ignored after a cut", faults: []fault{origintest.OnRequests(origintest.Cut(300<<10), 1), origintest.IgnoreRanges}, maxSent: 3 * size, minGets: 3},
		// Each wrong 206 is rejected unread, but counts as sent.
		{name: "206 at the wrong start", faults: []fault{origintest.OnRequests(origintest.Cut(300<<10), 1), origintest.OnRequests(origintest.ShiftRange, 2, 3)}, maxSent: 3 * size, minGets: 4},
		{name: "no Content-Length", faults: []fault{origintest.OnRequests(origintest.Cut(300<<10), 1), origintest.Chunked}, minGets: 2},
		{name: "500, 502, 504, 408", faults: []fault{origintest.OnRequests(origintest.Status(500, ""), 1), origintest.OnRequests(origintest.Status(502, ""), 2), origintest.OnRequests(origintest.Status(504, ""), 3), origintest.OnRequests(origintest.Status(408, ""), 4)}, minGets: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, size, tc.faults...)
			cfg := testConfig(t)
			cfg.MaxConnections = 1
			clock := &fakeClock{}
			cfg.Clock = clock
			m := start(t, cfg)
			if _, err := m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{Title: "Model"}); err != nil {
				t.Fatal(err)
			}
			settleWhole(t, m, "model", o.Bytes(modelPath))
			noPartials(t, cfg)
			maxSent := cmpOrInt(tc.maxSent, 2*size)
			if got := o.Sent.Load(); got > maxSent {
				t.Errorf("server sent %d bytes, want at most %d", got, maxSent)
			}
			if got := o.GETs.Load(); got < tc.minGets {
				t.Errorf("%d GET requests, want at least %d (the fault never fired)", got, tc.minGets)
			}
			if d := clock.longest(); d < tc.minDelay {
				t.Errorf("the longest wait was %v, not the %v Retry-After", d, tc.minDelay)
			}
		})
	}
}

func cmpOrInt(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// TestFailures checks the failures that must not be retried for ever, and
// that each leaves no file presented as done.
func TestFailures(t *testing.T) {
	const size = 256 << 10
	tests := []struct {
		name   string
		faults []fault
		req    func(o *origin) fetch.Request
		opts   fetch.Options
		want   fetch.Reason
		status int
		is     error // the sentinel of the failure's error chain
	}{
		{name: "404", faults: []fault{origintest.Status(404, "")}, want: fetch.ReasonBadStatus, status: 404},
		{name: "403 from the origin", faults: []fault{origintest.Status(403, "")}, want: fetch.ReasonBadStatus, status: 403},
		{name: "503 for ever", faults: []fault{origintest.Status(503, "")}, want: fetch.ReasonBadStatus, status: 503, is: fetch.ErrGaveUp},
		{name: "more bytes than the total", opts: fetch.Options{DownloadTotal: size / 2}, want: fetch.ReasonTotalExceeded, is: fetch.ErrTotalExceeded},
		{name: "unknown length over the total", faults: []fault{origintest.Chunked}, opts: fetch.Options{DownloadTotal: size / 2}, want: fetch.ReasonTotalExceeded, is: fetch.ErrTotalExceeded},
		{name: "hash mismatch", req: func(o *origin) fetch.Request {
			return fetch.Request{URL: o.FileURL(modelPath), SHA256: strings.Repeat("ab", 32)}
		}, want: fetch.ReasonIntegrity, is: fetch.ErrIntegrity},
		{name: "wrong start every time", faults: []fault{origintest.OnRequests(origintest.Cut(1000), 1), func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
			return n > 1 && origintest.ShiftRange(o, w, r, n)
		}}, want: fetch.ReasonFetchError, is: fetch.ErrGaveUp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, size, tc.faults...)
			cfg := testConfig(t)
			cfg.MaxRetries = 3
			causes := recordCauses(&cfg)
			m := start(t, cfg)
			req := fetch.Request{URL: o.FileURL(modelPath)}
			if tc.req != nil {
				req = tc.req(o)
			}
			if _, err := m.Fetch("model", []fetch.Request{req}, tc.opts); err != nil {
				t.Fatal(err)
			}
			s := settle(t, m, "model")
			if s.State != fetch.StateFailed || s.Result != fetch.ResultFailure || s.FailureReason != tc.want {
				t.Fatalf("state %s, result %q, reason %q (%s); want failed, failure, %q", s.State, s.Result, s.FailureReason, s.Message, tc.want)
			}
			if r := s.Records[0]; r.FailureReason != tc.want || r.Result != fetch.ResultFailure {
				t.Errorf("record reason %q result %q, want %q failure", r.FailureReason, r.Result, tc.want)
			}
			if tc.status != 0 && s.Status != tc.status {
				t.Errorf("status %d, want %d", s.Status, tc.status)
			}
			wordstest.IsSentence(t, s.Message)
			checkCause(t, causes, tc.is)
			if _, err := os.Stat(filepath.Join(cfg.ModelsDir, "model")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed fetch left something in the models folder: %v", err)
			}
		})
	}
}

// TestDigestMismatch: a whole file that differs from its digest is asked
// about again: downloaded once more only when the server's version changed.
func TestDigestMismatch(t *testing.T) {
	const size = 256 << 10
	t.Run("hash mismatch of an unchanged file downloads once", func(t *testing.T) {
		o := newOrigin(t, size)
		cfg := testConfig(t)
		cfg.MaxConnections = 1
		m := start(t, cfg)
		m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: strings.Repeat("cd", 32)}}, fetch.Options{})
		s := settle(t, m, "model")
		if got := o.Sent.Load(); got != size {
			t.Errorf("server sent %d bytes, want %d: its validator did not change", got, size)
		}
		if s.FailureReason != fetch.ReasonIntegrity {
			t.Errorf("reason %s (%s), want integrity", s.FailureReason, s.Message)
		}
		wordstest.IsSentence(t, s.Message, "SHA-256", strings.Repeat("cd", 32))
	})
	t.Run("hash mismatch of a file that changed downloads twice", func(t *testing.T) {
		good := origintest.Content(size, 1)
		want := fmt.Sprintf("%x", sha256.Sum256(good))
		var heads atomic.Int64
		// Not the version the digest is of, until asked again after the
		// mismatch: then a new version.
		o := newOriginOf(t, origintest.Content(size, 99), func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
			if r.Method == http.MethodHead && heads.Add(1) == 2 {
				o.Put(modelPath, good)
			}
			return false
		})
		cfg := testConfig(t)
		cfg.MaxConnections = 1
		m := start(t, cfg)
		m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: want}}, fetch.Options{})
		settleWhole(t, m, "model", good)
		if got := o.Sent.Load(); got != 2*size {
			t.Errorf("server sent %d bytes, want %d (one fresh download)", got, 2*size)
		}
	})
}

// TestContentChanges: the file changes on the server while it is being
// downloaded. The result is one version whole, never a mix of the two: with
// one connection the new one, since the old one was cut.
func TestContentChanges(t *testing.T) {
	const size = 1 << 20
	for _, conns := range []int{1, 16} {
		t.Run(fmt.Sprintf("%d connections", conns), func(t *testing.T) {
			v2 := origintest.Content(size, 2)
			var changed atomic.Bool
			change := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
				if n == 1 {
					// The new version is in place before the cut is seen: a
					// reconnection that raced the Put got the old one whole.
					o.ServePrefix(w, r, 100<<10)
					o.Put(modelPath, v2)
					changed.Store(true)
					origintest.Drop(w)
					return true
				}
				return false
			}
			o := newOrigin(t, size, change)
			v1 := o.Bytes(modelPath)
			cfg := testConfig(t)
			cfg.MaxConnections = conns
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
			s := settle(t, m, "model")
			if s.State != fetch.StateSucceeded || !changed.Load() {
				t.Fatalf("state %s (%s), changed %v", s.State, s.Message, changed.Load())
			}
			got, err := os.ReadFile(s.Records[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v2) && (conns == 1 || !bytes.Equal(got, v1)) {
				t.Fatalf("the file is neither version whole (%d bytes)", len(got))
			}
			if bytes.Equal(got, v2) && s.Records[0].Restarted == "" {
				t.Error("the snapshot does not say why the progress went back")
			}
		})
	}
}

// TestRedirects follows a redirect chain, and re-resolves a signed URL
// that expires mid-download from the original address.
func TestRedirects(t *testing.T) {
	const size = 1 << 20
	o := newOrigin(t, size)
	var issued, expired atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Linked-Etag", `"`+o.SHA256(modelPath)+`"`)
		http.Redirect(w, r, fmt.Sprintf("/signed?token=%d", issued.Add(1)), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/signed", func(w http.ResponseWriter, r *http.Request) {
		// The first token expires once the first GET has begun.
		if r.Method == http.MethodGet && r.URL.Query().Get("token") == "1" && r.Header.Get("Range") != "" {
			expired.Add(1)
			http.Error(w, "expired", http.StatusForbidden)
			return
		}
		o.ServeHTTP(w, r)
	})
	hub := httptest.NewServer(mux)
	defer hub.Close()
	o.SetFaults(origintest.OnRequests(origintest.Cut(300<<10), 1))
	cfg := testConfig(t)
	cfg.MaxConnections = 1
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: hub.URL + "/a"}}, fetch.Options{})
	s := settleWhole(t, m, "model", o.Bytes(modelPath))
	if expired.Load() == 0 || issued.Load() < 2 {
		t.Errorf("expired %d times, issued %d tokens: the expiry was never exercised", expired.Load(), issued.Load())
	}
	if got := s.Records[0].SHA256; got != o.SHA256(modelPath) {
		t.Errorf("digest %q from X-Linked-Etag on the redirect, want %q", got, o.SHA256(modelPath))
	}
	if got := o.Sent.Load(); got > size+300<<10 {
		t.Errorf("server sent %d bytes, want at most %d", got, size+300<<10)
	}
}

// TestHostileName: names from Content-Disposition and URLs never leave
// the fetch's folder.
func TestHostileName(t *testing.T) {
	for _, name := range []string{"../../../../etc/passwd", "..", "a/../../b", "\x00evil\n.bin", `..\..\win.ini`, ".hidden"} {
		t.Run(name, func(t *testing.T) {
			o := newOrigin(t, 1000, func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
				w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
				return false
			})
			cfg := testConfig(t)
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{{URL: o.URL + "/x/%2e%2e%2fescape"}}, fetch.Options{})
			s := settle(t, m, "model")
			if s.State != fetch.StateSucceeded {
				t.Fatalf("state %s (%s)", s.State, s.Message)
			}
			p := s.Records[0].Path
			if filepath.Dir(p) != filepath.Join(cfg.ModelsDir, "model") {
				t.Fatalf("file at %s, outside %s", p, filepath.Join(cfg.ModelsDir, "model"))
			}
			base := filepath.Base(p)
			if strings.ContainsAny(base, "/\\\x00\n") || strings.Contains(base, "..") || strings.HasPrefix(base, ".") {
				t.Errorf("unsafe name %q", base)
			}
		})
	}
}

// TestDiskFull uses a real 1 MiB tmpfs: a file larger than the free space
// fails at once without a byte downloaded, and running out of space
// mid-way keeps the partial data so that Retry resumes.
func TestDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	// fillDisk downloads o's file with the partial folder on a 1 MiB tmpfs
	// and expects quota-exceeded.
	fillDisk := func(t *testing.T, o *origin) (*running, Config, fetch.Snapshot) {
		cfg := testConfig(t)
		causes := recordCauses(&cfg)
		os.MkdirAll(cfg.PartialDir, 0o755)
		if out, err := runCmd("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", cfg.PartialDir); err != nil {
			t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
		}
		t.Cleanup(func() { runCmd("umount", cfg.PartialDir) })
		m := start(t, cfg)
		m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
		s := settle(t, m, "model")
		if s.FailureReason != fetch.ReasonQuotaExceeded {
			t.Fatalf("reason %q (%s), want quota-exceeded", s.FailureReason, s.Message)
		}
		checkCause(t, causes, fetch.ErrNoSpace)
		wordstest.IsSentence(t, s.Message, "retry it")
		return m, cfg, s
	}
	t.Run("known size", func(t *testing.T) {
		o := newOrigin(t, 2<<20)
		fillDisk(t, o)
		if got := o.Sent.Load(); got != 0 {
			t.Errorf("server sent %d bytes before the space check", got)
		}
	})
	t.Run("unknown size, then retry", func(t *testing.T) {
		o := newOrigin(t, 2<<20, origintest.Chunked)
		m, cfg, s := fillDisk(t, o)
		kept := s.Downloaded
		if kept == 0 {
			t.Fatal("no partial data kept")
		}
		if out, err := runCmd("mount", "-o", "remount,size=4m", cfg.PartialDir); err != nil {
			t.Fatalf("remount: %v %s", err, out)
		}
		sentBefore := o.Sent.Load()
		if err := m.Retry("model"); err != nil {
			t.Fatal(err)
		}
		s = settle(t, m, "model")
		if s.State != fetch.StateSucceeded {
			t.Fatalf("after Retry: %s (%s)", s.State, s.Message)
		}
		checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
		if resent := o.Sent.Load() - sentBefore; resent > int64(len(o.Bytes(modelPath)))-kept/2 {
			t.Errorf("Retry fetched %d bytes with %d kept: it did not resume", resent, kept)
		}
	})
}

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestKeepsExistingFile: a file of the same name already in the target
// folder is left alone; the download gets a name of its own.
func TestKeepsExistingFile(t *testing.T) {
	o := newOrigin(t, 1000)
	dir := t.TempDir()
	mine := filepath.Join(dir, "model.bin")
	os.WriteFile(mine, []byte("mine"), 0o644)
	m := start(t, testConfig(t))
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{Dir: dir})
	s := settle(t, m, "model")
	if got, _ := os.ReadFile(mine); string(got) != "mine" {
		t.Errorf("the existing file was replaced")
	}
	if want := filepath.Join(dir, "model-2.bin"); s.Records[0].Path != want {
		t.Errorf("path %q, want %q", s.Records[0].Path, want)
	}
	checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
}

// TestServerLimitsConnections: a server that refuses more than two
// connections at once with 503 gets two, and the download succeeds.
func TestServerLimitsConnections(t *testing.T) {
	const size = 4 << 20
	var active, most, refused atomic.Int64
	limit := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		if active.Add(1) > 2 {
			active.Add(-1)
			refused.Add(1)
			origintest.Status(http.StatusServiceUnavailable, "")(o, w, r, n)
			return true
		}
		defer active.Add(-1)
		for m := most.Load(); active.Load() > m && !most.CompareAndSwap(m, active.Load()); m = most.Load() {
		}
		return origintest.Throttle(8<<20)(o, w, r, n)
	}
	o := newOrigin(t, size, limit)
	cfg := testConfig(t)
	cfg.MaxRetries = 2 // each connection may be refused more often than this
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	if refused.Load() == 0 || most.Load() > 2 {
		t.Errorf("refused %d, most at once %d: the limit was never exercised or was passed", refused.Load(), most.Load())
	}
}

// TestLimitRate: a download under a cap waits as long as the cap asks.
// The limiter reckons in real time and its waits are the injected
// clock's, which takes none, so the debt grows with each read and its
// last wait is what 2 MiB take at 4 MiB/s, less the first burst, less
// the real time the download took (a loaded machine's). Without the
// limiter nothing waits, and the test fails. How fast a capped download
// runs is BenchmarkLimitRate's to measure.
func TestLimitRate(t *testing.T) {
	const size, limit = 2 << 20, 4 << 20
	o := newOrigin(t, size)
	cfg := testConfig(t)
	cfg.LimitRate = limit
	clock := &fakeClock{}
	cfg.Clock = clock
	m := start(t, cfg)
	began := time.Now()
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	took := time.Since(began)
	burst := limit / 10 // Manager.SetLimitRate's: a tenth of a second
	want := time.Duration(float64(size-burst) / limit * float64(time.Second))
	if got := clock.longest(); got <= 0 || got > want*11/10 || got+took < want*9/10 {
		t.Errorf("the longest wait under a cap of 4 MiB/s was %v (the download took %v of real time), want about %v in all", got, took, want)
	}
}

// BenchmarkLimitRate downloads 2 MiB under a cap of 4 MiB/s and reports
// the rate; a download faster than 350 ms (the cap, less the limiter's
// initial burst of 0.4 MiB) broke the cap:
//
//	go test -run '^$' -bench LimitRate ./downloader/
func BenchmarkLimitRate(b *testing.B) {
	var took time.Duration
	for b.Loop() {
		took += limitedDownload(b)
	}
	b.ReportMetric(float64(b.N)*2/took.Seconds(), "MiB/s")
	if d := took / time.Duration(b.N); d < 350*time.Millisecond {
		b.Errorf("2 MiB took %v under a 4 MiB/s cap", d)
	}
}

// limitedDownload downloads 2 MiB under a cap of 4 MiB/s, and says how
// long it took.
func limitedDownload(tb testing.TB) time.Duration {
	const size = 2 << 20
	o := newOrigin(tb, size)
	cfg := testConfig(tb)
	cfg.LimitRate = 4 << 20
	m := start(tb, cfg)
	began := time.Now()
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(tb, m, "model", o.Bytes(modelPath))
	return time.Since(began)
}

// TestOffline: with nothing listening (as when the machine is offline)
// the fetch waits for the network without failing, and completes by
// itself once the server is there.
func TestOffline(t *testing.T) {
	o := newOrigin(t, 1<<20)
	// The network is unreachable until up: a failure that says nothing of
	// the server (a refused port would show its host answered).
	var up atomic.Bool
	tr := newClient().Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !up.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", errNetUnreachable)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	cfg := testConfig(t)
	cfg.MaxRetries = 1 // waits for the network must not count towards it
	cfg.Network = network.Fixed{State: network.Offline}
	cfg.Client = &http.Client{Transport: tr}
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	until(t, "the fetch waits for the network", func() bool {
		s, _ := m.Get("model")
		return s.State == fetch.StateWaitingNetwork
	})
	up.Store(true)
	settleWhole(t, m, "model", o.Bytes(modelPath))
}

// TestRangeNotSatisfiable: a 416 to a resume starts the file again from
// zero and ends with the right file.
func TestRangeNotSatisfiable(t *testing.T) {
	const size = 1 << 20
	o := newOrigin(t, size, origintest.OnRequests(origintest.Cut(300<<10), 1), origintest.OnRequests(origintest.Status(http.StatusRequestedRangeNotSatisfiable, ""), 2))
	cfg := testConfig(t)
	cfg.MaxConnections = 1
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	s := settleWhole(t, m, "model", o.Bytes(modelPath))
	if s.Records[0].Restarted == "" || o.GETs.Load() < 3 {
		t.Errorf("restarted %q after %d requests: the 416 did not restart the file", s.Records[0].Restarted, o.GETs.Load())
	}
}

// TestShortBodies: a server that supports ranges but cuts every answer
// after 100 KiB, each with the full Content-Length of what was asked. The
// file must end whole; before the byte ledger it was called done with its
// tail zero.
func TestShortBodies(t *testing.T) {
	const size = 1 << 20
	o := newOrigin(t, size, origintest.Cut(100<<10))
	cfg := testConfig(t)
	cfg.MaxRetries = 3
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
}

// TestCutsAtPieceEnds: a larger file over many connections from a server
// that cuts each answer whenever the bytes it has served cross a multiple
// of a step, so that many cuts fall between reads (a read that returns 0
// bytes with the error) and near piece ends. No digest is known: only the
// engine's own bookkeeping can keep the file whole.
func TestCutsAtPieceEnds(t *testing.T) {
	const size = 24 << 20
	for _, step := range []int64{1 << 20, 256 << 10, 300 << 10} {
		t.Run(fmt.Sprint(step), func(t *testing.T) {
			t.Parallel()
			var served atomic.Int64
			o := newOrigin(t, size, origintest.CrossCut(&served, step))
			cfg := testConfig(t)
			m := start(t, cfg)
			m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
			settleWhole(t, m, "model", o.Bytes(modelPath))
			if o.GETs.Load() < 10 {
				t.Errorf("%d requests: the cuts never fired", o.GETs.Load())
			}
		})
	}
}

// journalSynced is what the journal on disk records as synced for the
// first record of its only fetch.
func journalSynced(t *testing.T, cfg Config) ledger.Spans {
	j, err := journal.Read(filepath.Join(cfg.StateDir, "journal.json"), time.Time{})
	if err != nil || len(j.Fetches) != 1 {
		return nil
	}
	var s ledger.Spans
	for _, seg := range j.Fetches[0].Records[0].Segments {
		s = s.Add(seg.Start, seg.Done)
	}
	return s
}

// TestCheckpointCadence: the first checkpoint comes within about a
// second even when the interval is long, and later ones come by bytes.
func TestCheckpointCadence(t *testing.T) {
	t.Run("first within a second", func(t *testing.T) {
		t.Parallel()
		o := newOrigin(t, 8<<20, origintest.Throttle(512<<10))
		cfg := testConfig(t)
		cfg.CheckpointInterval, cfg.CheckpointBytes = time.Hour, 1<<40
		cfg.MaxConnections = 4
		m := start(t, cfg)
		began := time.Now()
		m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
		until(t, "a checkpoint", func() bool { return journalSynced(t, cfg).Total() > 0 })
		if d := time.Since(began); d > 2*time.Second || d < transfer.FirstCheckpoint/2 {
			t.Errorf("first checkpoint after %v, want about %v", d, transfer.FirstCheckpoint)
		}
	})
	t.Run("by bytes", func(t *testing.T) {
		t.Parallel()
		o := newOrigin(t, 8<<20, origintest.Throttle(4<<20))
		cfg := testConfig(t)
		cfg.CheckpointInterval, cfg.CheckpointBytes = time.Hour, 256<<10
		cfg.MaxConnections = 1
		m := start(t, cfg)
		m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
		var seen []int64
		until(t, "four checkpoints", func() bool {
			if n := journalSynced(t, cfg).Total(); n > 0 && (len(seen) == 0 || n != seen[len(seen)-1]) {
				seen = append(seen, n)
			}
			return len(seen) >= 4
		})
		m.Abort("model")
	})
}

// TestResumeExactlyMissing: after a stop mid-way over several connections,
// the next engine asks only for the bytes the journal does not hold.
func TestResumeExactlyMissing(t *testing.T) {
	const size = 8 << 20
	var mu sync.Mutex
	var asked ledger.Spans
	record := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		var from, to int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &from, &to); err == nil && r.Method == http.MethodGet {
			mu.Lock()
			asked = asked.Add(from, to+1)
			mu.Unlock()
		} else if r.Method == http.MethodGet {
			mu.Lock()
			asked = asked.Add(0, size)
			mu.Unlock()
		}
		return origintest.Throttle(4<<20)(o, w, r, n)
	}
	o := newOrigin(t, size, record)
	cfg := testConfig(t)
	cfg.MaxConnections = 4
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{})
	until(t, "2 MiB synced", func() bool { return journalSynced(t, cfg).Total() > 2<<20 })
	m.stop()
	held := journalSynced(t, cfg)
	mu.Lock()
	asked = nil
	mu.Unlock()
	sentBefore := o.Sent.Load()
	m = start(t, cfg)
	settleWhole(t, m, "model", o.Bytes(modelPath))
	mu.Lock()
	defer mu.Unlock()
	for _, h := range held {
		for _, a := range asked {
			if a.From < h.To && h.From < a.To {
				t.Errorf("asked again for %v, which the journal held (%v)", a, held)
			}
		}
	}
	if resent, want := o.Sent.Load()-sentBefore, size-held.Total(); resent > want+want/4 {
		t.Errorf("the second engine was sent %d bytes for %d missing", resent, want)
	}
}

// TestUnknownLengthEndsAtCut: a server that sends no length cuts the
// connection after the last byte but before the body's end; the resume
// from there is answered 416 with the total, which ends the file without
// downloading it again.
func TestUnknownLengthEndsAtCut(t *testing.T) {
	const size = 1 << 20
	allButEnd := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		w.Header().Set("ETag", o.ETag(modelPath))
		w.Header().Set("Accept-Ranges", "bytes")
		w.WriteHeader(http.StatusOK)
		w.Write(o.Bytes(modelPath))
		w.(http.Flusher).Flush()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return true
	}
	o := newOrigin(t, size, origintest.OnRequests(allButEnd, 1), origintest.Chunked)
	m := start(t, testConfig(t))
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	if o.GETs.Load() != 2 || o.Sent.Load() > size+size/8 {
		t.Errorf("%d requests, %d bytes sent: the file was downloaded again", o.GETs.Load(), o.Sent.Load())
	}
}

// TestRetryAfterPausesOneRequest: a 503 with Retry-After: 1 to one of
// several connections pauses that connection, not the transfer: the
// others carry its range, and the file is done while it still waits.
func TestRetryAfterPausesOneRequest(t *testing.T) {
	const size = 4 << 20
	var refused atomic.Int64
	once := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" && refused.CompareAndSwap(0, 1) {
			return origintest.Status(http.StatusServiceUnavailable, "1")(o, w, r, n)
		}
		return false
	}
	_, clock := settleHoldingRetryAfter(t, size, 4, once)
	if refused.Load() == 0 {
		t.Fatal("no request was refused")
	}
	if d := clock.longest(); d != time.Second {
		t.Errorf("the longest wait was %v, want the Retry-After of 1s", d)
	}
}

// TestRetryAfterOnEveryConnection: when every connection is told to come
// back later, others take their ranges: a connection waiting out a
// Retry-After holds no socket, so it does not count against the cap, and
// the server still never serves more bodies at once than the cap.
func TestRetryAfterOnEveryConnection(t *testing.T) {
	const size, conns = 4 << 20, 2
	var refused atomic.Int64
	first := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method == http.MethodGet && refused.Add(1) <= conns {
			return origintest.Status(http.StatusServiceUnavailable, "1")(o, w, r, n)
		}
		return false
	}
	o, _ := settleHoldingRetryAfter(t, size, conns, first)
	if n := refused.Load(); n <= conns {
		t.Fatalf("%d GETs, want more than the %d refused", n, conns)
	}
	if p := o.Peak(); p > conns {
		t.Errorf("the server sent %d bodies at once, over the cap of %d", p, conns)
	}
}

// settleHoldingRetryAfter downloads size bytes with at most conns
// connections from an origin with fault, while every Retry-After wait
// lasts until the test ends: the transfer must finish without them. The
// transfer's ticks never come either, so a waiting connection's range
// must be taken up at once, not at the next tick. It returns the origin
// and the clock, which knows the waits asked for.
func settleHoldingRetryAfter(t *testing.T, size, conns int, f fault) (*origin, *fakeClock) {
	t.Helper()
	o := newOrigin(t, size, f)
	cfg := testConfig(t)
	cfg.MaxConnections = conns
	cfg.ScaleInterval, cfg.CheckpointInterval = time.Hour, time.Hour
	clock := &fakeClock{cap: cfg.BackoffMax, hold: make(chan struct{})}
	t.Cleanup(func() { close(clock.hold) })
	cfg.Clock = clock
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	return o, clock
}

// checkLink checks that link is a relative symlink, or where the system
// makes none (Windows without developer mode, wine), dest itself by a
// hard link.
func checkLink(t *testing.T, link, dest string) {
	t.Helper()
	if target, err := os.Readlink(link); err == nil {
		if filepath.IsAbs(target) {
			t.Fatalf("link %s -> %q, want a relative target", link, target)
		}
		return
	}
	probe := filepath.Join(filepath.Dir(link), ".symlink-probe")
	defer os.Remove(probe)
	if os.Symlink("x", probe) == nil {
		if got, err := os.Readlink(probe); err == nil && got == "x" {
			t.Fatalf("link %s is no symlink, where symlinks can be made", link)
		}
	}
	a, errA := os.Lstat(link)
	b, errB := os.Stat(dest)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Fatalf("link %s is neither a symlink nor %s (%v, %v)", link, dest, errA, errB)
	}
}

// A request with an exact Dest and links lands exactly there, verified by
// its git blob id; asked again, it is done without a request; a file at a
// Dest without a digest is never replaced.
func TestDestLinksAndGitSHA1(t *testing.T) {
	o := newOrigin(t, 300<<10)
	cfg := testConfig(t)
	m := start(t, cfg)
	dir := t.TempDir()
	dest := filepath.Join(dir, "blobs", origintest.GitBlobID(o.Bytes(modelPath)))
	links := []string{filepath.Join(dir, "snapshots", "c1", "sub", "model.bin"), filepath.Join(dir, "snapshots", "c2", "model.bin")}
	req := fetch.Request{URL: o.FileURL(modelPath), GitSHA1: origintest.GitBlobID(o.Bytes(modelPath)), Size: int64(len(o.Bytes(modelPath))), Dest: dest, Links: links}
	if _, err := m.Fetch("a", []fetch.Request{req}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := settle(t, m, "a"); s.Result != fetch.ResultSuccess || s.Records[0].Path != links[0] { // the name tools open
		t.Fatalf("got %s %s at %q", s.FailureReason, s.Message, s.Records[0].Path)
	}
	checkFile(t, dest, o.Bytes(modelPath))
	for _, l := range links {
		checkLink(t, l, dest)
		checkFile(t, l, o.Bytes(modelPath))
	}
	if err := os.Remove(links[1]); err != nil {
		t.Fatal(err)
	}
	gets := o.GETs.Load()
	snap, err := m.Fetch("b", []fetch.Request{req}, fetch.Options{})
	if err != nil || snap.Result != fetch.ResultSuccess || o.GETs.Load() != gets {
		t.Fatalf("a present Dest: %s, %v, %d more requests", snap.State, err, o.GETs.Load()-gets)
	}
	checkFile(t, links[1], o.Bytes(modelPath)) // made again

	checkChangedDestFetchedAgain(t, m, o, req)
}

// checkChangedDestFetchedAgain changes req's committed Dest on disk at the
// same size: it is not trusted by its size, but fetched again into its
// place.
func checkChangedDestFetchedAgain(t *testing.T, m *running, o *origin, req fetch.Request) {
	t.Helper()
	dest := req.Dest
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(dest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute) // a coarse clock may not tell the write
	if err := os.Chtimes(dest, later, later); err != nil {
		t.Fatal(err)
	}
	gets := o.GETs.Load()
	if _, err := m.Fetch("c", []fetch.Request{req}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := settle(t, m, "c"); s.Result != fetch.ResultSuccess || s.Records[0].Path != req.Links[0] || o.GETs.Load() == gets {
		t.Fatalf("a changed Dest: %s %s at %q, %d more requests; want it fetched again into its place",
			s.FailureReason, s.Message, s.Records[0].Path, o.GETs.Load()-gets)
	}
	checkFile(t, dest, o.Bytes(modelPath))
}

// A file whose bytes fail their git blob id is not kept; a file at a Dest
// of a request without a digest is never replaced; a relative Dest is
// refused.
func TestDestRefused(t *testing.T) {
	o := newOrigin(t, 100<<10)
	m := start(t, testConfig(t))
	dir := t.TempDir()
	req := fetch.Request{URL: o.FileURL(modelPath), Size: int64(len(o.Bytes(modelPath)))}
	bad := req
	bad.GitSHA1 = origintest.GitBlobID([]byte("other"))
	bad.Dest = filepath.Join(dir, "blobs", bad.GitSHA1)
	if _, err := m.Fetch("c", []fetch.Request{bad}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := settle(t, m, "c"); s.FailureReason != fetch.ReasonIntegrity || !strings.Contains(s.Message, "git blob id") {
		t.Errorf("a wrong git blob id: %s %q", s.FailureReason, s.Message)
	}
	if _, err := os.Stat(bad.Dest); err == nil {
		t.Error("a file that failed its digest was kept")
	}

	mine := filepath.Join(dir, "mine.bin")
	if err := os.WriteFile(mine, []byte("a person's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fetch("d", []fetch.Request{{URL: o.FileURL(modelPath), Dest: mine}}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := settle(t, m, "d"); s.Result != fetch.ResultFailure {
		t.Errorf("a Dest without a digest over a file: %s", s.Result)
	}
	checkFile(t, mine, []byte("a person's file"))
	if _, err := m.Fetch("e", []fetch.Request{{URL: o.FileURL(modelPath), Dest: "relative/x"}}, fetch.Options{}); err == nil {
		t.Error("a relative Dest was accepted")
	}
}
