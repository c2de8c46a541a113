// Package cli is ModelFetch's command line: `modelfetch get` and the
// commands around it. It is a client of the engine like the window is,
// and never imports a UI toolkit.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/adrg/xdg"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/ui/term"
)

// Usage is what `modelfetch help` prints.
const Usage = `ModelFetch downloads large AI model files: resumable, verified, in the background.

Usage:
  modelfetch                              open the window
  modelfetch get [flags] URL|MODEL-ID...  download, print the path of each file
      --id ID           fetch id (default: the model id, or one made from the URL)
      --title TITLE     what the download is called
      --sha256 HEX      expected SHA-256 of the file (one file only)
      --total BYTES     the file's size (one file), else the most bytes to download
      --dir DIR         put the files in DIR instead of the models folder
      --connections N   connections per file (default: automatic, up to 16)
      --limit-rate R    bandwidth cap, e.g. 20MB (per second)
      --replace         use this --sha256 for a file known with another
      --json            print progress and result events as JSON lines
  modelfetch list [--json]                the fetches and their state
  modelfetch pause|resume|cancel ID       control a fetch
  modelfetch pause|resume --all           every fetch
  modelfetch catalog [--json]             the models that can be downloaded by id
  modelfetch path URL|MODEL-ID            print the path of a downloaded file, exit 1 if none
  modelfetch serve                        run the engine and its local API without a window
  modelfetch version                      the version, commit and Go version (also --version)
  modelfetch --hidden                     start in the tray without showing the window

When ModelFetch is running (the window, serve, or another get), the commands use
it, and get joins a download of the same files. Otherwise get runs the engine
itself, and Ctrl-C pauses the download (the same command again resumes it); with
a running ModelFetch, Ctrl-C only stops waiting.
`

// NewEnv is the environment of the modelfetch command: folders from the
// XDG variables, the catalog builtin (a JSON array) with the user's laid
// over it, and the process's output.
func NewEnv(builtin []byte) Env {
	models, err := catalog.Load(builtin, filepath.Join(xdg.ConfigHome, "modelfetch", "catalog.json"))
	return Env{
		Config:     instance.Machine(hubConfig()),
		Catalog:    models,
		CatalogErr: err,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Terminal:   IsTerminal(os.Stderr),
	}
}

// Env is what the commands take from the outside world.
type Env struct {
	Config     downloader.Config
	Catalog    []catalog.Model
	CatalogErr error // a broken user catalog, reported but not fatal
	// Stdout and Stderr are where the commands write. Main and Window
	// wrap them so that a failed write is remembered and made the exit
	// code (see output); the commands themselves do not check each one.
	Stdout   io.Writer
	Stderr   io.Writer
	Terminal bool // Stderr is a terminal: draw a live progress bar
	Version  Version
}

var commands = map[string]func(context.Context, []string, Env) int{
	"get": get, "list": list, "pause": control, "resume": control, "cancel": control,
	"catalog": listCatalog, "path": path, "serve": serve, "help": help,
	"version": version, "--version": version, "__complete": complete,
}

// IsCommand reports whether name is a subcommand.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "-h" || name == "--help"
}

// Main runs the subcommand args[0] and returns the exit code. What the
// commands write goes through outputs that remember the first failed
// write (see output), so a command writes without checking each line, and
// a lost output still makes the exit code non-zero.
func Main(ctx context.Context, args []string, env Env) int {
	stdout, stderr := capture(&env)
	warnCatalog(env)
	cmd, ok := commands[args[0]]
	if !ok {
		cmd = help
	}
	return exitCode(env, cmd(ctx, args, env), stdout, stderr)
}

// output is a writer that remembers its first error and fails every write
// after it.
type output struct {
	w   io.Writer
	err error
}

func (o *output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.err = err
	return n, err
}

// capture routes env's output through outputs that remember their errors.
func capture(env *Env) (stdout, stderr *output) {
	stdout, stderr = &output{w: env.Stdout}, &output{w: env.Stderr}
	env.Stdout, env.Stderr = stdout, stderr
	return stdout, stderr
}

// exitCode is code, or 1 when a command that otherwise succeeded lost
// some of its output: a `get | …` whose reader went away did not deliver
// its path. Standard error says so while it still can.
func exitCode(env Env, code int, stdout, stderr *output) int {
	switch {
	case code != 0:
		return code
	case stdout.err != nil:
		return failf(env, "The output could not be written. %s", words.Sentence(stdout.err))
	case stderr.err != nil:
		return 1
	}
	return 0
}

// warnCatalog reports a user catalog that could not be read.
func warnCatalog(env Env) {
	if env.CatalogErr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: the user catalog is ignored: %v\n", env.CatalogErr)
	}
}

