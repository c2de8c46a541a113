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

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader"
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
  modelfetch catalog [--json]             the models that can be downloaded by id
  modelfetch path URL|MODEL-ID            print the path of a downloaded file, exit 1 if none

Ctrl-C pauses a download; running the same command again resumes it.
`

// Env is what the commands take from the outside world.
type Env struct {
	Config     downloader.Config
	Catalog    []downloader.Model
	CatalogErr error // a broken user catalog, reported but not fatal
	Stdout     io.Writer
	Stderr     io.Writer
	Terminal   bool // Stderr is a terminal: draw a live progress bar
}

var commands = map[string]func(context.Context, []string, Env) int{
	"get": get, "list": list, "pause": control, "resume": control, "cancel": control,
	"catalog": catalog, "path": path, "help": help,
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

// open starts an engine on the journal, explaining the failures a person
// can act on.
func open(env Env) (*downloader.Manager, int) {
	m, err := downloader.New(env.Config)
	if errors.Is(err, downloader.ErrLocked) {
		return nil, failf(env, "another ModelFetch is running and holds the download journal; use its window, or quit it and try again")
	}
	if err != nil {
		return nil, failf(env, "cannot open the download journal: %v", err)
	}
	if jerr := m.JournalError(); jerr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: %v\n", jerr)
	}
	return m, 0
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
				t.id, t.title = m.ID, m.Title
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
	if *sha != "" {
		if len(t.requests) != 1 {
			return failf(env, "--sha256 applies to one file, and %d were asked for", len(t.requests))
		}
		t.requests[0].SHA256 = *sha
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

	m, code := open(env)
	if m == nil {
		return code
	}
	sub := m.Subscribe(fid, 256)
	defer sub.Close()
	if _, err := m.Fetch(fid, t.requests, opts); errors.Is(err, downloader.ErrDuplicateID) {
		// A paused or interrupted fetch of the same files: carry on with it.
		s, _ := m.Get(fid)
		if !sameURLs(s, t.requests) {
			return closeManager(m, env, failf(env, "a different download with id %q is in progress; choose another --id", fid))
		}
		m.Resume(fid)
	} else if err != nil {
		return closeManager(m, env, failf(env, "%v", err))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	runCtx, cancelRun := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	view := newView(env, *asJSON)
	final, interrupted := wait(ctx, m, fid, sub, view)
	if interrupted {
		m.Pause(fid)
	}
	cancelRun()
	<-runDone
	view.done()
	code = report(env, final, interrupted, *asJSON)
	return closeManager(m, env, code)
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

func list(_ context.Context, args []string, env Env) int {
	fs := newFlags("list", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	m, code := open(env)
	if m == nil {
		return code
	}
	snaps := m.Snapshots()
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(snaps)
		return closeManager(m, env, 0)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tPROGRESS\tTITLE")
	for _, s := range snaps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.ID, term.StateText(s), progressText(s), s.Title)
	}
	w.Flush()
	return closeManager(m, env, 0)
}

func control(_ context.Context, args []string, env Env) int {
	if len(args) != 2 {
		return failf(env, "%s needs one fetch id (see `modelfetch list`)", args[0])
	}
	id := args[1]
	m, code := open(env)
	if m == nil {
		return code
	}
	var err error
	switch args[0] {
	case "pause":
		err = m.Pause(id)
	case "resume":
		err = m.Resume(id)
	case "cancel":
		if !m.Abort(id) {
			if _, ok := m.Get(id); !ok {
				err = downloader.ErrNotFound
			} else {
				fmt.Fprintf(env.Stderr, "modelfetch: %s had already finished\n", id)
			}
		}
	}
	if errors.Is(err, downloader.ErrNotFound) {
		return closeManager(m, env, failf(env, "there is no download with id %q (see `modelfetch list`)", id))
	}
	return closeManager(m, env, 0)
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

func path(_ context.Context, args []string, env Env) int {
	if len(args) != 2 {
		return failf(env, "path needs one URL or model id")
	}
	t, err := resolveTargets(env.Catalog, args[1:])
	if err != nil {
		return failf(env, "%v", err)
	}
	m, code := open(env)
	if m == nil {
		return code
	}
	var paths []string
	for _, r := range t.requests {
		p, ok := m.Match(r.URL)
		if !ok {
			return closeManager(m, env, 1)
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, p)
	}
	return closeManager(m, env, 0)
}
