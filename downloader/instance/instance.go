// Package instance is ModelFetch's processes: one engine per user, which
// a command or a second start of the app either attaches to over the
// local socket or runs itself, serving its local API meanwhile so that
// the next one attaches to it. The CLI and the window both start here;
// the wording of what goes wrong is theirs.
package instance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
)

// Errors of this package, matched with errors.Is.
var (
	// ErrNoWindow means the running ModelFetch has no window to bring
	// forward (it is `modelfetch serve` or `modelfetch get`).
	ErrNoWindow = errors.New("the running modelfetch has no window")
)

// StopError is what a Host met while it served and stopped.
type StopError struct {
	// API is the local API's failure while it served; the engine ran on
	// without it.
	API error
	// Journal is the failure to save the journal: a later start resumes
	// from the last checkpoint instead.
	Journal error
}

func (e *StopError) Error() string {
	switch {
	case e.API == nil:
		return "save the journal: " + e.Journal.Error()
	case e.Journal == nil:
		return "serve the local api: " + e.API.Error()
	}
	return "serve the local api: " + e.API.Error() + "; save the journal: " + e.Journal.Error()
}

// Unwrap gives errors.Is and errors.As both causes.
func (e *StopError) Unwrap() []error { return []error{e.API, e.Journal} }

// attachWait bounds how long Attach waits for the engine that holds the
// journal to answer on the socket. An engine locks the journal a moment
// before it listens, and stops listening a moment before it unlocks it,
// so a start in between waits instead of failing.
const attachWait = 5 * time.Second

// Attach finds the engine to use: the running ModelFetch when one answers
// on socket (a client; call CloseIdleConnections when done), else an
// engine of this process on cfg's journal (the caller runs it, usually
// through a Host, and must Close it). Exactly one is set when err is nil.
// downloader.ErrLocked means an engine holds the journal but did not
// answer within a few seconds.
func Attach(ctx context.Context, socket string, cfg downloader.Config) (*api.Client, *downloader.Manager, error) {
	c := api.NewClient(socket)
	deadline := time.Now().Add(attachWait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		// Any failure to answer (nothing there, a stale socket, a server
		// shutting down) means this process may have to run the engine:
		// the journal lock decides.
		if _, err := c.Ping(ctx); err == nil {
			return c, nil, nil
		}
		c.CloseIdleConnections()
		m, err := downloader.New(cfg)
		if !errors.Is(err, fetch.ErrLocked) || time.Now().After(deadline) {
			return nil, m, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// Host is an engine of this process with its local API, so that other
// programs and commands use it instead of failing on its journal lock.
type Host struct {
	m   *downloader.Manager
	srv *api.Server // nil when the socket could not be had
}

// NewHost takes the local API's socket for m. When it cannot, the Host
// still runs the engine, without the API, and the error says why:
// api.ErrRunning means another process serves the socket already. Serve
// runs it; a Host that is never served leaves m to its caller to Close.
func NewHost(m *downloader.Manager, socket string, opts api.Options) (*Host, error) {
	srv := api.New(m, opts)
	if err := srv.Listen(socket); err != nil {
		return &Host{m: m}, err
	}
	return &Host{m: m, srv: srv}, nil
}

// Manager is the engine the Host runs.
func (h *Host) Manager() *downloader.Manager { return h.m }

// Serve runs the engine and answers on the socket until ctx ends, then
// stops in one sequence: the API (its streams end and the socket goes),
// the engine's workers, and last the journal, saved and unlocked
// (Manager.Close). It returns after all of them, with nil or a
// *StopError.
func (h *Host) Serve(ctx context.Context) error {
	served := make(chan error, 1)
	if h.srv != nil {
		go func() { served <- h.srv.Serve(ctx) }()
	} else {
		served <- nil
	}
	runErr := h.m.Run(ctx)
	e := &StopError{API: <-served, Journal: errors.Join(runErr, h.m.Close())}
	if e.API == nil && e.Journal == nil {
		return nil
	}
	return e
}

// Show brings the running ModelFetch's window forward, as a second start
// of the app does after handing its downloads over (api.Client.Create).
// ErrNoWindow means it runs without one.
func Show(ctx context.Context, c *api.Client) error {
	err := c.Show(ctx)
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotImplemented {
		return fmt.Errorf("%w: %w", ErrNoWindow, err)
	}
	return err
}
