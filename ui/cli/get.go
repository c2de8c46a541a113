package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/modelfetch/modelfetch/downloader/ask"
	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/ui/term"
)

// getArgs is what a get asks for.
type getArgs struct {
	ask       ask.Ask // what to download, with --id and the options
	limitRate int64   // --limit-rate, bytes per second; 0 when not given
	asJSON    bool
}

// get is attach → ensure → wait → report, whichever engine it attaches
// to: the running ModelFetch, or one of this process on the journal.
func get(ctx context.Context, args []string, env instance.Env) int {
	g, code := parseGet(args, env)
	if g == nil {
		return code
	}
	if code, ok := hubOffline(ctx, env, g); ok {
		return code
	}
	env.Config.LimitRate = cmp.Or(g.limitRate, env.Config.LimitRate)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newView(env, g.asJSON)
	// maxLost bounds the reconnections after a broken connection, so that
	// a server that answers but keeps failing cannot keep get in a loop.
	const maxLost = 3
	for lost := 0; ; lost++ {
		e, code := attach(ctx, env)
		if e == nil {
			return code
		}
		id, final, err := download(ctx, env, e, g, view)
		if errors.Is(err, errLost) && lost < maxLost {
			// The running ModelFetch stopped (or died) and another may be
			// taking over. Attach again; when none answers, the journal
			// has the fetch and this process carries it on, under the id
			// the server gave it.
			g.ask.ID = id
			e.close(env, 0)
			continue
		}
		view.done()
		return e.close(env, outcome(ctx, env, e, id, final, err, g.asJSON))
	}
}

// download ensures the fetch g asks for in e and waits for it to settle. It
// returns the fetch's id, its last snapshot and what went wrong.
func download(ctx context.Context, env instance.Env, e engine, g *getArgs, view *view) (string, fetch.Snapshot, error) {
	id, picked, err := e.ensure(ctx, env, g)
	if err != nil {
		return id, fetch.Snapshot{}, err
	}
	if picked != "" {
		fmt.Fprintf(env.Stderr, "modelfetch: %s names no quantization, so %s is downloaded, as llama.cpp and Ollama take it; add :* for every file\n", g.ask.Model, picked)
	}
	final, err := e.wait(ctx, id, view.show)
	return id, final, err
}

// outcome says how the get of the fetch id ended and returns the exit
// code.
func outcome(ctx context.Context, env instance.Env, e engine, id string, final fetch.Snapshot, err error, asJSON bool) int {
	switch {
	case err == nil:
		return report(env, final, asJSON)
	case ctx.Err() != nil:
		return e.interrupted(env, id, final)
	case errors.Is(err, fetch.ErrDuplicateID):
		return env.Failf("A different download with id %q is in progress; choose another --id.", id)
	case errors.Is(err, fetch.ErrConflict):
		return env.Failf("%s Add --replace to do so.", words.Sentence(err))
	}
	return env.Fail(err)
}

