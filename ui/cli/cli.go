// Package cli is ModelFetch's command line: `modelfetch get` and the
// commands around it. It is a client of the engine like the window is,
// and never imports a UI toolkit.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/adrg/xdg"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
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
      --total BYTES     refuse to download more than this many bytes
      --dir DIR         put the files in DIR instead of the models folder
      --connections N   connections per file (default: automatic, up to 16)
      --limit-rate R    bandwidth cap, e.g. 20MB (per second)
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
	models, err := downloader.LoadCatalog(builtin, filepath.Join(xdg.ConfigHome, "modelfetch", "catalog.json"))
	return Env{
		Config:     downloader.DefaultConfig(),
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
	Catalog    []downloader.Model
	CatalogErr error // a broken user catalog, reported but not fatal
	Stdout     io.Writer
	Stderr     io.Writer
	Terminal   bool // Stderr is a terminal: draw a live progress bar
	Version    Version
}

var commands = map[string]func(context.Context, []string, Env) int{
	"get": get, "list": list, "pause": control, "resume": control, "cancel": control,
	"catalog": catalog, "path": path, "serve": serve, "help": help,
	"version": version, "--version": version, "__complete": complete,
}

// IsCommand reports whether name is a subcommand.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "-h" || name == "--help"
}

// Main runs the subcommand args[0] and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.CatalogErr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: the user catalog is ignored: %v\n", env.CatalogErr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		cmd = help
	}
	return cmd(ctx, args, env)
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

// connect finds the engine for a command (see Connect), explaining the
// failures a person can act on; when it finds none it returns an exit code.
func connect(ctx context.Context, env Env) (*api.Client, *downloader.Manager, int) {
	c, m, err := Connect(ctx, env)
	switch {
	case c != nil:
		return c, nil, 0
	case errors.Is(err, downloader.ErrLocked):
		return nil, nil, failf(env, "another ModelFetch holds the download journal and does not answer at %s; quit it and try again", api.SocketPath())
	case ctx.Err() != nil:
		return nil, nil, 130
	case err != nil:
		return nil, nil, failf(env, "cannot open the download journal: %v", err)
	}
	if jerr := m.JournalError(); jerr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: %v\n", jerr)
	}
	return nil, m, 0
}

// open is connect for the commands that work with either engine alike.
func open(ctx context.Context, env Env) (engine, int) {
	c, m, code := connect(ctx, env)
	switch {
	case c != nil:
		return remote{c}, 0
	case m != nil:
		return local{m}, 0
	}
	return nil, code
}

// closeManager writes the journal, reporting a failure to do so.
func closeManager(m *downloader.Manager, env Env, code int) int {
	if err := m.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: the download journal could not be saved: %v\n", err)
		return max(code, 1)
	}
	return code
}

// target is what a command line names: a catalog model or URLs.
type target struct {
	id, title string
	model     string // the catalog id, when the command line names one model
	requests  []downloader.Request
}

// resolveTargets turns model ids and URLs into requests. One model gives
// its id and title; anything else gets an id made from the URLs.
func resolveTargets(models []downloader.Model, args []string) (target, error) {
	var t target
	for _, a := range args {
		if m, ok := downloader.FindModel(models, a); ok {
			t.requests = append(t.requests, m.Requests()...)
			if len(args) == 1 {
				t.id, t.title, t.model = m.ID, m.Title, m.ID
			}
			continue
		}
		if !strings.Contains(a, "://") {
			return t, fmt.Errorf("%q is neither a model id from `modelfetch catalog` nor a URL", a)
		}
		t.requests = append(t.requests, downloader.Request{URL: a})
	}
	if t.id == "" {
		var urls []string
		for _, r := range t.requests {
			urls = append(urls, r.URL)
		}
		t.id = downloader.IDForURLs(urls)
	}
	return t, nil
}

// createRequest asks the running ModelFetch for t: a single model by its
// catalog id, anything else by its requests. id is the one the person
// chose, if any; without it the server names the fetch as this command
// would and joins a download of the same files under any id.
func (t target) createRequest(opts downloader.Options, id string) api.CreateRequest {
	req := api.CreateRequest{ID: id, Options: opts}
	if t.model != "" {
		req.Model = t.model
	} else {
		req.Requests = t.requests
	}
	return req
}