// APIOptions are the local API's options for an engine of this process;
// show brings its window forward, nil when it has none.
func (env Env) APIOptions(show func()) api.Options {
	opts := api.Options{Catalog: env.Catalog, Config: env.Config, Show: show, HubCache: hubGetenv.CacheDir(), Logger: env.Config.Logger}
	// A token file that cannot be read: Hub names are refused as unknown.
	if c, err := hf.FromEnv(hubGetenv, nil); err == nil {
		opts.Hub = func() *hf.Client { return c }
	}
	return opts
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func help(_ context.Context, _ []string, env Env) int {
	fmt.Fprint(env.Stdout, Usage)
	return 0
}

// fail prints err's sentence (see downloader.Sentence) and returns exit
// code 1.
func fail(env Env, err error) int { return failf(env, "%s", words.Sentence(err)) }

// failf prints a one-sentence error and returns exit code 1.
func failf(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "modelfetch: "+format+"\n", args...)
	return 1
}

func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("modelfetch "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// target is what a command line names: a catalog model or URLs.
type target struct {
	id, title string
	model     string // the catalog id, when the command line names one model
	requests  []fetch.Request
}

// resolveTargets turns model ids and URLs into requests. One model gives
// its id and title; anything else has no id (the engine makes one from
// the URLs: Manager.Ensure).
func resolveTargets(models []catalog.Model, args []string) (target, error) {
	var t target
	for _, a := range args {
		if m, ok := catalog.Find(models, a); ok {
			t.requests = append(t.requests, m.Requests()...)
			if len(args) == 1 {
				t.id, t.title, t.model = m.ID, m.Title, m.ID
			}
			continue
		}
		if !strings.Contains(a, "://") {
			return t, fmt.Errorf("%q is neither a model id from `modelfetch catalog` nor a URL", a)
		}
		t.requests = append(t.requests, fetch.Request{URL: a})
	}
	return t, nil
}

// createRequest asks the running ModelFetch for t: a single model by its
// catalog id, anything else by its requests. id is the one the person
// chose, if any; without it the server names the fetch as this command
// would and joins a download of the same files under any id.
func (t target) createRequest(opts fetch.Options, id string) api.CreateRequest {
	req := api.CreateRequest{ID: id, Options: opts}
	if t.model != "" {
		req.Model = t.model
	} else {
		req.Requests = t.requests
	}
	return req
}

func list(ctx context.Context, args []string, env Env) int {
	fs := newFlags("list", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	if err != nil {
		return e.close(env, fail(env, err))
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(snaps)
		return e.close(env, 0)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tPROGRESS\tTITLE")
	for _, s := range snaps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.ID, term.StateText(s), progressText(s), s.Title)
	}
	w.Flush()
	return e.close(env, 0)
}

func control(ctx context.Context, args []string, env Env) int {
	if len(args) == 2 && args[1] == "--all" && args[0] != "cancel" {
		return controlAll(ctx, args[0], env)
	}
	if len(args) != 2 {
		return failf(env, "%s needs one fetch id (see `modelfetch list`).", args[0])
	}
	id := args[1]
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	var err error
	switch args[0] {
	case "pause":
		err = e.pause(ctx, id)
	case "resume":
		err = e.resume(ctx, id)
	case "cancel":
		var active bool
		if active, err = e.abort(ctx, id); err == nil && !active {
			fmt.Fprintf(env.Stderr, "modelfetch: %s had already finished\n", id)
		}
	}
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		return e.close(env, failf(env, "There is no download with id %q (see `modelfetch list`).", id))
	case err != nil:
		return e.close(env, fail(env, err))
	}
	return e.close(env, 0)
}

// controlAll pauses or resumes every fetch, as the tray's Pause all and
// Resume all do: the desktop entry's actions run it. Settled fetches are
// left as they are.
func controlAll(ctx context.Context, action string, env Env) int {
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	for _, s := range snaps {
		if err != nil || s.State.Settled() {
			continue
		}
		if action == "pause" {
			err = e.pause(ctx, s.ID)
		} else {
			err = e.resume(ctx, s.ID)
		}
		if errors.Is(err, fetch.ErrNotFound) {
			err = nil // removed meanwhile: nothing to do
		}
	}
	if err != nil {
		return e.close(env, fail(env, err))
	}
	return e.close(env, 0)
}

func listCatalog(_ context.Context, args []string, env Env) int {
	fs := newFlags("catalog", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(env.Catalog)
		return 0
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTITLE\tSIZE\tFILES")
	for _, m := range env.Catalog {
		size := "unknown"
		if n := m.Size(); n > 0 {
			size = humanize.Bytes(uint64(n))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", m.ID, m.Title, size, len(m.Files))
	}
	w.Flush()
	return 0
}

func path(ctx context.Context, args []string, env Env) int {
	if len(args) != 2 {
		return failf(env, "path needs one URL, model id or Hugging Face name.")
	}
	if code, ok := hubPath(env, args[1], hf.Options{}); ok {
		return code
	}
	t, err := resolveTargets(env.Catalog, args[1:])
	if err != nil {
		return failf(env, "%v.", err)
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	var paths []string
	for _, r := range t.requests {
		p, err := e.match(ctx, r.URL)
		if errors.Is(err, fetch.ErrNotFound) {
			return e.close(env, 1)
		}
		if err != nil {
			return e.close(env, fail(env, err))
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, p)
	}
	return e.close(env, 0)
}
