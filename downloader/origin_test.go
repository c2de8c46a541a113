package downloader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// origin is the test server of the engine's tests.
type origin = origintest.Server

// fault may answer a request of the origin's instead of the file.
type fault = origintest.Fault

// modelPath is where newOrigin serves its file, and at every other path
// too.
const modelPath = "/models/model.bin"

// newOrigin serves size bytes of seed 1 at modelPath, with faults applied
// to each request; every request must ask for no compression.
func newOrigin(t testing.TB, size int, faults ...fault) *origin {
	return newOriginOf(t, origintest.Content(size, 1), faults...)
}

// newOriginOf serves data at modelPath, as newOrigin does.
func newOriginOf(t testing.TB, data []byte, faults ...fault) *origin {
	identity := func(_ *origin, _ http.ResponseWriter, r *http.Request, _ int64) bool {
		if got := r.Header.Get("Accept-Encoding"); got != "identity" {
			t.Errorf("Accept-Encoding %q, want identity", got)
		}
		return false
	}
	o := origintest.Start(t, append([]fault{identity}, faults...)...)
	o.Put(modelPath, data)
	o.ServeEverywhere(modelPath)
	return o
}

// testConfig is a Config on temp folders with times short enough for tests.
func testConfig(t testing.TB) Config {
	dir := t.TempDir()
	return Config{
		StateDir:   filepath.Join(dir, "state"),
		PartialDir: filepath.Join(dir, "cache", "partial"),
		ModelsDir:  filepath.Join(dir, "cache", "models"),
		// Every t.TempDir of the test is a sibling of dir: a test's own
		// files may be named as a request's Dest and links.
		Roots:              []string{filepath.Dir(dir)},
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
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// running is a Manager whose Run goroutine the test owns.
type running struct {
	*Manager
	stop func()
}

func start(t testing.TB, cfg Config) *running {
	t.Helper()
	m, err := New(cfg)
	// The journal's lock, just released by a stopped engine, stays held
	// for a moment while a child process that another test (the kill
	// storm) is starting has been forked and not yet exec'd: the child's
	// copy of the descriptor holds the flock until exec closes it. A
	// loop of close and lock beside a loop of fork and exec fails a
	// quarter of the time. instance.Attach waits for a lock likewise.
	for deadline := time.Now().Add(5 * time.Second); errors.Is(err, fetch.ErrLocked) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		m, err = New(cfg)
	}
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

// until polls cond until it holds, failing the test after a deadline:
// for what no event tells (bytes on disk, the journal, the server's
// counts). A fetch's settling has its event: settle waits for it.
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

// settle waits for the fetch to settle (Manager.Wait, under the test's
// context) and returns its snapshot.
func settle(t testing.TB, m *running, id string) fetch.Snapshot {
	t.Helper()
	s, err := m.Wait(t.Context(), id, nil)
	if err != nil {
		t.Fatalf("waiting for %s to settle: %v", id, err)
	}
	return s
}

// settleWhole waits for the fetch id to settle, and fails unless it
// succeeded with its first file holding exactly want.
func settleWhole(t testing.TB, m *running, id string, want []byte) fetch.Snapshot {
	t.Helper()
	s := settle(t, m, id)
	if s.State != fetch.StateSucceeded {
		t.Fatalf("state %s (%s: %s), want succeeded", s.State, s.FailureReason, s.Message)
	}
	checkFile(t, s.Records[0].Path, want)
	return s
}

// checkFile fails unless path holds exactly want.
func checkFile(t testing.TB, path string, want []byte) {
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