func get(ctx context.Context, args []string, env Env) int {
	fs := newFlags("get", env)
	id := fs.String("id", "", "fetch id")
	title := fs.String("title", "", "title")
	sha := fs.String("sha256", "", "expected SHA-256")
	total := fs.String("total", "", "download total")
	dir := fs.String("dir", "", "target folder")
	conns := fs.Int("connections", 0, "connections per file")
	limit := fs.String("limit-rate", "", "bandwidth cap per second")
	asJSON := fs.Bool("json", false, "JSON lines")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		return failf(env, "get needs a URL or a model id (see `modelfetch catalog`)")
	}
	t, err := resolveTargets(env.Catalog, fs.Args())
	if err != nil {
		return failf(env, "%v", err)
	}
	remoteID := *id
	if *sha != "" {
		if len(t.requests) != 1 {
			return failf(env, "--sha256 applies to one file, and %d were asked for", len(t.requests))
		}
		t.requests[0].SHA256 = *sha
		if t.model != "" {
			// The catalog's entry no longer describes the file, so the
			// running ModelFetch gets the request itself, under the
			// model's id as here.
			remoteID, t.model = cmp.Or(*id, t.id), ""
		}
	}
	opts := downloader.Options{Title: cmp.Or(*title, t.title), Connections: *conns}
	if *total != "" {
		n, err := humanize.ParseBytes(*total)
		if err != nil {
			return failf(env, "--total %q is not a size in bytes", *total)
		}
		opts.DownloadTotal = int64(n)
	}
	if *dir != "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return failf(env, "--dir %q: %v", *dir, err)
		}
		opts.Dir = abs
	}
	if *limit != "" {
		n, err := humanize.ParseBytes(*limit)
		if err != nil {
			return failf(env, "--limit-rate %q is not a size in bytes", *limit)
		}
		env.Config.LimitRate = int64(n)
	}
	fid := cmp.Or(*id, t.id)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newView(env, *asJSON)
	// maxLost bounds the reconnections after a broken connection, so that
	// a server that answers but keeps failing cannot keep get in a loop.
	const maxLost = 3
	for lost := 0; ; {
		c, m, code := connect(ctx, env)
		if m != nil {
			return closeManager(m, env, getHere(ctx, m, env, fid, t.requests, opts, view))
		}
		if c == nil {
			return code
		}
		if *limit != "" {
			fmt.Fprintln(env.Stderr, "modelfetch: warning: --limit-rate cannot change the running ModelFetch; set its limit in its settings")
		}
		final, err := start(ctx, c, t.createRequest(opts, remoteID))
		joined := cmp.Or(final.ID, fid) // the server may join a fetch of the same files under another id
		if err == nil {
			final, err = c.Wait(ctx, joined, view.show)
		}
		c.CloseIdleConnections()
		var answered *api.Error
		if err != nil && ctx.Err() == nil && !errors.As(err, &answered) && lost < maxLost {
			// The connection broke: the running ModelFetch stopped (or
			// died) and another may be taking over. Connect again; when
			// none answers, the journal has the fetch and this process
			// carries it on, under the id the server gave it.
			lost, fid = lost+1, joined
			continue
		}
		view.done()
		switch {
		case err == nil:
			return report(env, final, false, *asJSON)
		case ctx.Err() != nil:
			// Pausing would stop every other program waiting for it.
			fmt.Fprintf(env.Stderr, "modelfetch: stopped waiting; the download continues in the running ModelFetch (`modelfetch pause %s` pauses it)\n", joined)
			return 130
		default:
			return failf(env, "%s", errorSentence(err))
		}
	}
}

