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
	"syscall"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/ui/term"
)

// getArgs is what a get asks for.
type getArgs struct {
	target
	// id is the fetch's id in an engine of this process: --id, else the
	// target's, else "" (the engine makes one from the URLs).
	id string
	// remoteID is the id asked of the running ModelFetch: --id, if any;
	// without it the server names the fetch as this command would and
	// joins a download of the same files under any id.
	remoteID  string
	opts      fetch.Options
	limitRate int64 // --limit-rate, bytes per second; 0 when not given
	asJSON    bool
	hub       *hubGet // a Hub name's plan, nil for URLs and catalog ids
}

func (g *getArgs) createRequest() api.CreateRequest {
	return g.target.createRequest(g.opts, g.remoteID)
}

// get is attach → ensure → wait → report, whichever engine it attaches
// to: the running ModelFetch, or one of this process on the journal.
func get(ctx context.Context, args []string, env Env) int {
	g, code := parseGet(ctx, args, env)
	if g == nil {
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
			g.id = id
			e.close(env, 0)
			continue
		}
		view.done()
		return e.close(env, outcome(ctx, env, e, id, final, err, g.asJSON))
	}
}

// download ensures the fetch g asks for in e and waits for it to settle. It
// returns the fetch's id, its last snapshot and what went wrong.
func download(ctx context.Context, env Env, e engine, g *getArgs, view *view) (string, fetch.Snapshot, error) {
	id, err := e.ensure(ctx, env, g)
	if err != nil {
		return id, fetch.Snapshot{}, err
	}
	final, err := e.wait(ctx, id, view.show)
	if err == nil && g.hub != nil {
		final, err = g.hub.fetch.Finish(final) // as the local API and the window do
	}
	return id, final, err
}

// outcome says how the get of the fetch id ended and returns the exit
// code.
func outcome(ctx context.Context, env Env, e engine, id string, final fetch.Snapshot, err error, asJSON bool) int {
	switch {
	case err == nil:
		return report(env, final, asJSON)
	case ctx.Err() != nil:
		return e.interrupted(env, id, final)
	case errors.Is(err, fetch.ErrDuplicateID):
		return failf(env, "A different download with id %q is in progress; choose another --id.", id)
	case errors.Is(err, fetch.ErrConflict):
		return failf(env, "%s Add --replace to do so.", words.Sentence(err))
	}
	return fail(env, err)
}

// parseGet reads get's command line; when it cannot, it returns nil and
// the exit code.
func parseGet(ctx context.Context, args []string, env Env) (*getArgs, int) {
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
	var h hubArgs
	fs.StringVar(&h.revision, "revision", "", "Hub revision")
	fs.Var(&h.include, "include", "Hub files to include (glob, repeatable)")
	fs.Var(&h.exclude, "exclude", "Hub files to exclude (glob, repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, 2
	}
	if fs.NArg() == 0 {
		return nil, failf(env, "get needs a URL, a model id (see `modelfetch catalog`) or a Hugging Face name.")
	}
	if *dir != "" {
		h.dir, _ = filepath.Abs(*dir) // an error here is reported below
	}
	t, hub, err := hubTarget(ctx, env.Catalog, fs.Args(), h)
	if err != nil {
		return nil, hubFailed(env, fs.Arg(0), h, err)
	}
	if hub == nil {
		if t, err = resolveTargets(env.Catalog, fs.Args()); err != nil {
			return nil, failf(env, "%v.", err)
		}
	}
	g := &getArgs{target: t, id: cmp.Or(*id, t.id), remoteID: *id, asJSON: *asJSON, hub: hub}
	if hub != nil {
		g.remoteID = g.id // the same files of the same commit are one fetch everywhere
	}
	g.opts = fetch.Options{Title: cmp.Or(*title, t.title), Connections: *conns, Replace: *replace}
	if *sha != "" && !g.expect(*sha) {
		return nil, failf(env, "--sha256 applies to one file, and %d were asked for.", len(t.requests))
	}
	if g.opts.DownloadTotal, err = parseBytes("--total", *total); err != nil {
		return nil, failf(env, "%v.", err)
	}
	if g.limitRate, err = parseBytes("--limit-rate", *limit); err != nil {
		return nil, failf(env, "%v.", err)
	}
	if *dir != "" {
		if g.opts.Dir, err = filepath.Abs(*dir); err != nil {
			return nil, failf(env, "--dir %q: %s", *dir, words.Sentence(err))
		}
	}
	return g, 0
}

// expect sets the one file's SHA-256, and reports false when g asks for
// more than one file.
func (g *getArgs) expect(sha string) bool {
	if len(g.requests) != 1 {
		return false
	}
	g.requests[0].SHA256 = sha
	if g.model != "" {
		// The catalog's entry no longer describes the file, so the running
		// ModelFetch gets the request itself, under the model's id as here.
		g.remoteID, g.model = g.id, ""
	}
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
func report(env Env, s fetch.Snapshot, asJSON bool) int {
	if s.State != fetch.StateSucceeded {
		return failf(env, "%s", s.Message) // a failure's sentence, or the cancelled one
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

func newView(env Env, asJSON bool) *view {
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
