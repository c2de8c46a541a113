// Package enginetest runs ModelFetch's engine in the tests of the
// packages around it (the API, the Hub, the window): a Config on the
// test's own temporary folders with times short enough for tests, and a
// Manager run until the test ends. The engine's own tests have their
// harness inside package downloader, which cannot import this one.
package enginetest

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Config is an engine's configuration on tb's temporary folders: every
// temporary folder of the test is a root a request may name (a Hub cache,
// a folder a person chose), and the engine logs to the test's log.
func Config(tb testing.TB) downloader.Config {
	dir := tb.TempDir()
	return downloader.Config{
		StateDir:           filepath.Join(dir, "state"),
		PartialDir:         filepath.Join(dir, "partial"),
		ModelsDir:          filepath.Join(dir, "models"),
		Roots:              []string{filepath.Dir(dir)},
		StallTimeout:       2 * time.Second,
		CheckpointInterval: 20 * time.Millisecond,
		ProgressInterval:   20 * time.Millisecond,
		ScaleInterval:      20 * time.Millisecond,
		BackoffBase:        5 * time.Millisecond,
		BackoffMax:         50 * time.Millisecond,
		Logger:             slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// testWriter sends the engine's log to the test's log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Start makes an engine of cfg and runs it until the test ends (Run).
// The journal's lock, just let go by an engine another test stopped, may
// be held a moment longer by a child process forked and not yet exec'd:
// Start waits for it as instance.Attach does.
func Start(tb testing.TB, cfg downloader.Config) *downloader.Manager {
	tb.Helper()
	m, err := downloader.New(cfg)
	for deadline := time.Now().Add(5 * time.Second); errors.Is(err, fetch.ErrLocked) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		m, err = downloader.New(cfg)
	}
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	Run(tb, m)
	return m
}

// Run runs m until the test ends, then stops it and closes it, failing
// the test when either fails.
func Run(tb testing.TB, m *downloader.Manager) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
		if err := m.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
}
