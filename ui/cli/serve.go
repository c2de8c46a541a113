package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// serve runs the engine without a window, with the local API, until
// SIGTERM or SIGINT.
func serve(ctx context.Context, args []string, env Env) int {
	fs := newFlags("serve", env)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return failf(env, "serve takes no arguments; give downloads to it with `modelfetch get`.")
	}
	m, err := downloader.New(env.Config)
	if errors.Is(err, fetch.ErrLocked) {
		return alreadyRunning(ctx, env)
	}
	if err != nil {
		return failf(env, "The download journal cannot be opened. %s", words.Sentence(err))
	}
	warnJournal(env, m)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	host, err := instance.NewHost(m, api.SocketPath(), env.APIOptions(nil))
	if errors.Is(err, api.ErrRunning) {
		return closeManager(m, env, alreadyRunning(ctx, env))
	}
	if err != nil {
		return closeManager(m, env, failf(env, "The local API cannot be served. %s", words.Sentence(err)))
	}
	fmt.Fprintf(env.Stderr, "modelfetch: serving the local API at %s; SIGTERM or Ctrl-C stops\n", api.SocketPath())
	return stopped(env, host.Serve(ctx), 0)
}

// warnJournal reports what was wrong with the journal m read.
func warnJournal(env Env, m *downloader.Manager) {
	if jerr := m.JournalError(); jerr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: %s\n", words.Sentence(jerr))
	}
}

// stopped words what an engine of this process met while it served and
// stopped (see instance.Host.Serve), and returns code, or 1 when the
// journal could not be saved. The local API's failure is only a warning:
// the engine ran on without it.
func stopped(env Env, err error, code int) int {
	var se *instance.StopError
	if !errors.As(err, &se) {
		return code
	}
	if se.API != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: the local API stopped. %s\n", words.Sentence(se.API))
	}
	if se.Journal != nil {
		return max(code, failf(env, "The download journal could not be saved. %s", words.Sentence(se.Journal)))
	}
	return code
}

// closeManager writes the journal of an engine that never ran, reporting
// a failure to do so.
func closeManager(m *downloader.Manager, env Env, code int) int {
	if err := m.Close(); err != nil {
		return max(code, failf(env, "The download journal could not be saved. %s", words.Sentence(err)))
	}
	return code
}

// alreadyRunning explains that another engine owns the journal, naming it
// when it answers on the socket.
func alreadyRunning(ctx context.Context, env Env) int {
	c := api.NewClient(api.SocketPath())
	defer c.CloseIdleConnections()
	in, err := c.Ping(ctx)
	if err != nil {
		return failf(env, "Another ModelFetch holds the download journal and does not serve the local API; quit it and try again.")
	}
	return failf(env, "ModelFetch is already running (pid %d) and serves the local API at %s; use it, or quit it first.", in.PID, api.SocketPath())
}
