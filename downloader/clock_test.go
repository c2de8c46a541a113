package downloader

import (
	"context"
	"slices"
	"sync"
	"time"
)

// fakeClock is a Config.Clock that takes no real seconds: a wait longer
// than cap is cut to cap (0: every wait ends at once), and with hold set a
// wait of a second or more (a Retry-After) lasts until hold is closed. It
// records every wait the engine asked for.
type fakeClock struct {
	cap  time.Duration
	hold chan struct{}

	mu    sync.Mutex
	asked []time.Duration
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	c.mu.Lock()
	c.asked = append(c.asked, d)
	c.mu.Unlock()
	var timer <-chan time.Time
	var hold <-chan struct{} // nil channels never deliver
	if c.hold != nil && d >= time.Second {
		hold = c.hold
	} else {
		t := time.NewTimer(min(d, c.cap))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer:
	case <-hold:
	case <-wake:
	}
	return nil
}

// longest is the longest wait asked for so far.
func (c *fakeClock) longest() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.asked) == 0 {
		return 0
	}
	return slices.Max(c.asked)
}
