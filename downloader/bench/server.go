//go:build linux

package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// server serves the pattern on 127.0.0.1 at /MODE/SIZE/model.bin, with
// ranges and a strong ETag like a CDN (origintest). MODE is plain, capped
// (each TCP connection limited to capRate), cut (a connection is dropped
// each time cutEvery more body bytes have been sent over all of them) or
// flaky (30 % of requests are answered 503 with Retry-After: 1, as a busy
// CDN does) or whole (every GET answered 200 with the whole file, as a
// server without ranges does).
type server struct {
	*origintest.Server
	p     *origintest.Pattern
	modes map[string]origintest.Fault
	cut   atomic.Int64 // body bytes sent on cut URLs since the last reset
	asked atomic.Int64 // requests to flaky URLs, refused or not
	// log, when set, hears of every body sent, with the times since the
	// server started: how a client spreads its connections over time.
	log   io.Writer
	start time.Time
}

// startServer serves p on a free port of 127.0.0.1; log may be nil.
func startServer(p *origintest.Pattern, capRate float64, cutEvery int64, log io.Writer) *server {
	s := &server{p: p, log: log, start: time.Now()}
	whole := func(o *origintest.Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		o.ServeFile(w, r)
		return true
	}
	s.modes = map[string]origintest.Fault{
		"plain":  whole,
		"capped": origintest.ThrottleConn(int(capRate)),
		"cut":    origintest.CrossCut(&s.cut, cutEvery),
		"flaky": func(o *origintest.Server, w http.ResponseWriter, r *http.Request, n int64) bool {
			if s.refuse() {
				return origintest.Status(http.StatusServiceUnavailable, "1")(o, w, r, n)
			}
			return whole(o, w, r, n)
		},
		"whole": func(o *origintest.Server, w http.ResponseWriter, r *http.Request, n int64) bool {
			origintest.IgnoreRanges(o, w, r, n)
			return whole(o, w, r, n)
		},
	}
	s.Server = origintest.NewServer(s.answer)
	return s
}

// url is where the file of size bytes is served in mode.
func (s *server) url(mode string, size int64) string {
	path := fmt.Sprintf("/%s/%d/model.bin", mode, size)
	s.PutBody(path, s.p.Sized(size), `"bench-`+strconv.FormatInt(size, 10)+`"`)
	return s.FileURL(path)
}

// reset starts a run's counts from zero: every run sees its cuts at the
// same offsets, its flaky answers in the same order, and its own request
// and connection counts.
func (s *server) reset() {
	s.Reset()
	s.cut.Store(0)
	s.asked.Store(0)
}

// stats is how many GET requests the server answered since the last
// reset, and how many answers it sent at once at most: the connections a
// client really used.
func (s *server) stats() (requests, peak int64) { return s.GETs.Load(), s.Peak() }

// answer serves r as its mode says, logging the body when asked to.
func (s *server) answer(o *origintest.Server, w http.ResponseWriter, r *http.Request, n int64) bool {
	mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f := s.modes[mode]
	if s.log == nil || r.Method != http.MethodGet {
		return f(o, w, r, n)
	}
	var sent atomic.Int64
	began := time.Since(s.start)
	defer func() {
		fmt.Fprintf(s.log, "%8.3fs %8.3fs  %-15s %s: sent %d\n", began.Seconds(), time.Since(s.start).Seconds(),
			r.RemoteAddr, r.Header.Get("Range"), sent.Load())
	}()
	return origintest.Count(&sent, f)(o, w, r, n)
}

// refuse decides whether a request to a flaky URL is answered 503: 30 %
// of them, the same ones in every run.
func (s *server) refuse() bool {
	n := s.asked.Add(1)
	return rand.New(rand.NewPCG(uint64(n), 0xf1a4)).IntN(10) < 3
}
