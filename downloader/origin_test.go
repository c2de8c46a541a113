package downloader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// origin is a test server for one file, with faults injected per request.
type origin struct {
	*httptest.Server
	t        *testing.T
	mu       sync.Mutex
	data     []byte
	etag     string
	faults   []fault
	requests atomic.Int64 // GET requests
	sent     atomic.Int64 // body bytes written
}

// fault may handle request n (counting GETs from 1); it returns false to
// let the file be served normally.
type fault func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool

func content(size int, seed uint64) []byte {
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func newOrigin(t *testing.T, size int, faults ...fault) *origin {
	o := &origin{t: t, data: content(size, 1), faults: faults}
	o.etag = etagOf(o.data)
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func (o *origin) sha() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	sum := sha256.Sum256(o.data)
	return hex.EncodeToString(sum[:])
}

// setData replaces the file, as a server whose model was re-uploaded.
func (o *origin) setData(b []byte) {
	o.mu.Lock()
	o.data, o.etag = b, etagOf(b)
	o.mu.Unlock()
}

func (o *origin) currentETag() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.etag
}

func (o *origin) url() string { return o.URL + "/models/model.bin" }

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Accept-Encoding"); got != "identity" {
		o.t.Errorf("Accept-Encoding %q, want identity", got)
	}
	var n int64
	if r.Method == http.MethodGet {
		n = o.requests.Add(1)
	}
	cw := &countingWriter{ResponseWriter: w, n: &o.sent}
	for _, f := range o.faults {
		if f(o, cw, r, n) {
			return
		}
	}
	o.serveFile(cw, r)
}

func (o *origin) serveFile(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	data, etag := o.data, o.etag
	o.mu.Unlock()
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "model.bin", time.Time{}, bytes.NewReader(data))
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingWriter) Flush() { c.ResponseWriter.(http.Flusher).Flush() }

// Unwrap lets http.ResponseController reach the connection, so that a
// fault can drop it (Hijack).
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// onRequests applies f to the GET requests numbered in ns.
func onRequests(f fault, ns ...int64) fault {
	return func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		for _, m := range ns {
			if n == m {
				return f(o, w, r, n)
			}
		}
		return false
	}
}

// cut sends the response head and at most limit body bytes, then drops
// the connection.
func cut(limit int) fault {
	return func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		o.servePrefix(w, r, limit)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
}

// stall sends limit bytes and then nothing until the client gives up.
func stall(limit int) fault {
	return func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		o.servePrefix(w, r, limit)
		<-r.Context().Done()
		return true
	}
}

// servePrefix answers r as the file would, but sends only the first limit
// bytes of the body.
func (o *origin) servePrefix(w http.ResponseWriter, r *http.Request, limit int) {
	rec := httptest.NewRecorder()
	o.serveFile(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	w.Write(body[:min(limit, len(body))])
	w.(http.Flusher).Flush()
}

// status answers with code (and Retry-After when retry is set).
func status(code int, retry string) fault {
	return func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		http.Error(w, http.StatusText(code), code)
		return true
	}
}

// ignoreRanges serves the whole file with 200 whatever was asked.
func ignoreRanges(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
	if r.Method == http.MethodGet {
		r.Header.Del("Range")
	}
	return false
}

// shiftRange answers a ranged request with the bytes one later than asked.
func shiftRange(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
	var from int64
	if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err != nil {
		return false
	}
	o.mu.Lock()
	data := o.data
	o.mu.Unlock()
	from++
	w.Header().Set("ETag", o.etag)
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(data)-1, len(data)))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)-int(from)))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(data[from:])
	return true
}

// chunked serves the file with no Content-Length; open-ended ranges are
// honoured with an unknown total.
func chunked(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
	o.mu.Lock()
	data := o.data
	o.mu.Unlock()
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("ETag", o.etag)
	if r.Method == http.MethodHead {
		return true
	}
	var from int
	if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err == nil {
		if from >= len(data) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return true
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", from, len(data)-1))
		w.WriteHeader(http.StatusPartialContent)
	}
	for i := from; i < len(data); i += 64 << 10 {
		w.Write(data[i:min(i+64<<10, len(data))])
		w.(http.Flusher).Flush()
	}
	return true
}

// testConfig is a Config on temp folders with times short enough for tests.
func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	return Config{
		StateDir:           filepath.Join(dir, "state"),
		PartialDir:         filepath.Join(dir, "cache", "partial"),
		ModelsDir:          filepath.Join(dir, "cache", "models"),
		StallTimeout:       300 * time.Millisecond,
		CheckpointInterval: 20 * time.Millisecond,
		ProgressInterval:   20 * time.Millisecond,
		ScaleInterval:      20 * time.Millisecond,
		BackoffBase:        5 * time.Millisecond,
		BackoffMax:         50 * time.Millisecond,
		MinSegment:         64 << 10,
		Logger:             slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// testWriter sends the engine's log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// running is a Manager whose Run goroutine the test owns.
type running struct {
	*Manager
	stop func()
}

func start(t *testing.T, cfg Config) *running {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	r := &running{Manager: m}
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// until polls cond until it holds, failing the test after a deadline.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle waits for the fetch to settle and returns its snapshot.
func settle(t *testing.T, m *running, id string) Snapshot {
	t.Helper()
	var s Snapshot
	until(t, id+" settles", func() bool {
		s, _ = m.Get(id)
		return s.State.Settled()
	})
	return s
}

// settleWhole waits for the fetch id to settle, and fails unless it
// succeeded with its first file holding exactly want.
func settleWhole(t *testing.T, m *running, id string, want []byte) Snapshot {
	t.Helper()
	s := settle(t, m, id)
	if s.State != StateSucceeded {
		t.Fatalf("state %s (%s: %s), want succeeded", s.State, s.FailureReason, s.Message)
	}
	checkFile(t, s.Records[0].Path, want)
	return s
}

// checkFile fails unless path holds exactly want.
func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read result: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file %s: got %d bytes (sha %x), want %d bytes (sha %x)", path, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

// noPartials fails if any .part file is left.
func noPartials(t *testing.T, cfg Config) {
	t.Helper()
	filepath.WalkDir(cfg.PartialDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("partial file left: %s", p)
		}
		return nil
	})
}
