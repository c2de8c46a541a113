package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// maxChunk is the most the server writes at once: large writes keep its
// share of the two cores small, so the clients are what is measured.
const maxChunk = 1 << 20

// cappedChunk is the write size under a per-connection cap: small enough
// that the token bucket paces the stream smoothly.
const cappedChunk = 256 << 10

// content is the file every URL serves: a seeded pseudo-random block
// repeated with an odd period. Serving it costs no more than a copy from
// memory, yet bytes written at a wrong offset (a shift by any power of
// two, or by any segment size an engine picks) change the SHA-256.
type content struct {
	block  []byte // period bytes, then maxChunk more that repeat its start
	period int64
}

func newContent() *content {
	const period = 16<<20 + 1
	block := make([]byte, period+maxChunk)
	rand.NewChaCha8([32]byte{'m', 'o', 'd', 'e', 'l', 'f', 'e', 't', 'c', 'h'}).Read(block[:period]) // never fails
	copy(block[period:], block[:maxChunk])
	return &content{block: block, period: period}
}

// at is the file's n bytes from off, n at most maxChunk, without a copy.
func (c *content) at(off int64, n int) []byte {
	i := off % c.period
	return c.block[i : i+int64(n)]
}

// sums is the hex SHA-256 of the file at each of sizes, in one pass.
func (c *content) sums(sizes []int64) map[int64]string {
	sizes = slices.Sorted(slices.Values(sizes))
	out := make(map[int64]string, len(sizes))
	h := sha256.New()
	var off int64
	for _, size := range sizes {
		for off < size {
			n := int(min(maxChunk, size-off))
			h.Write(c.at(off, n))
			off += int64(n)
		}
		out[size] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// server serves the content on 127.0.0.1 at /MODE/SIZE/model.bin, with
// ranges and a strong ETag like a CDN. MODE is plain, capped (each TCP
// connection limited to capRate), cut (a connection is dropped each
// time cutEvery more body bytes have been sent over all of them) or flaky
// (30 % of requests are answered 503 with Retry-After: 1, as a busy CDN
// does).
type server struct {
	c        *content
	capRate  rate.Limit
	cutEvery int64
	sent     atomic.Int64 // body bytes sent on cut URLs since the last reset
	requests atomic.Int64 // GET requests since the last reset
	asked    atomic.Int64 // requests to flaky URLs, refused or not
	active   atomic.Int64 // bodies being sent now
	peak     atomic.Int64 // the most bodies sent at once since the last reset
	http     *http.Server
	ln       net.Listener
	// log, when set, hears of every body sent, with the times since the
	// server started: how a client spreads its connections over time.
	log   io.Writer
	start time.Time
}

// connLimiter is the context key of a connection's token bucket.
type connLimiter struct{}

// lastModified is the same for every URL: the content never changes.
var lastModified = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)

// startServer serves c on a free port of 127.0.0.1; log may be nil.
func startServer(c *content, capRate float64, cutEvery int64, log io.Writer) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{c: c, capRate: rate.Limit(capRate), cutEvery: cutEvery, ln: ln, log: log, start: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{mode}/{size}/model.bin", s.serve)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// The cap is per TCP connection, as CDNs apply it, so each
		// connection gets its own bucket, which starts full.
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connLimiter{}, rate.NewLimiter(s.capRate, cappedChunk))
		},
	}
	go s.http.Serve(ln) // returns http.ErrServerClosed once close is called
	return s, nil
}

// url is where the file of size bytes is served in mode.
func (s *server) url(mode string, size int64) string {
	return fmt.Sprintf("http://%s/%s/%d/model.bin", s.ln.Addr(), mode, size)
}

// reset starts a run's counts from zero: every run sees its cuts at the
// same offsets, and its own request and connection counts.
func (s *server) reset() {
	s.sent.Store(0)
	s.requests.Store(0)
	s.asked.Store(0)
	s.peak.Store(s.active.Load())
}

// stats is how many GET requests the server answered since the last
// reset, and how many bodies it sent at once at most: the connections a
// client really used.
func (s *server) stats() (requests, peak int64) { return s.requests.Load(), s.peak.Load() }

