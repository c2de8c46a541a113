// Package origintest serves files over HTTP on 127.0.0.1 for tests and
// benchmarks, as net/http/httptest serves handlers: a correct range server
// (http.ServeContent) with a strong ETag, faults injected per request
// (cuts, stalls, statuses with Retry-After, ignored or shifted ranges, no
// Content-Length, throttling, holds, new versions of a file) and counts of
// what it answered. It imports nothing of the engine, so that every
// package's tests, the engine's own among them, can use it.
package origintest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Server is an origin on 127.0.0.1. Its counters count from the start or
// from the last Reset.
type Server struct {
	// URL is the server's base, http://127.0.0.1:port, with no slash.
	URL string
	srv *httptest.Server

	mu     sync.Mutex
	files  map[string]file // by URL path
	anyway string          // the path whose file every other path serves
	faults []Fault

	release chan struct{} // closed by Release
	once    sync.Once

	Requests atomic.Int64 // requests for a file, HEAD included
	GETs     atomic.Int64 // GET requests for a file; a Fault's n is this count
	Sent     atomic.Int64 // body bytes written
	active   atomic.Int64 // bodies being sent now
	peak     atomic.Int64 // the most bodies sent at once
}

// file is one file's current version.
type file struct {
	body Body
	etag string
}

// Body is a file's content: bytes.Reader is one, Pattern another.
type Body interface {
	io.ReaderAt
	Size() int64
}

// A Fault may answer request r itself, returning true; false lets the
// next fault, and after the last the file, answer. n counts the server's
// GET requests from 1 (0 for other methods).
type Fault func(s *Server, w http.ResponseWriter, r *http.Request, n int64) bool

// connKey is the context key of a connection's state.
type connKey struct{}

// connState is what a Fault may keep per TCP connection.
type connState struct {
	once sync.Once
	lim  *rate.Limiter // ThrottleConn's, made by the connection's first request
}

// NewServer starts a server with faults applied in order to each request.
// The caller closes it (t.Cleanup(s.Close)).
func NewServer(faults ...Fault) *Server { return NewServerAt(nil, faults...) }

// NewServerAt is NewServer listening on l (nil: a free port of
// 127.0.0.1), for a test that needs the address before the server
// answers.
func NewServerAt(l net.Listener, faults ...Fault) *Server {
	s := &Server{files: map[string]file{}, faults: faults, release: make(chan struct{})}
	if l == nil {
		s.srv = httptest.NewUnstartedServer(s)
	} else {
		s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s}}
	}
	s.srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, &connState{})
	}
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

