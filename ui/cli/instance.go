package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
)

// connectWait bounds how long a command waits for the engine that holds
// the journal to answer on the socket. An engine locks the journal a
// moment before it listens, and stops listening a moment before it
// unlocks it, so a command that starts in between waits instead of
// failing.
const connectWait = 5 * time.Second

// Connect finds the engine a command should use: the running ModelFetch
// when one answers on the local socket (a client; call
// CloseIdleConnections when done), else an engine of this process on the
// journal (the caller runs it and must Close it). Exactly one is set when
// err is nil. downloader.ErrLocked means an engine holds the journal but
// did not answer within a few seconds.
func Connect(ctx context.Context, env Env) (*api.Client, *downloader.Manager, error) {
	c := api.NewClient(api.SocketPath())
	deadline := time.Now().Add(connectWait)
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
		m, err := downloader.New(env.Config)
		if !errors.Is(err, downloader.ErrLocked) || time.Now().After(deadline) {
			return nil, m, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// ServeAPI serves the local API for m on its socket until ctx ends, so
// that other programs and commands use this engine instead of failing on
// its journal lock. show brings the window forward; nil for a process
// without one. The channel gets Serve's result once the socket is gone.
// api.ErrRunning means another process serves the socket already.
func ServeAPI(ctx context.Context, m *downloader.Manager, env Env, show func()) (<-chan error, error) {
	srv := api.New(m, api.Options{Catalog: env.Catalog, Config: env.Config, Show: show})
	if err := srv.Listen(api.SocketPath()); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	return done, nil
}

// serve runs the engine without a window, with the local API, until
// SIGTERM or SIGINT.
func serve(ctx context.Context, args []string, env Env) int {
	fs := newFlags("serve", env)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return failf(env, "serve takes no arguments; give downloads to it with `modelfetch get`")
	}
	m, err := downloader.New(env.Config)
	if errors.Is(err, downloader.ErrLocked) {
		return alreadyRunning(ctx, env)
	}
	if err != nil {
		return failf(env, "cannot open the download journal: %v", err)
	}
	if jerr := m.JournalError(); jerr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: %v\n", jerr)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served, err := ServeAPI(ctx, m, env, nil)
	if errors.Is(err, api.ErrRunning) {
		return closeManager(m, env, alreadyRunning(ctx, env))
	}
	if err != nil {
		return closeManager(m, env, failf(env, "cannot serve the local API: %v", err))
	}
	fmt.Fprintf(env.Stderr, "modelfetch: serving the local API at %s; SIGTERM or Ctrl-C stops\n", api.SocketPath())
	code := 0
	if err := m.Run(ctx); err != nil {
		code = failf(env, "the download journal could not be saved: %v", err)
	}
	if err := <-served; err != nil {
		code = failf(env, "the local API stopped: %v", err)
	}
	return closeManager(m, env, code)
}

// alreadyRunning explains that another engine owns the journal, naming it
// when it answers on the socket.
func alreadyRunning(ctx context.Context, env Env) int {
	c := api.NewClient(api.SocketPath())
	defer c.CloseIdleConnections()
	in, err := c.Ping(ctx)
	if err != nil {
		return failf(env, "another ModelFetch holds the download journal and does not serve the local API; quit it and try again")
	}
	return failf(env, "ModelFetch is already running (pid %d) and serves the local API at %s; use it, or quit it first", in.PID, api.SocketPath())
}

// HandOver gives the downloads a second start of the app names (model ids
// or URLs) to the running ModelFetch c, and brings its window forward. It
// returns the exit code of the second start.
func HandOver(ctx context.Context, c *api.Client, args []string, env Env) int {
	code := 0
	for _, arg := range args {
		t, err := resolveTargets(env.Catalog, []string{arg})
		if err == nil {
			_, err = start(ctx, c, t.createRequest(downloader.Options{Title: t.title}, ""))
		}
		if err != nil {
			code = failf(env, "%s", errorSentence(err))
		}
	}
	err := c.Show(ctx)
	var apiErr *api.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotImplemented:
		fmt.Fprintln(env.Stderr, "modelfetch: ModelFetch is already running without a window (`modelfetch serve` or `modelfetch get`); it has the downloads, and `modelfetch list` shows them; quit it to open the window")
		if len(args) == 0 {
			return 1 // nothing was handed over, and no window opened
		}
		return code
	case err != nil:
		return failf(env, "the running ModelFetch did not answer: %s", errorSentence(err))
	}
	return code
}

// start creates a fetch in the running ModelFetch, or joins the one
// already there, and lets it carry on if it was paused.
func start(ctx context.Context, c *api.Client, req api.CreateRequest) (downloader.Snapshot, error) {
	snap, _, err := c.Create(ctx, req)
	if err == nil && snap.Paused {
		snap, err = c.Resume(ctx, snap.ID)
	}
	return snap, err
}

// errorSentence is err for a person: the server's own sentence when it
// answered, else what went wrong on the way.
func errorSentence(err error) string {
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		return apiErr.Message
	}
	return err.Error()
}
