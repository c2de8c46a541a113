package network

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Inhibitor keeps the computer from sleeping while downloads run, with
// the system's own means, each in a file of its own: a systemd-logind
// "sleep" inhibitor in "block" mode (Linux), SetThreadExecutionState on a
// thread of its own (Windows), a caffeinate child (macOS). Where the
// means is missing (no logind on the system bus, no caffeinate) Hold does
// nothing and says so once in the log. Hold and Release are idempotent
// and safe from several goroutines; the engine calls Hold when a
// download starts running and Release when none runs, and must call
// Release before it exits.
type Inhibitor struct {
	bus string // Linux: the system bus's address ("" is the system's own)
	log *slog.Logger

	mu   sync.Mutex
	held io.Closer // the hold, while not nil; closing it releases
	told bool      // a failure was logged
}

// NewInhibitor is an Inhibitor logging to log (nil: nowhere). On Linux it
// talks to logind on the bus at addr ("" is the system bus); elsewhere
// addr is not used.
func NewInhibitor(addr string, log *slog.Logger) *Inhibitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Inhibitor{bus: addr, log: log}
}

// inhibitTimeout bounds taking the hold, which Release waits behind.
const inhibitTimeout = 10 * time.Second

// Hold takes the hold unless it is held.
func (i *Inhibitor) Hold(ctx context.Context) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.held != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, inhibitTimeout)
	defer cancel()
	h, err := i.take(ctx)
	if err != nil {
		i.tell(err)
		return
	}
	i.held = h
}

// Release lets the computer sleep again, if Hold held it.
func (i *Inhibitor) Release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.held == nil {
		return
	}
	if err := i.held.Close(); err != nil {
		i.log.Warn("releasing the sleep inhibitor", "err", err)
	}
	i.held = nil
}

// unavailableError is a system without the means to keep it awake: it is
// said once, as information, not as a failure.
type unavailableError struct {
	means string // "systemd-logind", "caffeinate"
	err   error
}

func (e *unavailableError) Error() string { return e.means + " is not available: " + e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// tell logs the first failure to hold; later ones would only repeat it
// at every download.
func (i *Inhibitor) tell(err error) {
	if i.told {
		return
	}
	i.told = true
	var ue *unavailableError
	if errors.As(err, &ue) {
		i.log.Info(ue.means+" is not available, so the computer may sleep during downloads", "err", ue.err)
		return
	}
	i.log.Warn("the computer could not be kept awake during downloads", "err", err)
}
