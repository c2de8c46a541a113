package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader"
)

// TestLoad runs 4 fetches alone and with 100 clients streaming every
// event, in alternating rounds so that a busy machine affects both alike,
// and compares the median speeds. In the first loaded round one more
// client asks for the events and never reads: it must be dropped, every
// other client must get the 4 success events, and the downloads must keep
// their speed.
//
// For the figures: go test -race -run TestLoad -v ./downloader/api/
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test moves 768 MB")
	}
	const (
		fetches = 4
		size    = 32 << 20
		rounds  = 3
	)
	clients := 100
	if v := os.Getenv("MF_LOAD_CLIENTS"); v != "" {
		if _, err := fmt.Sscan(v, &clients); err != nil {
			t.Fatalf("MF_LOAD_CLIENTS=%q: %v", v, err)
		}
	}
	sizes := map[string]int{}
	for r := range rounds {
		for _, kind := range []string{"alone", "loaded"} {
			for i := range fetches {
				sizes[fmt.Sprintf("%s%d-%d", kind, r, i)] = size
			}
		}
	}
	e := newEnv(t, envOptions{
		sizes:    sizes,
		sameData: true,
		progress: 250 * time.Millisecond, // the engine's default
		// A small send buffer per connection: a client that stops reading
		// blocks the server's writes after a few events instead of after
		// the kernel's default of 200 KB, so the test sees it dropped
		// while the downloads run.
		sendBuffer: 4 << 10,
		tweak: func(o *Options) {
			o.WriteTimeout = time.Second
		},
	})
	ctx := ctxT(t)

	// download fetches the 4 files of a phase and returns how long it took.
	download := func(phase string) time.Duration {
		t.Helper()
		ids := make([]string, fetches)
		start := time.Now()
		for i := range fetches {
			name := fmt.Sprintf("%s-%d", phase, i)
			snap, created, err := e.c.Create(ctx, CreateRequest{ID: name, Requests: []downloader.Request{{URL: e.origin.url(name), SHA256: e.origin.sha(name)}}})
			if err != nil || !created {
				t.Fatalf("create %s: created=%v, %v", name, created, err)
			}
			ids[i] = snap.ID
		}
		waitFor(t, phase+" to finish", func() bool {
			for _, id := range ids {
				if s, _ := e.m.Get(id); s.State != downloader.StateSucceeded {
					if s.State.Settled() {
						t.Fatalf("%s: %s (%s)", id, s.State, s.Message)
					}
					return false
				}
			}
			return true
		})
		return time.Since(start)
	}

	// loaded downloads the phase's files while clients stream every event,
	// returning how long it took and how many events the clients read.
	loaded := func(phase string) (time.Duration, int64) {
		t.Helper()
		var delivered, finished, ready atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		existing := len(e.m.IDs())
		for range clients {
			wg.Go(func() {
				// Each its own client, as separate programs would be.
				c := NewClient(e.sock)
				defer c.CloseIdleConnections()
				st, err := c.Events(ctx, "")
				if err != nil {
					errs <- err
					ready.Add(1)
					return
				}
				defer st.Close()
				// The stream starts with a snapshot of every fetch; the
				// timing is of the events that follow.
				for range existing {
					if _, err := st.Next(); err != nil {
						errs <- fmt.Errorf("reading the snapshots: %w", err)
						ready.Add(1)
						return
					}
					delivered.Add(1)
				}
				ready.Add(1)
				seen := map[string]bool{}
				for len(seen) < fetches {
					ev, err := st.Next()
					if err != nil {
						errs <- fmt.Errorf("after %d successes: %w", len(seen), err)
						return
					}
					delivered.Add(1)
					if ev.Kind == downloader.EventSuccess && strings.HasPrefix(ev.Fetch.ID, phase+"-") {
						seen[ev.Fetch.ID] = true
					}
				}
				finished.Add(1)
			})
		}
		waitFor(t, "every client to read its snapshots", func() bool { return ready.Load() == int64(clients) })
		if phase == "loaded0" {
			// And the slow client's stream is open too.
			waitFor(t, "the slow stream to open", func() bool { return e.srv.Stats().Opened == int64(clients)+1 })
		}
		took := download(phase)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("a streaming client: %v", err)
		}
		if got := finished.Load(); got != int64(clients) {
			t.Fatalf("%d of %d clients got every success event", got, clients)
		}
		return took, delivered.Load()
	}

	var alone, busy []time.Duration
	var delivered int64
	start := time.Now()
	for r := range rounds {
		alone = append(alone, download(fmt.Sprintf("alone%d", r)))
		var slow net.Conn
		if r == 0 {
			// The slow client: asks for every event and never reads a byte.
			var err error
			if slow, err = net.Dial("unix", e.sock); err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			if _, err := io.WriteString(slow, "GET /v1/events HTTP/1.1\r\nHost: modelfetch\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		took, n := loaded(fmt.Sprintf("loaded%d", r))
		busy = append(busy, took)
		delivered += n
		if r == 0 {
			waitFor(t, "the slow client to be dropped", func() bool { return e.srv.Stats().Dropped >= 1 })
			// Dropped means its connection is closed: reading what the
			// kernel buffered ends in EOF, not in a wait.
			if err := slow.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, slow); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the slow client's connection is still open")
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	rate := func(d time.Duration) float64 { return float64(fetches*size) / d.Seconds() / 1e6 }
	ratio := rate(median(busy)) / rate(median(alone))
	st := e.srv.Stats()
	t.Logf("%d rounds in %v; each round 4 fetches of %d MiB alone, then with %d clients streaming every event", rounds, time.Since(start).Round(time.Millisecond), size>>20, clients)
	t.Logf("alone:  %v, median %.1f MB/s", alone, rate(median(alone)))
	t.Logf("loaded: %v, median %.1f MB/s", busy, rate(median(busy)))
	t.Logf("speed with the clients / speed alone: %.2f", ratio)
	t.Logf("events read by the clients: %d (%.0f per client per round); server: %d streams, %d dropped, %d events written", delivered, float64(delivered)/float64(clients*rounds), st.Opened, st.Dropped, st.Events)
	if st.Dropped != 1 {
		t.Errorf("%d streams were dropped, want only the slow one", st.Dropped)
	}
	// Generous: the point is that no client holds the engine back (one
	// that did would stop the downloads, not slow them), and the clients
	// here share the machine's cores with the engine. The race detector
	// makes their JSON decoding several times dearer.
	floor := 0.5
	if raceEnabled {
		floor = 0.3
	}
	if ratio < floor {
		t.Errorf("the downloads ran at %.2f of their speed with the clients, want at least %.1f", ratio, floor)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