// parseGet reads get's command line; when it cannot, it returns nil and
// the exit code.
func parseGet(args []string, env instance.Env) (*getArgs, int) {
	fs := newFlags("get", env)
	id := fs.String("id", "", "fetch id")
	title := fs.String("title", "", "title")
	sha := fs.String("sha256", "", "expected SHA-256")
	total := fs.String("total", "", "download total")
	dir := fs.String("dir", "", "target folder")
	conns := fs.Int("connections", 0, "connections per file")
	limit := fs.String("limit-rate", "", "bandwidth cap per second")
	asJSON := fs.Bool("json", false, "JSON lines")
	replace := fs.Bool("replace", false, "replace a known file's SHA-256")
	var revision string
	var include, exclude listFlag
	fs.StringVar(&revision, "revision", "", "Hub revision")
	fs.Var(&include, "include", "Hub files to include (glob, repeatable)")
	fs.Var(&exclude, "exclude", "Hub files to exclude (glob, repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, 2
	}
	if fs.NArg() == 0 {
		return nil, env.Failf("get needs a URL, a model id (see `modelfetch catalog`) or a Hugging Face name.")
	}
	a, err := env.Resolver(nil).Words(fs.Args())
	if err != nil {
		return nil, env.Fail(err)
	}
	a.ID, a.Revision, a.Include, a.Exclude = *id, revision, include, exclude
	a.Options = fetch.Options{Title: *title, Connections: *conns, Replace: *replace}
	g := &getArgs{ask: a, asJSON: *asJSON}
	if *sha != "" && !g.expect(env, *sha) {
		return nil, env.Failf("--sha256 applies to one file of a URL or of a catalog model; %q is not one.", strings.Join(fs.Args(), " "))
	}
	if g.ask.DownloadTotal, err = parseBytes("--total", *total); err != nil {
		return nil, env.Failf("%v.", err)
	}
	if g.limitRate, err = parseBytes("--limit-rate", *limit); err != nil {
		return nil, env.Failf("%v.", err)
	}
	if *dir != "" {
		if g.ask.Dir, err = filepath.Abs(*dir); err != nil {
			return nil, env.Failf("--dir %q: %s", *dir, words.Sentence(err))
		}
	}
	return g, 0
}

// expect sets the one file's SHA-256, and reports false when g asks for
// anything but one file: a catalog model of one file is asked for by its
// file, under the model's id and title, since the catalog's entry no
// longer describes it.
func (g *getArgs) expect(env instance.Env, sha string) bool {
	if m, ok := catalog.Find(env.Catalog, g.ask.Model); ok && m.HF == "" {
		g.ask.ID, g.ask.Title = cmp.Or(g.ask.ID, m.ID), cmp.Or(g.ask.Title, m.Title)
		g.ask.Model, g.ask.Requests = "", m.Requests()
	}
	if len(g.ask.Requests) != 1 {
		return false
	}
	g.ask.Requests[0].SHA256 = sha
	return true
}

// parseBytes reads a size such as 20MB given to flag; empty is 0.
func parseBytes(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a size in bytes", flag, s)
	}
	return int64(n), nil
}

// report prints a settled fetch: its paths on stdout, or why not on
// stderr.
func report(env instance.Env, s fetch.Snapshot, asJSON bool) int {
	if s.State != fetch.StateSucceeded {
		return env.Failf("%s", s.Message) // a failure's sentence, or the cancelled one
	}
	if !asJSON {
		for _, p := range s.Paths() {
			fmt.Fprintln(env.Stdout, p)
		}
	}
	return 0
}

func progressText(s fetch.Snapshot) string {
	if s.DownloadTotal > 0 {
		return fmt.Sprintf("%s of %s", humanize.Bytes(uint64(s.Downloaded)), humanize.Bytes(uint64(s.DownloadTotal)))
	}
	return humanize.Bytes(uint64(s.Downloaded))
}

// view shows progress: a live bar on a terminal, a line now and then
// elsewhere, or JSON lines.
type view struct {
	bar *term.Bar
	enc *json.Encoder
	// said is, by file URL, the restart last told, so that each is told
	// once however many events carry it.
	said map[string]string
}

func newView(env instance.Env, asJSON bool) *view {
	if asJSON {
		return &view{enc: json.NewEncoder(env.Stdout)}
	}
	return &view{bar: term.NewBar(env.Stderr, env.Terminal), said: map[string]string{}}
}

// show writes one event. A failed write is remembered by the output (see
// Main), which makes it the exit code; the download goes on regardless.
func (v *view) show(ev fetch.Event) {
	if v.enc != nil {
		_ = v.enc.Encode(ev)
		return
	}
	for _, r := range ev.Fetch.Records {
		if r.Restarted != "" && v.said[r.URL] != r.Restarted {
			v.said[r.URL] = r.Restarted
			v.bar.Say(term.RestartText(r))
		}
	}
	v.bar.Show(ev.Fetch)
}

func (v *view) done() {
	if v.bar != nil {
		v.bar.Done()
	}
}