func (s *server) close() error { return s.http.Close() }

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	mode := r.PathValue("mode")
	size, err := strconv.ParseInt(r.PathValue("size"), 10, 64)
	if err != nil || size < 0 || !slices.Contains([]string{"plain", "capped", "cut", "flaky"}, mode) {
		http.NotFound(w, r)
		return
	}
	if mode == "flaky" && s.refuse() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy, try again", http.StatusServiceUnavailable)
		return
	}
	start, end, ok := s.head(w, r, size)
	if !ok || r.Method == http.MethodHead {
		return
	}
	s.requests.Add(1)
	if n := s.active.Add(1); n > s.peak.Load() {
		s.peak.Store(n) // a race between two new peaks loses at most one
	}
	defer s.active.Add(-1)
	off := start
	if s.log != nil {
		began := time.Since(s.start)
		defer func() {
			fmt.Fprintf(s.log, "%8.3fs %8.3fs  %-15s bytes %d-%d: sent %d\n", began.Seconds(), time.Since(s.start).Seconds(),
				r.RemoteAddr, start, end-1, off-start)
		}()
	}
	s.body(w, r, mode, &off, end)
}

// refuse decides whether a request to a flaky URL is answered 503: 30 %
// of them, the same ones in every run.
func (s *server) refuse() bool {
	n := s.asked.Add(1)
	return rand.New(rand.NewPCG(uint64(n), 0xf1a4)).IntN(10) < 3
}

// head writes the response head for the range asked, and reports the
// body's bounds; ok is false when the answer is complete already.
func (s *server) head(w http.ResponseWriter, r *http.Request, size int64) (start, end int64, ok bool) {
	etag := fmt.Sprintf(`"bench-%d"`, size)
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Last-Modified", lastModified)
	h.Set("Content-Type", "application/octet-stream")
	start, end, status := int64(0), size, http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		ir := r.Header.Get("If-Range")
		first, last, ok := parseRange(rg, size)
		switch {
		case ir != "" && ir != etag && ir != lastModified:
			// The client's copy is of another file: send the whole one.
		case !ok:
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return 0, 0, false
		case first >= 0:
			start, end, status = first, last, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
		}
	}
	h.Set("Content-Length", strconv.FormatInt(end-start, 10))
	w.WriteHeader(status)
	return start, end, true
}

// body sends the file from *off to end as mode says, moving *off on.
func (s *server) body(w http.ResponseWriter, r *http.Request, mode string, off *int64, end int64) {
	chunk := maxChunk
	var lim *rate.Limiter
	if mode == "capped" {
		lim = r.Context().Value(connLimiter{}).(*rate.Limiter)
		chunk = cappedChunk
	}
	for *off < end {
		n := int(min(int64(chunk), end-*off))
		if lim != nil {
			if err := lim.WaitN(r.Context(), n); err != nil {
				return // the client went away
			}
		}
		if _, err := w.Write(s.c.at(*off, n)); err != nil {
			return
		}
		*off += int64(n)
		if mode == "cut" {
			total := s.sent.Add(int64(n))
			if total/s.cutEvery != (total-int64(n))/s.cutEvery {
				// The server closes the TCP connection mid-body without a
				// log line, as a flaky link or proxy would.
				panic(http.ErrAbortHandler)
			}
		}
	}
}

// parseRange reads a single-range "bytes=a-b", "bytes=a-" or "bytes=-n"
// header as the half-open [first, last). first is -1 when the header is
// one the server may ignore (several ranges, another unit); ok is false
// when the range is not satisfiable.
func parseRange(v string, size int64) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return -1, 0, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return -1, 0, true
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return -1, 0, true
		}
		if size == 0 {
			return 0, 0, false
		}
		return max(0, size-n), size, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return -1, 0, true
	}
	last = size
	if b != "" {
		l, err := strconv.ParseInt(b, 10, 64)
		if err != nil || l < first {
			return -1, 0, true
		}
		last = min(size, l+1)
	}
	if first >= size {
		return 0, 0, false
	}
	return first, last, true
}