// Close releases held requests, cuts the connections still open and shuts
// the server down. A handler stuck writing to a client that left must not
// hold the test up: Linux fails such a write once the client closes, wine 8
// now and then never does.
func (s *Server) Close() {
	s.Release()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetFaults replaces the faults, for the requests from now on.
func (s *Server) SetFaults(faults ...Fault) {
	s.mu.Lock()
	s.faults = faults
	s.mu.Unlock()
}

// Put serves data at path (from now on: a new version has a new ETag).
func (s *Server) Put(path string, data []byte) {
	s.PutBody(path, bytes.NewReader(data), ETagOf(data))
}

// ETagOf is the ETag Put gives data.
func ETagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// PutBody serves body at path with the ETag etag.
func (s *Server) PutBody(path string, body Body, etag string) {
	s.mu.Lock()
	s.files[path] = file{body, etag}
	s.mu.Unlock()
}

// FileURL is the URL of path.
func (s *Server) FileURL(path string) string { return s.URL + path }

// ServeEverywhere serves the file at path (its version of the moment) at
// every path that has none of its own, as a server that ignores the path.
func (s *Server) ServeEverywhere(path string) {
	s.mu.Lock()
	s.anyway = path
	s.mu.Unlock()
}

// lookup is the file at path.
func (s *Server) lookup(path string) (file, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[path]
	if !ok && s.anyway != "" {
		f, ok = s.files[s.anyway]
	}
	return f, ok
}

// Bytes is the content at path now.
func (s *Server) Bytes(path string) []byte {
	f, ok := s.lookup(path)
	if !ok {
		return nil
	}
	b := make([]byte, f.body.Size())
	f.body.ReadAt(b, 0) // a Body reads whole
	return b
}

// SHA256 is the hex SHA-256 of the content at path now.
func (s *Server) SHA256(path string) string {
	sum := sha256.Sum256(s.Bytes(path))
	return hex.EncodeToString(sum[:])
}

// ETag is the ETag of the content at path now.
func (s *Server) ETag(path string) string {
	f, _ := s.lookup(path)
	return f.etag
}

// Reset starts the counters from zero, so that each run of a benchmark
// counts its own requests and bodies.
func (s *Server) Reset() {
	s.Requests.Store(0)
	s.GETs.Store(0)
	s.Sent.Store(0)
	s.peak.Store(s.active.Load())
}

// Peak is the most bodies the server sent at once since the last Reset:
// the connections a client really used.
func (s *Server) Peak() int64 { return s.peak.Load() }

// Release lets every held request (Hold) go on, and those to come.
func (s *Server) Release() { s.once.Do(func() { close(s.release) }) }

// ServeHTTP answers r as the server does: a proxy in front of it calls it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.lookup(r.URL.Path); !ok {
		http.NotFound(w, r)
		return
	}
	s.Requests.Add(1)
	var n int64
	if r.Method == http.MethodGet {
		n = s.GETs.Add(1)
	}
	if a := s.active.Add(1); a > s.peak.Load() {
		s.peak.Store(a) // a race between two new peaks loses at most one
	}
	defer s.active.Add(-1)
	cw := &countingWriter{ResponseWriter: w, n: &s.Sent}
	s.mu.Lock()
	faults := s.faults
	s.mu.Unlock()
	for _, f := range faults {
		if f(s, cw, r, n) {
			return
		}
	}
	s.ServeFile(cw, r)
}

// ServeFile answers r with the file, as the server does when no fault
// answers: a Fault calls it with a writer of its own.
func (s *Server) ServeFile(w http.ResponseWriter, r *http.Request) {
	f, ok := s.lookup(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(f.body, 0, f.body.Size()))
}

// ServePrefix answers r as the file would, but sends only the first limit
// bytes of the body.
func (s *Server) ServePrefix(w http.ResponseWriter, r *http.Request, limit int) {
	s.ServeFile(&prefixWriter{ResponseWriter: w, left: limit}, r)
	http.NewResponseController(w).Flush()
}

// prefixWriter passes on at most left body bytes and swallows the rest.
type prefixWriter struct {
	http.ResponseWriter
	left int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	k := min(p.left, len(b))
	p.left -= k
	if _, err := p.ResponseWriter.Write(b[:k]); err != nil {
		return 0, err
	}
	if p.left == 0 {
		return 0, errCut
	}
	return len(b), nil
}

// errCut ends ServeContent's copy where a fault cut the body.
var errCut = errors.New("origintest: cut")

// countingWriter counts the body bytes written through it.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// pieces are the buffers of ReadFrom.
var pieces = sync.Pool{New: func() any { return new([1 << 20]byte) }}

// ReadFrom copies a body in pieces of 1 MiB, not io.Copy's 32 KiB: a
// benchmark's server then spends its share of the cores on little more
// than a copy from memory, so that the clients are what is measured.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) { return copyPieces(c, r) }

// copyPieces copies r to w through a buffer of 1 MiB.
func copyPieces(w io.Writer, r io.Reader) (int64, error) {
	buf := pieces.Get().(*[1 << 20]byte)
	defer pieces.Put(buf)
	return io.CopyBuffer(struct{ io.Writer }{w}, r, buf[:])
}

