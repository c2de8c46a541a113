package origintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// get asks s for path with the range rg ("" for none) and returns the
// answer with its whole body, or the error of the read.
func get(t *testing.T, s *Server, path, rg string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.FileURL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rg != "" {
		req.Header.Set("Range", rg)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func serve(t *testing.T, data []byte, faults ...Fault) *Server {
	t.Helper()
	s := NewServer(faults...)
	s.Put("/f", data)
	t.Cleanup(s.Close)
	return s
}

func TestRangesAndCounters(t *testing.T) {
	data := Content(1000, 7)
	s := serve(t, data)
	resp, body, err := get(t, s, "/f", "bytes=100-")
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:]) {
		t.Fatalf("range: %v %v, %d bytes", err, resp.Status, len(body))
	}
	if resp.Header.Get("ETag") != ETagOf(data) || s.ETag("/f") != ETagOf(data) {
		t.Errorf("ETag %q, want %q", resp.Header.Get("ETag"), ETagOf(data))
	}
	if resp, _, _ := get(t, s, "/other", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a path with no file: %s", resp.Status)
	}
	if s.GETs.Load() != 1 || s.Requests.Load() != 1 || s.Sent.Load() != 900 {
		t.Errorf("GETs %d, requests %d, sent %d; want 1, 1, 900", s.GETs.Load(), s.Requests.Load(), s.Sent.Load())
	}
	sum := sha256.Sum256(data)
	if s.SHA256("/f") != hex.EncodeToString(sum[:]) {
		t.Error("SHA256 is not the file's")
	}
}

func TestVersionsAndReset(t *testing.T) {
	data := Content(1000, 7)
	s := serve(t, data)
	s.Put("/f", Content(1000, 8)) // a new version
	if resp, body, _ := get(t, s, "/f", ""); resp.Header.Get("ETag") == ETagOf(data) || bytes.Equal(body, data) {
		t.Error("Put did not replace the file")
	}
	s.ServeEverywhere("/f")
	if resp, _, _ := get(t, s, "/other", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("ServeEverywhere: %s", resp.Status)
	}
	s.Reset()
	if s.GETs.Load() != 0 || s.Sent.Load() != 0 {
		t.Error("Reset left counts")
	}
}

func TestCut(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, OnRequests(Cut(1000), 1))
	if _, body, err := get(t, s, "/f", ""); err == nil || len(body) != 1000 {
		t.Errorf("request 1: %d bytes, %v; want 1000 and an error", len(body), err)
	}
	if _, body, err := get(t, s, "/f", ""); err != nil || !bytes.Equal(body, data) {
		t.Errorf("request 2: %d bytes, %v; want the file", len(body), err)
	}
}

func TestStall(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, Stall(10))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.FileURL("/f"), nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if len(body) != 10 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%d bytes, %v; want 10 and the deadline", len(body), err)
	}
}

func TestStatus(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, Status(http.StatusServiceUnavailable, "7"))
	resp, _, _ := get(t, s, "/f", "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("%s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
}

func TestIgnoreRanges(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, IgnoreRanges)
	if resp, body, _ := get(t, s, "/f", "bytes=10-"); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("%s, %d bytes", resp.Status, len(body))
	}
}

func TestShiftRange(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, ShiftRange)
	resp, body, _ := get(t, s, "/f", "bytes=10-")
	if resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 11-%d/%d", len(data)-1, len(data)) || !bytes.Equal(body, data[11:]) {
		t.Errorf("%s, %d bytes", resp.Header.Get("Content-Range"), len(body))
	}
}

func TestChunked(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, Chunked)
	resp, body, _ := get(t, s, "/f", "bytes=10-")
	if resp.ContentLength != -1 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-%d/*", len(data)-1) || !bytes.Equal(body, data[10:]) {
		t.Errorf("length %d, %s, %d bytes", resp.ContentLength, resp.Header.Get("Content-Range"), len(body))
	}
}

func TestCrossCut(t *testing.T) {
	data := Content(100_000, 1)
	var served atomic.Int64
	s := serve(t, data, CrossCut(&served, 30_000))
	_, first, err1 := get(t, s, "/f", "")
	_, second, err2 := get(t, s, "/f", "bytes=50000-")
	if len(first) != 30_000 || err1 == nil || len(second) != 30_000 || err2 == nil {
		t.Errorf("cut after %d (%v) and %d (%v), want 30000 each", len(first), err1, len(second), err2)
	}
}

func TestCountAndThrottle(t *testing.T) {
	data := Content(100_000, 1)
	var n atomic.Int64
	s := serve(t, data, Count(&n, Throttle(10<<20)))
	if _, body, err := get(t, s, "/f", ""); err != nil || !bytes.Equal(body, data) || n.Load() != int64(len(data)) {
		t.Errorf("%d bytes, %v, counted %d", len(body), err, n.Load())
	}
}

func TestHold(t *testing.T) {
	data := Content(100_000, 1)
	s := serve(t, data, OnPaths("/f", HoldFrom(60_000)))
	got := make(chan int, 1)
	go func() {
		_, body, _ := get(t, s, "/f", "bytes=50000-")
		got <- len(body)
	}()
	until := time.Now().Add(10 * time.Second)
	for s.Sent.Load() < 10_000 && time.Now().Before(until) {
		time.Sleep(time.Millisecond) // the server's count has no event
	}
	select {
	case n := <-got:
		t.Fatalf("got %d bytes before the release", n)
	case <-time.After(20 * time.Millisecond):
	}
	if s.Sent.Load() != 10_000 {
		t.Errorf("sent %d before the release, want the 10000 up to the hold", s.Sent.Load())
	}
	s.Release()
	if n := <-got; n != 50_000 {
		t.Errorf("got %d bytes after the release, want 50000", n)
	}
}

func TestPattern(t *testing.T) {
	p := NewPattern()
	const size = patternPeriod + 3<<20 // past the first period
	b := make([]byte, size)
	if n, err := p.Sized(size).ReadAt(b, 0); n != size || err != nil {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
	if !bytes.Equal(b[patternPeriod:patternPeriod+100], b[:100]) || bytes.Equal(b[1<<20:1<<20+100], b[:100]) {
		t.Error("the pattern does not repeat with its period alone")
	}
	sum := sha256.Sum256(b)
	if got := p.Sums([]int64{size, 10})[size]; got != hex.EncodeToString(sum[:]) {
		t.Error("Sums is not the SHA-256 of what ReadAt reads")
	}
	tail := make([]byte, 10)
	if n, err := p.Sized(size).ReadAt(tail, size-4); n != 4 || err != io.EOF || !bytes.Equal(tail[:4], b[size-4:]) {
		t.Errorf("ReadAt past the end: %d, %v", n, err)
	}
}

func TestClosedAddr(t *testing.T) {
	if _, err := net.Dial("tcp", ClosedAddr(t)); !errors.Is(err, errRefused) {
		t.Errorf("dial: %v, want refused", err)
	}
}
