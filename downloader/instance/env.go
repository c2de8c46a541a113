package instance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/ask"
	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// Env is what a start of ModelFetch takes from the outside world: the
// engine's configuration on this machine, the catalog, the Hugging Face
// Hub, where it writes and which build it is. The window, the commands
// and the engine without a window all start from one.
type Env struct {
	Config     downloader.Config
	Catalog    []catalog.Model
	CatalogErr error // a broken user catalog, reported but not fatal
	// Hub carries the Hub's token on the engine's requests (the engine's
	// Config.Wrap), and downloads a public repo's files without a token
	// the Hub refuses; the window's Settings change its token. Getenv is
	// where the Hub's settings come from, as the hf CLI reads them
	// (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, the token file).
	Hub    *hf.PublicTransport
	Getenv hf.Getenv
	// Settings are the proxy, CA file, metered choice and the apps new
	// models are made available to, which every process follows
	// (settings.json; the window's Settings write it); the engine's
	// transport goes through them. SettingsErr is why they could
	// not be read, reported but not fatal.
	Settings    *Store
	SettingsErr error
	// Stdout and Stderr are where a start writes. Capture wraps them so
	// that a failed write is remembered and made the exit code.
	Stdout   io.Writer
	Stderr   io.Writer
	Terminal bool // Stderr is a terminal: draw a live progress bar
	Version  Version
}

// NewEnv is the environment of a start of the modelfetch program:
// folders from the XDG variables, the built-in catalog (a JSON array)
// with the user's laid over it, the Hub the environment names (its cache
// one of the folders clients may name), the process's output, and v.
func NewEnv(builtin []byte, v Version) Env {
	g := hf.Getenv(os.Getenv)
	models, err := catalog.Load(builtin, filepath.Join(xdg.ConfigHome, "modelfetch", "catalog.json"))
	hub := hf.NewEngineTransport(g).Public()
	settings, serr := OpenStore(SettingsPath(), SessionSecrets)
	cfg := downloader.DefaultConfig()
	cfg.Wrap = func(base http.RoundTripper) http.RoundTripper { return hub.Wrap(settings.Wrap(base)) }
	cfg.PauseMetered = settings.Settings().PauseMetered
	cfg.ShareNew = settings.Settings().ShareNew
	cfg.Roots = []string{g.CacheDir()}
	return Env{
		Settings:    settings,
		SettingsErr: serr,
		Config:      Machine(cfg),
		Catalog:     models,
		CatalogErr:  err,
		Hub:         hub,
		Getenv:      g,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Terminal:    IsTerminal(os.Stderr),
		Version:     v,
	}
}

// HubClient is the Hub's API client for the environment's endpoint and
// token; a token file that cannot be read gives a client without a token.
// Nil when HF_ENDPOINT is not an address.
func (env Env) HubClient() *hf.Client {
	cfg := hf.Config{Transport: env.Settings.Wrap(http.DefaultTransport), // the proxy and CA file of Settings
		Refused: env.Hub.Refused} // said as the engine's files are
	c, err := hf.FromEnv(env.Getenv, cfg)
	if err != nil {
		cfg.Endpoint, cfg.Offline = env.Getenv.Endpoint(), env.Getenv.Offline()
		c, err = hf.New(cfg)
	}
	if err != nil {
		return nil
	}
	return c
}

// APIOptions are the local API's options for an engine of this process;
// show brings its window forward, nil when it has none.
func (env Env) APIOptions(show func()) api.Options {
	opts := api.Options{Catalog: env.Catalog, Show: show, HubCache: env.Getenv.CacheDir(), Logger: env.Config.Logger}
	if c := env.HubClient(); c != nil {
		opts.Hub = func() *hf.Client { return c }
	}
	return opts
}