// Flush sends what was written: a fault's writer may flush through it.
func (c *countingWriter) Flush() { http.NewResponseController(c.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the connection, so that a
// fault can drop it (Hijack).
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Drop closes r's connection at once, as a broken link does.
func Drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

// OnRequests applies f to the GET requests numbered in ns.
func OnRequests(f Fault, ns ...int64) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, n int64) bool {
		for _, m := range ns {
			if n == m {
				return f(s, w, r, n)
			}
		}
		return false
	}
}

// OnPaths applies f to requests whose path starts with prefix.
func OnPaths(prefix string, f Fault) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, n int64) bool {
		if strings.HasPrefix(r.URL.Path, prefix) {
			return f(s, w, r, n)
		}
		return false
	}
}

// Cut sends the response head and at most limit body bytes of a GET,
// then drops the connection.
func Cut(limit int) Fault {
	return prefixThen(limit, func(w http.ResponseWriter, _ *http.Request) { Drop(w) })
}

// Stall sends limit body bytes of a GET and then nothing until the client
// gives up.
func Stall(limit int) Fault {
	return prefixThen(limit, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
}

// prefixThen answers a GET with the head and at most limit body bytes,
// then calls then.
func prefixThen(limit int, then func(http.ResponseWriter, *http.Request)) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		s.ServePrefix(w, r, limit)
		then(w, r)
		return true
	}
}

// Status answers with code, and with Retry-After: retryAfter when that is
// not empty.
func Status(code int, retryAfter string) Fault {
	return func(_ *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(code), code)
		return true
	}
}

// IgnoreRanges serves the whole file with 200 to a GET, whatever was
// asked.
func IgnoreRanges(_ *Server, _ http.ResponseWriter, r *http.Request, _ int64) bool {
	if r.Method == http.MethodGet {
		r.Header.Del("Range")
	}
	return false
}

// ShiftRange answers a request for "bytes=a-" with the bytes from a+1, as
// a 206 that claims them.
func ShiftRange(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
	var from int64
	if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err != nil {
		return false
	}
	f, _ := s.lookup(r.URL.Path)
	size := f.body.Size()
	from = min(from+1, size)
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, size-1, size))
	w.Header().Set("Content-Length", strconv.FormatInt(size-from, 10))
	w.WriteHeader(http.StatusPartialContent)
	io.Copy(w, io.NewSectionReader(f.body, from, size-from))
	return true
}

// Chunked serves the file with no Content-Length; a range "bytes=a-" is
// honoured with an unknown total.
func Chunked(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
	f, _ := s.lookup(r.URL.Path)
	size := f.body.Size()
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("ETag", f.etag)
	if r.Method == http.MethodHead {
		return true
	}
	var from int64
	if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err == nil {
		if from >= size {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return true
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", from, size-1))
		w.WriteHeader(http.StatusPartialContent)
	}
	buf := make([]byte, 64<<10)
	for i := from; i < size; i += int64(len(buf)) {
		k, _ := f.body.ReadAt(buf[:min(int64(len(buf)), size-i)], i)
		if _, err := w.Write(buf[:k]); err != nil {
			return true
		}
		http.NewResponseController(w).Flush()
	}
	return true
}

// Hold keeps each request waiting until Release is called (or the client
// leaves), then lets it go on.
func Hold(s *Server, _ http.ResponseWriter, r *http.Request, _ int64) bool {
	select {
	case <-s.release:
		return false
	case <-r.Context().Done():
		return true
	}
}

// CrossCut drops a GET's connection where the body bytes sent by all the
// fault's answers together cross a multiple of step, so that cuts fall at
// every place a body can be cut (between reads, at piece ends) and are the
// same in every run; served counts those bytes.
func CrossCut(served *atomic.Int64, step int64) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		s.ServeFile(&crossWriter{ResponseWriter: w, served: served, step: step}, r)
		return true
	}
}

// crossWriter drops the connection where served crosses a multiple of
// step.
type crossWriter struct {
	http.ResponseWriter
	served *atomic.Int64
	step   int64
}

