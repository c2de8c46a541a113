package downloader

import (
	"context"
	"time"
)

// Clock is how the engine waits out a back-off or a Retry-After. A nil
// Config.Clock is real time; a test passes one that skips the waits, so
// that a Retry-After of seconds takes none.
type Clock interface {
	// Sleep waits d, or until wake is closed (a nil wake never is), or
	// until ctx is done, and then returns ctx's cause.
	Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error
}

// realClock waits in real time.
type realClock struct{}

func (realClock) Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
	case <-wake:
	}
	return nil
}