// Resolver resolves what is asked of the engine m (ask.Ask) as its local
// API does: against env's catalog and Hub, with m's rule for folders (nil
// m: no engine yet, for reading a command line).
func (env Env) Resolver(m *downloader.Manager) ask.Resolver {
	r := ask.Resolver{Catalog: env.Catalog, HubCache: env.Getenv.CacheDir()}
	if m != nil {
		r.Place = m.Place
	}
	if c := env.HubClient(); c != nil {
		r.Hub = func() *hf.Client { return c }
	}
	return r
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Fail prints err's sentence and returns exit code 1.
func (env Env) Fail(err error) int { return env.Failf("%s", words.Sentence(err)) }

// Failf prints a one-sentence error and returns exit code 1.
func (env Env) Failf(format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "modelfetch: "+format+"\n", args...)
	return 1
}

// Warn prints a warning: something went wrong, and the start goes on.
func (env Env) Warn(format string, args ...any) {
	fmt.Fprintf(env.Stderr, "modelfetch: warning: "+format+"\n", args...)
}

// WarnCatalog reports a user catalog that could not be read.
func (env Env) WarnCatalog() {
	if env.CatalogErr != nil {
		env.Warn("the user catalog is ignored: %v", env.CatalogErr)
	}
}

// WarnJournal reports what was wrong with the journal m read.
func (env Env) WarnJournal(m *downloader.Manager) {
	if jerr := m.JournalError(); jerr != nil {
		env.Warn("%s", words.Sentence(jerr))
	}
}

// Attach finds the engine for a start (see Attach), explaining the
// failures a person can act on; when it finds none it returns an exit
// code instead. An engine of this process has its journal's problem, if
// any, reported.
func (env Env) Attach(ctx context.Context) (*api.Client, *downloader.Manager, int) {
	c, m, err := Attach(ctx, api.SocketPath(), env.Config)
	switch {
	case c != nil:
		return c, nil, 0
	case errors.Is(err, fetch.ErrLocked):
		return nil, nil, env.Failf("Another ModelFetch holds the download journal and does not answer at %s; quit it and try again.", api.SocketPath())
	case ctx.Err() != nil:
		return nil, nil, 130
	case err != nil:
		return nil, nil, env.Failf("The download journal cannot be opened. %s", words.Sentence(err))
	}
	env.WarnJournal(m)
	return nil, m, 0
}

// Stopped words what an engine of this process met while it served and
// stopped (see Host.Serve), and returns code. Both are warnings: the
// engine ran on without the local API, and a journal that could not be
// saved (a full state folder) costs no finished file, whose place and
// digest are checked again at the next start.
func (env Env) Stopped(err error, code int) int {
	var se *StopError
	if !errors.As(err, &se) {
		return code
	}
	if se.API != nil {
		env.Warn("the local API stopped. %s", words.Sentence(se.API))
	}
	if se.Journal != nil {
		env.Warn("the download journal could not be saved, so unfinished downloads may start again from their last saved point. %s", words.Sentence(se.Journal))
	}
	return code
}

// Output is a writer that remembers its first error and fails every
// write after it.
type Output struct {
	w   io.Writer
	err error
}

func (o *Output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.err = err
	return n, err
}

// Capture routes env's output through Outputs that remember their
// errors, so that a start writes without checking each line and a lost
// output still makes the exit code (see ExitCode).
func (env *Env) Capture() (stdout, stderr *Output) {
	stdout, stderr = &Output{w: env.Stdout}, &Output{w: env.Stderr}
	env.Stdout, env.Stderr = stdout, stderr
	return stdout, stderr
}

// ExitCode is code, or 1 when a start that otherwise succeeded lost some
// of its output: a `get | …` whose reader went away did not deliver its
// path. Standard error says so while it still can.
func (env Env) ExitCode(code int, stdout, stderr *Output) int {
	switch {
	case code != 0:
		return code
	case stdout.err != nil:
		return env.Failf("The output could not be written. %s", words.Sentence(stdout.err))
	case stderr.err != nil:
		return 1
	}
	return 0
}
