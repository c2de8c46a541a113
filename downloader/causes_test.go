package downloader

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
)

// causes keeps the error of every "record failed" the engine logs, so
// that a test can match a failure's chain with errors.Is: a snapshot
// carries only its sentence.
type causes struct {
	slog.Handler
	mu   *sync.Mutex
	errs *[]error
}

func (c causes) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "record failed" {
		r.Attrs(func(a slog.Attr) bool {
			if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
				c.mu.Lock()
				*c.errs = append(*c.errs, err)
				c.mu.Unlock()
			}
			return true
		})
	}
	return c.Handler.Handle(ctx, r)
}

func (c causes) WithAttrs(as []slog.Attr) slog.Handler {
	return causes{c.Handler.WithAttrs(as), c.mu, c.errs}
}

func (c causes) WithGroup(name string) slog.Handler {
	return causes{c.Handler.WithGroup(name), c.mu, c.errs}
}

// recordCauses makes cfg's logger keep the errors of failed records and
// returns them, last first.
func recordCauses(cfg *Config) func() []error {
	c := causes{Handler: cfg.Logger.Handler(), mu: &sync.Mutex{}, errs: &[]error{}}
	cfg.Logger = slog.New(c)
	return func() []error {
		c.mu.Lock()
		defer c.mu.Unlock()
		errs := append([]error(nil), *c.errs...)
		for i, j := 0, len(errs)-1; i < j; i, j = i+1, j-1 {
			errs[i], errs[j] = errs[j], errs[i]
		}
		return errs
	}
}

// checkCause fails t unless the last failure the engine logged is target
// (any failure for a nil target).
func checkCause(t *testing.T, causes func() []error, target error) {
	t.Helper()
	errs := causes()
	if len(errs) == 0 {
		t.Fatalf("no failure logged, want %v", target)
	}
	if target != nil && !errors.Is(errs[0], target) {
		t.Errorf("the failure %v is not %v", errs[0], target)
	}
}
