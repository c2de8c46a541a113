package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// Launch is how the window is to start (see Window).
type Launch struct {
	// Hidden is a start at login (--hidden): the engine and the tray
	// start, but the window shows only when there is no tray to open it
	// from.
	Hidden bool
	// Open are the model ids or URLs to download at once.
	Open []string
	// Env is the command's environment; warnings go to its Stderr.
	Env Env
}

// Window is a start of the app without a subcommand. When a ModelFetch
// is running already, it hands the downloads args name to it and brings
// its window forward. Otherwise it opens the journal and calls open,
// which shows the window on that engine until the app quits or ctx ends
// (SIGINT, SIGTERM) and returns what stopping the engine met (see
// instance.Host.Serve). It returns the exit code.
func Window(ctx context.Context, args []string, env Env, open func(context.Context, *downloader.Manager, Launch) error) int {
	stdout, stderr := capture(&env)
	return exitCode(env, window(ctx, args, env, open), stdout, stderr)
}

func window(ctx context.Context, args []string, env Env, open func(context.Context, *downloader.Manager, Launch) error) int {
	hidden := slices.Contains(args, "--hidden")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--hidden" })
	if !haveDisplay() {
		return failf(env, "There is no display to open the window on; download in the terminal with `modelfetch get URL|MODEL-ID` instead.")
	}
	warnCatalog(env)
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	if r, ok := e.(remote); ok {
		defer r.close(env, 0)
		if hidden && len(args) == 0 {
			return 0 // started at login, and already running: nothing to do
		}
		return handOver(ctx, r.c, args, env)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := e.(*local).m // attach returns a remote or a *local
	return stopped(env, open(ctx, m, Launch{Hidden: hidden, Open: args, Env: env}), 0)
}

// handOver gives the downloads a second start of the app names (model
// ids or URLs) to the running ModelFetch c, and brings its window
// forward. It returns the exit code of the second start.
func handOver(ctx context.Context, c *api.Client, args []string, env Env) int {
	code := 0
	for _, arg := range args {
		t, err := resolveTargets(env.Catalog, []string{arg})
		if err == nil {
			_, _, err = c.Create(ctx, t.createRequest(fetch.Options{Title: t.title}, ""))
		}
		if err != nil {
			code = fail(env, err)
		}
	}
	err := instance.Show(ctx, c)
	switch {
	case errors.Is(err, instance.ErrNoWindow):
		fmt.Fprintln(env.Stderr, "modelfetch: ModelFetch is already running without a window (`modelfetch serve` or `modelfetch get`); it has the downloads, and `modelfetch list` shows them; quit it to open the window")
		if len(args) == 0 {
			return 1 // nothing was handed over, and no window opened
		}
		return code
	case err != nil:
		return failf(env, "The running ModelFetch did not answer. %s", words.Sentence(err))
	}
	return code
}

// haveDisplay reports whether a window can open: on Linux and the BSDs an
// X11 or Wayland display must be named; elsewhere there always is one.
func haveDisplay() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	}
	return true
}