func (c *crossWriter) Write(p []byte) (int, error) {
	after := c.served.Add(int64(len(p)))
	before := after - int64(len(p))
	next := (before/c.step + 1) * c.step
	if next > after {
		return c.ResponseWriter.Write(p)
	}
	c.served.Add(next - after) // not sent: the next answer goes on from the multiple
	n, _ := c.ResponseWriter.Write(p[:next-before])
	http.NewResponseController(c.ResponseWriter).Flush()
	Drop(c.ResponseWriter)
	return n, errCut
}

// ReadFrom copies in pieces of 1 MiB, as countingWriter does.
func (c *crossWriter) ReadFrom(r io.Reader) (int64, error) { return copyPieces(c, r) }

func (c *crossWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Content is size bytes generated from seed: every seed gives other bytes.
func Content(size int, seed uint64) []byte {
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// ClosedAddr is a 127.0.0.1 address where nothing listens: connections
// to it are refused, as to a server that is down.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// Named is size bytes that depend on name, so that every file differs.
func Named(name string, size int) []byte {
	var seed [32]byte
	copy(seed[:], name)
	b := make([]byte, size)
	rand.NewChaCha8(seed).Read(b) // never fails
	return b
}

// HoldFrom sends a GET's body up to the file's byte off, then holds the
// rest until Release is called (or the client leaves): a download that
// stops half-way until the test lets it go on.
func HoldFrom(off int64) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		s.ServeFile(&holdWriter{ResponseWriter: w, s: s, ctx: r.Context(), hold: off, pos: -1}, r)
		return true
	}
}

// holdWriter passes the body on until the file offset hold, and the rest
// once the server releases it.
type holdWriter struct {
	http.ResponseWriter
	s    *Server
	ctx  context.Context
	hold int64
	pos  int64 // the file offset of the next byte; -1 before the first
}

func (h *holdWriter) Write(p []byte) (int, error) {
	if h.pos < 0 {
		h.pos = 0
		fmt.Sscanf(h.Header().Get("Content-Range"), "bytes %d-", &h.pos) // none: from 0
	}
	written := 0
	if h.pos < h.hold {
		k := int(min(int64(len(p)), h.hold-h.pos))
		n, err := h.ResponseWriter.Write(p[:k])
		written, h.pos = n, h.pos+int64(n)
		if err != nil || k == len(p) {
			return written, err
		}
		p = p[k:]
		http.NewResponseController(h.ResponseWriter).Flush()
	}
	select {
	case <-h.s.release:
	case <-h.ctx.Done():
		return written, context.Cause(h.ctx)
	}
	n, err := h.ResponseWriter.Write(p)
	h.pos += int64(n)
	return written + n, err
}

func (h *holdWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// Count is f with the body bytes it writes added to n: what one kind of
// answer sent, beside the server's Sent.
func Count(n *atomic.Int64, f Fault) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, k int64) bool {
		return f(s, &countingWriter{ResponseWriter: w, n: n}, r, k)
	}
}

// ClosedURL is http://ClosedAddr(tb).
func ClosedURL(tb testing.TB) string { return "http://" + ClosedAddr(tb) }

// RawURL is the http:// address of a server on 127.0.0.1 that reads each
// request and answers with the bytes of reply, whatever was asked: for an
// answer that is not valid HTTP, or that breaks off.
func RawURL(tb testing.TB, reply string) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
					_, _ = io.WriteString(c, reply) // the client's error is what the test sees
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// GitBlobID is the git blob id of data: the SHA-1 of "blob <size>\x00"
// and the bytes, the digest the Hub lists for a plain git file.
func GitBlobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// Start is NewServer for a test: closed when the test ends.
func Start(tb testing.TB, faults ...Fault) *Server {
	s := NewServer(faults...)
	tb.Cleanup(s.Close)
	return s
}

// PutNamed serves size bytes of Named(name, size) at /files/NAME (and
// returns its URL), the tests' convention for a file of their own.
func (s *Server) PutNamed(name string, size int) string {
	s.Put(NamedPath(name), Named(name, size))
	return s.FileURL(NamedPath(name))
}

// NamedPath is where PutNamed serves name.
func NamedPath(name string) string { return "/files/" + name }
