package instance

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// world is one user's folders: a journal, a cache and a socket of its own.
type world struct {
	cfg    downloader.Config
	socket string
}

func newWorld(t *testing.T) world {
	t.Helper()
	// A socket address holds 107 bytes; t.TempDir's paths carry the
	// test's name.
	root, err := os.MkdirTemp("", "mfinst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	return world{
		cfg: downloader.Config{
			StateDir:   filepath.Join(root, "state"),
			PartialDir: filepath.Join(root, "partial"),
			ModelsDir:  filepath.Join(root, "models"),
		},
		socket: filepath.Join(root, "run", "modelfetch.sock"),
	}
}

// serve runs a Host for m until the test ends (or stop is called) and
// returns stop, which returns Serve's result.
func serve(t *testing.T, w world, m *downloader.Manager, show func()) (stop func() error) {
	t.Helper()
	h, err := NewHost(m, w.socket, api.Options{Show: show})
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx) }()
	var result error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			result, stopped = <-served, true
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return stop
}

// held is an origin whose every answer waits until the client leaves or
// the test ends, so that a fetch of it stays active for as long as a test
// needs.
func held(t *testing.T) string {
	t.Helper()
	o := origintest.NewServer(origintest.Hold)
	o.Put("/model.bin", origintest.Content(1<<10, 1))
	o.ServeEverywhere("/model.bin")
	t.Cleanup(o.Close) // releases the answers, then waits for them
	return o.URL
}

// With nothing running, Attach opens the journal here; once that engine
// serves, Attach finds it over the socket; once it stops, the socket is
// gone and the journal is free again.
func TestAttachHostStop(t *testing.T) {
	w := newWorld(t)
	c, m, err := Attach(t.Context(), w.socket, w.cfg)
	if err != nil || c != nil || m == nil {
		t.Fatalf("Attach with nothing running: got client %v, manager %v, %v; want a manager", c, m, err)
	}
	stop := serve(t, w, m, nil)

	c, m2, err := Attach(t.Context(), w.socket, w.cfg)
	if err != nil || c == nil || m2 != nil {
		t.Fatalf("Attach with an engine serving: got client %v, manager %v, %v; want a client", c, m2, err)
	}
	c.CloseIdleConnections()

	if err := stop(); err != nil {
		t.Fatalf("Serve: got %v, want nil", err)
	}
	if _, err := os.Lstat(w.socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Serve returned the socket is still there (%v)", err)
	}
	m3, err := downloader.New(w.cfg)
	if err != nil {
		t.Fatalf("after Serve returned the journal is not free: %v", err)
	}
	if err := m3.Close(); err != nil {
		t.Fatal(err)
	}
}

// An engine that holds the journal but does not answer yet (it locks the
// journal a moment before it listens) is waited for: Attach never opens
// a second engine on the journal, and finds the first once it serves.
func TestAttachWaitsForLockedEngine(t *testing.T) {
	w := newWorld(t)
	m, err := downloader.New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	c, m2, err := Attach(ctx, w.socket, w.cfg)
	if !errors.Is(err, context.DeadlineExceeded) || c != nil || m2 != nil {
		t.Fatalf("Attach while the journal is locked: got client %v, manager %v, %v; want it to wait until ctx ends", c, m2, err)
	}

	serve(t, w, m, nil)
	c, m2, err = Attach(t.Context(), w.socket, w.cfg)
	if err != nil || c == nil || m2 != nil {
		t.Fatalf("Attach once the engine serves: got client %v, manager %v, %v; want a client", c, m2, err)
	}
	c.CloseIdleConnections()
}

// A second Host on a served socket runs without the API and says why.
func TestNewHostRunning(t *testing.T) {
	w := newWorld(t)
	m, err := downloader.New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, w, m, nil)
	other := newWorld(t)
	m2, err := downloader.New(other.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHost(m2, w.socket, api.Options{})
	if !errors.Is(err, api.ErrRunning) || h == nil {
		t.Fatalf("NewHost on a served socket: got %v, %v; want a Host and api.ErrRunning", h, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.Serve(ctx); err != nil {
		t.Errorf("Serve without the API: got %v, want nil", err)
	}
}

// A journal that cannot be saved on stop is a StopError with the cause.
func TestServeJournalNotSaved(t *testing.T) {
	w := newWorld(t)
	m, err := downloader.New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A folder where the journal goes: the atomic rename over it fails.
	if err := os.MkdirAll(filepath.Join(w.cfg.StateDir, "journal.json", "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = serve(t, w, m, nil)()
	var se *StopError
	if !errors.As(err, &se) || se.Journal == nil || se.API != nil {
		t.Fatalf("Serve with the journal's path taken: got %v, want a StopError with only Journal set", err)
	}
}

// A create of the same files over the socket joins the fetch and lets it
// carry on when it was paused (Manager.Ensure); Show brings the window
// forward, or says there is none.
func TestJoinAndShow(t *testing.T) {
	w := newWorld(t)
	m, err := downloader.New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	shown := make(chan struct{}, 1)
	serve(t, w, m, func() { shown <- struct{}{} })
	c := api.NewClient(w.socket)
	t.Cleanup(c.CloseIdleConnections)

	req := api.CreateRequest{Requests: []fetch.Request{{URL: held(t) + "/a.bin"}}}
	first, _, err := c.Create(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pause(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	again, _, err := c.Create(t.Context(), req)
	if err != nil || again.ID != first.ID || again.Paused {
		t.Fatalf("Join of a paused fetch: got %s paused %v (%v), want %s carrying on", again.ID, again.Paused, err, first.ID)
	}

	if err := Show(t.Context(), c); err != nil {
		t.Fatalf("Show: %v", err)
	}
	select {
	case <-shown:
	default:
		t.Error("Show answered before the window's show ran")
	}

	headless := newWorld(t)
	m2, err := downloader.New(headless.cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, headless, m2, nil)
	c2 := api.NewClient(headless.socket)
	t.Cleanup(c2.CloseIdleConnections)
	if err := Show(t.Context(), c2); !errors.Is(err, ErrNoWindow) {
		t.Errorf("Show without a window: got %v, want ErrNoWindow", err)
	}
}