// getHere runs the fetch in this process's engine m until it settles or
// ctx ends (Ctrl-C pauses it), and serves the local API meanwhile, so that
// a second `modelfetch get` of the same files joins this download instead
// of failing on the journal lock. When this fetch ends the process stops,
// and a get still waiting on it carries on with the journal itself.
func getHere(ctx context.Context, m *downloader.Manager, env Env, id string, requests []downloader.Request, opts downloader.Options, view *view) int {
	sub := m.Subscribe(id, 256)
	defer sub.Close()
	if _, err := m.Fetch(id, requests, opts); errors.Is(err, downloader.ErrDuplicateID) {
		// A paused or interrupted fetch of the same files: carry on with it.
		s, _ := m.Get(id)
		if !sameURLs(s, requests) {
			return failf(env, "a different download with id %q is in progress; choose another --id", id)
		}
		m.Resume(id)
	} else if err != nil {
		return failf(env, "%v", err)
	}

	runCtx, cancelRun := context.WithCancel(context.Background())
	served, err := ServeAPI(runCtx, m, env, nil)
	if err != nil && !errors.Is(err, api.ErrRunning) {
		// Downloading matters more; only other commands lose this engine.
		fmt.Fprintf(env.Stderr, "modelfetch: warning: other commands cannot join this download: %v\n", err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	final, interrupted := wait(ctx, m, id, sub, view)
	if interrupted {
		m.Pause(id)
	}
	cancelRun()
	if served != nil {
		if err := <-served; err != nil {
			fmt.Fprintf(env.Stderr, "modelfetch: warning: the local API stopped: %v\n", err)
		}
	}
	if err := <-runDone; err != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: the download journal could not be saved: %v\n", err)
	}
	view.done()
	return report(env, final, interrupted, view.asJSON)
}

// wait follows the fetch until it settles or ctx ends (Ctrl-C), showing
// progress on the way.
func wait(ctx context.Context, m *downloader.Manager, id string, sub *downloader.Subscription, view *view) (downloader.Snapshot, bool) {
	for {
		s, _ := m.Get(id)
		view.show(downloader.Event{Kind: downloader.EventProgress, Fetch: s})
		if s.State.Settled() {
			return s, false
		}
		select {
		case <-ctx.Done():
			s, _ := m.Get(id)
			return s, true
		case ev, ok := <-sub.C:
			if !ok {
				sub = m.Subscribe(id, 256) // we fell behind; Get above catches up
				continue
			}
			view.show(ev)
			if ev.Fetch.State.Settled() {
				return ev.Fetch, false
			}
		}
	}
}

// report prints the outcome: paths on stdout, or why not on stderr.
func report(env Env, s downloader.Snapshot, interrupted, asJSON bool) int {
	switch {
	case interrupted:
		fmt.Fprintf(env.Stderr, "modelfetch: paused at %s; run the same command again to resume\n", progressText(s))
		return 130
	case s.State == downloader.StateSucceeded:
		if !asJSON {
			for _, p := range s.Paths() {
				fmt.Fprintln(env.Stdout, p)
			}
		}
		return 0
	case s.State == downloader.StateAborted:
		return failf(env, "the download was cancelled")
	default:
		return failf(env, "%s", strings.TrimSuffix(s.Message, "."))
	}
}

func sameURLs(s downloader.Snapshot, reqs []downloader.Request) bool {
	return slices.EqualFunc(s.Records, reqs, func(r downloader.RecordSnapshot, q downloader.Request) bool { return r.URL == q.URL })
}

func progressText(s downloader.Snapshot) string {
	if s.DownloadTotal > 0 {
		return fmt.Sprintf("%s of %s", humanize.Bytes(uint64(s.Downloaded)), humanize.Bytes(uint64(s.DownloadTotal)))
	}
	return humanize.Bytes(uint64(s.Downloaded))
}

// view shows progress: a live bar on a terminal, a line now and then
// elsewhere, or JSON lines.
type view struct {
	env    Env
	asJSON bool
	bar    *term.Bar
	enc    *json.Encoder
}

func newView(env Env, asJSON bool) *view {
	v := &view{env: env, asJSON: asJSON}
	if asJSON {
		v.enc = json.NewEncoder(env.Stdout)
	} else {
		v.bar = term.NewBar(env.Stderr, env.Terminal)
	}
	return v
}

func (v *view) show(ev downloader.Event) {
	if v.asJSON {
		v.enc.Encode(ev)
		return
	}
	v.bar.Show(ev.Fetch)
}

func (v *view) done() {
	if v.bar != nil {
		v.bar.Done()
	}
}

func list(ctx context.Context, args []string, env Env) int {
	fs := newFlags("list", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	e, code := open(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	if err != nil {
		return e.close(env, failf(env, "%s", errorSentence(err)))
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
		return failf(env, "%s needs one fetch id (see `modelfetch list`)", args[0])
	}
	id := args[1]
	e, code := open(ctx, env)
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
	case errors.Is(err, downloader.ErrNotFound):
		return e.close(env, failf(env, "there is no download with id %q (see `modelfetch list`)", id))
	case err != nil:
		return e.close(env, failf(env, "%s", errorSentence(err)))
	}
	return e.close(env, 0)
}

// controlAll pauses or resumes every fetch, as the tray's Pause all and
// Resume all do: the desktop entry's actions run it. Settled fetches are
// left as they are.
func controlAll(ctx context.Context, action string, env Env) int {
	e, code := open(ctx, env)
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
		if errors.Is(err, downloader.ErrNotFound) {
			err = nil // removed meanwhile: nothing to do
		}
	}
	if err != nil {
		return e.close(env, failf(env, "%s", errorSentence(err)))
	}
	return e.close(env, 0)
}

func catalog(_ context.Context, args []string, env Env) int {
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
		return failf(env, "path needs one URL or model id")
	}
	t, err := resolveTargets(env.Catalog, args[1:])
	if err != nil {
		return failf(env, "%v", err)
	}
	e, code := open(ctx, env)
	if e == nil {
		return code
	}
	var paths []string
	for _, r := range t.requests {
		p, err := e.match(ctx, r.URL)
		if errors.Is(err, downloader.ErrNotFound) {
			return e.close(env, 1)
		}
		if err != nil {
			return e.close(env, failf(env, "%s", errorSentence(err)))
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, p)
	}
	return e.close(env, 0)
}
