package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// serve runs the engine without a window, with the local API, until
// SIGTERM or SIGINT.
func serve(ctx context.Context, args []string, env instance.Env) int {
	f := newFlags(env, "serve", "", "Run the engine and its local API without a window, until SIGTERM or Ctrl-C: the downloads go on, and `modelfetch get`, the window and other programs use it. The systemd user unit runs it.")
	if code, ok := noOperands(f, args, env); !ok {
		return code
	}
	m, err := downloader.New(env.Config)
	if errors.Is(err, fetch.ErrLocked) {
		return alreadyRunning(ctx, env)
	}
	if err != nil {
		return env.Fail(&failure{"The download journal cannot be opened. " + words.Sentence(err), err})
	}
	env.WarnJournal(m)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	host, err := instance.NewHost(m, api.SocketPath(), env.APIOptions(nil))
	if errors.Is(err, api.ErrRunning) {
		return closeManager(m, env, alreadyRunning(ctx, env))
	}
	if err != nil {
		return closeManager(m, env, env.Fail(&failure{"The local API cannot be served. " + words.Sentence(err), err}))
	}
	fmt.Fprintf(env.Stderr, "modelfetch: Serving the local API at %s; SIGTERM or Ctrl-C stops it.\n", api.SocketPath())
	if env.Hub != nil {
		env.Hub.OnRefused(onceEach(func(tok hf.Token) { fmt.Fprintln(env.Stderr, refusedWarning(tok)) }))
		defer env.Hub.OnRefused(nil)
	}
	return env.Stopped(host.Serve(ctx), 0)
}

// onceEach calls say once for each token, and one call at a time: the
// engine's goroutines call what it returns (hf.PublicTransport's
// OnRefused) for every file they download without the token.
func onceEach(say func(hf.Token)) func(hf.Token) {
	var mu sync.Mutex
	said := map[string]bool{}
	return func(tok hf.Token) {
		mu.Lock()
		defer mu.Unlock()
		if !said[tok.From] {
			said[tok.From] = true
			say(tok)
		}
	}
}

// closeManager writes the journal of an engine that never ran, reporting
// a failure to do so.
func closeManager(m *downloader.Manager, env instance.Env, code int) int {
	if err := m.Close(); err != nil {
		return max(code, env.Fail(&failure{"The download journal could not be saved. " + words.Sentence(err), err}))
	}
	return code
}

// alreadyRunning explains that another engine owns the journal, naming it
// when it answers on the socket.
func alreadyRunning(ctx context.Context, env instance.Env) int {
	c := api.NewClient(api.SocketPath())
	defer c.CloseIdleConnections()
	in, err := c.Ping(ctx)
	if err != nil {
		return env.Fail(&failure{"Another ModelFetch holds the download journal and does not serve the local API; quit it and try again.", fetch.ErrLocked})
	}
	return env.Fail(&failure{fmt.Sprintf("ModelFetch is already running (pid %d) and serves the local API at %s; use it, or quit it first.", in.PID, api.SocketPath()), fetch.ErrLocked})
}
