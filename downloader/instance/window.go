package instance

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// Launch is how the window is to start (see Window).
type Launch struct {
	// Hidden is a start at login (--hidden): the engine and the tray
	// start, but the window shows only when there is no tray to open it
	// from.
	Hidden bool
	// Open are the model ids, Hub names or URLs to download at once.
	Open []string
	// Env is the start's environment; warnings go to its Stderr.
	Env Env
}

// Window is a start of the app without a subcommand. When a ModelFetch
// is running already, it hands the downloads args name to it and brings
// its window forward. Otherwise it opens the journal and calls open,
// which shows the window on that engine until the app quits or ctx ends
// (SIGINT, SIGTERM) and returns what stopping the engine met (see
// Host.Serve). It returns the exit code.
func Window(ctx context.Context, args []string, env Env, open func(context.Context, *downloader.Manager, Launch) error) int {
	stdout, stderr := env.Capture()
	return env.ExitCode(window(ctx, args, env, open), stdout, stderr)
}

func window(ctx context.Context, args []string, env Env, open func(context.Context, *downloader.Manager, Launch) error) int {
	hidden := slices.Contains(args, "--hidden")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--hidden" })
	if !haveDisplay() {
		return env.Failf("There is no display to open the window on; download in the terminal with `modelfetch get URL|MODEL-ID` instead.")
	}
	env.WarnCatalog()
	c, m, code := env.Attach(ctx)
	switch {
	case c != nil:
		defer c.CloseIdleConnections()
		if hidden && len(args) == 0 {
			return 0 // started at login, and already running: nothing to do
		}
		return handOver(ctx, c, args, env)
	case m == nil:
		return code
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return env.Stopped(open(ctx, m, Launch{Hidden: hidden, Open: args, Env: env}), 0)
}

// handOver gives the downloads a second start of the app names (model
// ids, Hub names or URLs) to the running ModelFetch c, which resolves
// them, and brings its window forward. It returns the exit code of the
// second start.
func handOver(ctx context.Context, c *api.Client, args []string, env Env) int {
	code := 0
	for _, arg := range args {
		a, err := env.Resolver(nil).Words([]string{arg})
		if err == nil {
			_, _, err = c.Create(ctx, a)
		}
		if err != nil {
			code = env.Fail(err)
		}
	}
	err := Show(ctx, c)
	switch {
	case errors.Is(err, ErrNoWindow):
		env.Failf("ModelFetch is already running without a window (`modelfetch serve` or `modelfetch get`); it has the downloads, and `modelfetch list` shows them; quit it to open the window.")
		if len(args) == 0 {
			return 1 // nothing was handed over, and no window opened
		}
		return code
	case err != nil:
		return env.Failf("The running ModelFetch did not answer. %s", words.Sentence(err))
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
