package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// TestLoad downloads 4 files of 32 MiB while 100 clients stream every
// event, and one more client asks for every event and reads nothing past
// the answer's header: that one, and only that one, must be dropped,
// every other client must get the 4 success events, and every download
// must finish. How fast the downloads run with the clients is
// BenchmarkLoad's to measure; -v logs this round's figures.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test moves 128 MB")
	}
	l := newLoadTest(t)
	stuck := openStuckStream(t, l.e.sock)
	took, delivered := l.loaded(t, "loaded")
	waitHangUp(t, stuck)
	// Dropped means its connection is closed: reading what the kernel
	// buffered ends in EOF, not in a wait.
	if err := stuck.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, stuck); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the stuck client's connection is still open")
	} else if err != nil {
		t.Fatal(err)
	}
	st := l.e.srv.Stats()
	t.Logf("%d fetches of %d MiB with %d clients streaming every event: %v, %.1f MB/s", loadFetches, loadSize>>20, l.clients, took.Round(time.Millisecond), loadRate(took))
	t.Logf("events read by the clients: %d; server: %d streams, %d dropped, %d events written", delivered, st.Opened, st.Dropped, st.Events)
	if st.Opened != int64(l.clients)+1 {
		t.Errorf("got %d streams opened, want %d", st.Opened, l.clients+1)
	}
	if st.Dropped != 1 {
		t.Errorf("got %d streams dropped, want only the stuck one", st.Dropped)
	}
}

// BenchmarkLoad measures what clients streaming every event cost the
// downloads. Each op downloads 4 files of 32 MiB alone, then 4 more while
// 100 clients stream every event; alone and loaded alternate, so that a
// busy machine slows both alike. It reports the median speeds and their
// ratio, loaded/alone: near 1 when no client holds the engine back (one
// that did would stop the downloads, not slow them). The clients share
// the machine's cores with the engine, and the race detector makes their
// JSON decoding several times dearer.
//
//	go test -run '^$' -bench Load -benchtime 3x ./downloader/api/
func BenchmarkLoad(b *testing.B) {
	l := newLoadTest(b)
	var alone, busy []time.Duration
	for i := 0; b.Loop(); i++ {
		alone = append(alone, l.download(b, fmt.Sprintf("alone%d", i)))
		took, _ := l.loaded(b, fmt.Sprintf("loaded%d", i))
		busy = append(busy, took)
		l.forget(b)
	}
	b.ReportMetric(loadRate(median(alone)), "MB/s-alone")
	b.ReportMetric(loadRate(median(busy)), "MB/s-loaded")
	b.ReportMetric(loadRate(median(busy))/loadRate(median(alone)), "loaded/alone")
}

// The size of a load round: loadFetches files of loadSize bytes.
const (
	loadFetches = 4
	loadSize    = 32 << 20
)

// loadTest is an engine and its server with one file of loadSize bytes at
// the origin, which a round downloads loadFetches times under URLs of its
// own, with or without clients streaming every event.
type loadTest struct {
	e       *env
	clients int // MF_LOAD_CLIENTS, 100 when unset
}

func newLoadTest(tb testing.TB) *loadTest {
	tb.Helper()
	l := &loadTest{clients: 100}
	if v := os.Getenv("MF_LOAD_CLIENTS"); v != "" {
		if _, err := fmt.Sscan(v, &l.clients); err != nil {
			tb.Fatalf("MF_LOAD_CLIENTS=%q: %v", v, err)
		}
	}
	l.e = newEnv(tb, envOptions{
		sizes:    map[string]int{"load": loadSize},
		progress: 250 * time.Millisecond, // the engine's default
		// A small send buffer per connection: a client that stops reading
		// blocks the server's writes after a few events instead of after
		// the kernel's default of 200 KB, so that the events of one round
		// are enough to get it dropped.
		sendBuffer: 4 << 10,
		tweak: func(o *Options) {
			o.WriteTimeout = time.Second
		},
	})
	return l
}

