package api

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
)

func TestHeartbeat(t *testing.T) {
	e := newEnv(t, envOptions{tweak: func(o *Options) { o.Heartbeat = 10 * time.Millisecond }})
	resp, err := e.c.send(ctxT(t), http.MethodGet, "/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	var comments []string
	for len(comments) < 3 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ":") {
			comments = append(comments, strings.TrimSpace(line))
		}
	}
	if comments[0] != ": no fetches yet" || comments[1] != ": keep-alive" {
		t.Errorf("got comments %q, want the empty notice then keep-alives", comments)
	}
}

// TestWaitSurvivesBeingDropped is a client too slow for its stream: the
// server drops it, and Wait reconnects and still returns the result.
func TestWaitSurvivesBeingDropped(t *testing.T) {
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 2 << 20}, held: true, sendBuffer: 4 << 10,
		tweak: func(o *Options) {
			o.StreamBuffer = 1
			o.WriteTimeout = 50 * time.Millisecond
		}})
	ctx := ctxT(t)
	createdSnap, _, err := e.c.Create(ctx, CreateRequest{Model: "model-a"})
	snap := createdSnap.Snapshot
	if err != nil {
		t.Fatal(err)
	}
	var snapshots atomic.Int64
	block := make(chan struct{})
	final, err := e.c.Wait(ctx, snap.ID, func(ev fetch.Event) {
		if ev.Kind != KindSnapshot {
			return
		}
		if snapshots.Add(1) == 1 {
			// The first time, stop reading until the server has given up
			// on this stream, while events keep coming.
			go func() {
				defer close(block)
				// Pausing and resuming makes events; nothing reads them.
				deadline := time.Now().Add(30 * time.Second)
				for e.srv.Stats().Dropped == 0 && time.Now().Before(deadline) {
					if s, _ := e.m.Get(snap.ID); s.Paused {
						e.m.Resume(snap.ID)
					} else {
						e.m.Pause(snap.ID)
					}
				}
				e.m.Resume(snap.ID)
				e.origin.Release()
			}()
			<-block
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if final.State != fetch.StateSucceeded {
		t.Fatalf("got %s (%s), want succeeded", final.State, final.Message)
	}
	if e.srv.Stats().Dropped == 0 {
		t.Fatal("the stream was never dropped")
	}
	if n := snapshots.Load(); n < 2 {
		t.Errorf("got %d snapshots, want a second one after reconnecting", n)
	}
}

// TestServeStopsWithStuckClient stops the server while a client holds a
// stream it never reads: Serve must still return, and remove the socket.
func TestServeStopsWithStuckClient(t *testing.T) {
	dir := shortTemp(t)
	m, err := downloader.New(downloader.Config{StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "p"), ModelsDir: filepath.Join(dir, "m")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Only closing the connection can end a blocked write.
	s := New(m, Options{Heartbeat: time.Millisecond, WriteTimeout: time.Hour})
	s.sendBuffer = 4 << 10
	sock := filepath.Join(dir, "s.sock")
	if err := s.Listen(sock); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	stuck := openStuckStream(t, sock)
	if got := s.Stats().Streams; got != 1 {
		t.Fatalf("got %d open streams, want 1", got)
	}
	// The keep-alives fill the small socket buffer.
	waitBlocked(t, stuck)
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return with a client stuck in a write")
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there: %v", err)
	}
	if _, err := NewClient(sock).Ping(t.Context()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Ping after Serve returned: got %v, want ErrNotRunning", err)
	}
}

// waitBlocked waits until the server is blocked writing to conn, whose
// client reads nothing. No event says that the socket's buffer is full:
// once the bytes waiting for the client stop growing for 40 looks in a row
// (200 ms, some 200 keep-alives at a heartbeat a millisecond), the server
// is blocked in a write.
func waitBlocked(t *testing.T, conn net.Conn) {
	t.Helper()
	look := time.NewTicker(5 * time.Millisecond)
	defer look.Stop()
	ctx := ctxT(t)
	for last, same := -1, 0; same < 40; {
		select {
		case <-ctx.Done():
			t.Fatal("gave up waiting for the server to block writing")
		case <-look.C:
		}
		n := queued(t, conn)
		if n > 0 && n == last {
			same++
		} else {
			same = 0
		}
		last = n
	}
}

func TestShow(t *testing.T) {
	var shown atomic.Int64
	e := newEnv(t, envOptions{tweak: func(o *Options) { o.Show = func() { shown.Add(1) } }})
	if err := e.c.Show(t.Context()); err != nil {
		t.Fatal(err)
	}
	if shown.Load() != 1 {
		t.Errorf("Show was called %d times, want 1", shown.Load())
	}
	headless := newEnv(t, envOptions{})
	if err := headless.c.Show(t.Context()); !isStatus(err, http.StatusNotImplemented) {
		t.Errorf("Show without a window: got %v, want 501", err)
	}
}

// TestWaitWhenServerStops is a `modelfetch get` whose server quits: Wait
// must return ErrNotRunning, so that the command can carry on with an
// engine of its own.
func TestWaitWhenServerStops(t *testing.T) {
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 1 << 20}, held: true})
	ctx := ctxT(t)
	createdSnap, _, err := e.c.Create(ctx, CreateRequest{Model: "model-a"})
	snap := createdSnap.Snapshot
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	first := make(chan struct{})
	var once sync.Once
	go func() {
		_, err := e.c.Wait(ctx, snap.ID, func(fetch.Event) { once.Do(func() { close(first) }) })
		waited <- err
	}()
	select {
	case <-first:
	case err := <-waited:
		t.Fatalf("Wait returned %v before its first event", err)
	case <-ctx.Done():
		t.Fatal("gave up waiting for Wait's first event")
	}
	e.stopServer()
	if err := <-waited; !errors.Is(err, ErrNotRunning) {
		t.Fatalf("got %v, want ErrNotRunning", err)
	}
}