// loadRate is the speed of a round that took d, in MB/s.
func loadRate(d time.Duration) float64 { return float64(loadFetches*loadSize) / d.Seconds() / 1e6 }

// download fetches the files of phase (ids phase-0, phase-1, …) and
// returns how long it took; every one must succeed.
func (l *loadTest) download(tb testing.TB, phase string) time.Duration {
	tb.Helper()
	ctx := ctxT(tb)
	ids := make([]string, loadFetches)
	start := time.Now()
	for i := range ids {
		id := fmt.Sprintf("%s-%d", phase, i)
		// The query makes the URL a download of its own.
		req := fetch.Request{URL: l.e.origin.url("load") + "?" + id, Name: id + ".bin", SHA256: l.e.origin.sha("load")}
		createdSnap, created, err := l.e.c.Create(ctx, CreateRequest{ID: id, Requests: []fetch.Request{req}})
		snap := createdSnap.Snapshot
		if err != nil || !created {
			tb.Fatalf("create %s: got created=%v, %v, want a new fetch", id, created, err)
		}
		ids[i] = snap.ID
	}
	snaps := waitSettled(tb, l.e.m, ids...)
	took := time.Since(start)
	for _, snap := range snaps {
		if snap.State != fetch.StateSucceeded {
			tb.Fatalf("%s: got %s (%s), want succeeded", snap.ID, snap.State, snap.Message)
		}
	}
	return took
}

// loaded downloads the files of phase while the clients stream every
// event, each on a connection of its own as separate programs would be.
// It returns how long the downloads took and how many events the clients
// read, and fails unless every client read the success of every fetch.
func (l *loadTest) loaded(tb testing.TB, phase string) (time.Duration, int64) {
	tb.Helper()
	ctx := ctxT(tb)
	existing := len(l.e.m.IDs())
	var delivered, finished atomic.Int64
	var wg, ready sync.WaitGroup
	ready.Add(l.clients)
	errs := make(chan error, l.clients)
	for range l.clients {
		wg.Go(func() {
			c := NewClient(l.e.sock)
			defer c.CloseIdleConnections()
			n, err := streamLoad(ctx, c, phase, existing, sync.OnceFunc(ready.Done))
			delivered.Add(n)
			if err != nil {
				errs <- err
				return
			}
			finished.Add(1)
		})
	}
	// The timing is of the events after the snapshots of the fetches
	// that exist, which every stream starts with.
	ready.Wait()
	took := l.download(tb, phase)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Errorf("a streaming client: %v", err)
	}
	if got := finished.Load(); got != int64(l.clients) {
		tb.Fatalf("got %d of %d clients with every success event, want all", got, l.clients)
	}
	return took, delivered.Load()
}

// streamLoad is one client of loaded: it reads the snapshots of the
// existing fetches, calls ready, then reads events until it has seen the
// success of each of phase's fetches, and returns how many events it
// read. It calls ready on every path, so that loaded never waits for a
// client that failed.
func streamLoad(ctx context.Context, c *Client, phase string, existing int, ready func()) (int64, error) {
	defer ready()
	st, err := c.Events(ctx, "")
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	for range existing {
		if _, err := st.Next(); err != nil {
			return n, fmt.Errorf("reading the snapshots: %w", err)
		}
		n++
	}
	ready()
	seen := map[string]bool{}
	for len(seen) < loadFetches {
		ev, err := st.Next()
		if err != nil {
			return n, fmt.Errorf("after %d successes: %w", len(seen), err)
		}
		n++
		if ev.Kind == fetch.EventSuccess && strings.HasPrefix(ev.Fetch.ID, phase+"-") {
			seen[ev.Fetch.ID] = true
		}
	}
	return n, nil
}

// forget removes every fetch and deletes its files, so that the rounds of
// a benchmark do not fill the disk.
func (l *loadTest) forget(tb testing.TB) {
	tb.Helper()
	for _, snap := range l.e.m.Snapshots() {
		if err := l.e.m.Remove(snap.ID); err != nil {
			tb.Fatal(err)
		}
		for _, p := range snap.Paths() {
			if err := os.Remove(p); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
