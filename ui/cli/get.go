package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/ask"
	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/ui/term"
)

// getArgs is what a get asks for.
type getArgs struct {
	ask       ask.Ask // what to download, with --id and the options
	limitRate int64   // --limit-rate, bytes per second; 0 when not given
	asJSON    bool
	copy      bool // --copy: a share may copy where it cannot link
	// tookOver: the running ModelFetch this get waited on stopped, and
	// this process carries the fetch on (see local.ensure).
	tookOver bool
}

// get is attach → ensure → wait → report, whichever engine it attaches
// to: the running ModelFetch, or one of this process on the journal.
func get(ctx context.Context, args []string, env instance.Env) int {
	g, err := parseGet(args, env)
	if err != nil {
		return usage(env, err)
	}
	if err := findApps(g.ask.For); err != nil {
		return env.Fail(err)
	}
	if code, ok := hubOffline(ctx, env, g); ok {
		return code
	}
	env.Config.LimitRate = cmp.Or(g.limitRate, env.Config.LimitRate)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newView(env, g.asJSON)
	if env.Hub != nil { // this process's engine, if it downloads, says a token it dropped
		env.Hub.OnRefused(view.tokenRefused)
		defer env.Hub.OnRefused(nil)
	}
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
			g.ask.ID, g.tookOver = id, true
			e.close(env, 0)
			continue
		}
		view.done()
		code = outcome(ctx, env, e, id, final, err, g.asJSON)
		if code == 0 && len(g.ask.For) > 0 {
			code = shareAfterGet(ctx, env, e, final, shareArgs{apps: g.ask.For, copy: g.copy, out: env.Stderr})
		}
		return e.close(env, code)
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
		fmt.Fprintf(env.Stderr, "modelfetch: %s names no quantization, so %s is downloaded, as llama.cpp and Ollama take it; add :* for every file.\n", g.ask.Model, picked)
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
		err = &failure{fmt.Sprintf("A different download with id %q is in progress; choose another --id.", id), err}
	case errors.Is(err, fetch.ErrConflict):
		err = &failure{words.Sentence(err) + " Run the same command with --replace to do so.", err}
	}
	return env.Fail(err)
}

// getAbout is what get's help says it does.
const getAbout = `Download WHAT, or join its download when ModelFetch is already downloading it, and print the path of each file on standard output once every file is verified. Progress goes to standard error: one line redrawn in place on a terminal, a line per change of state otherwise.

WHAT is a URL (several make one download), a model id from ` + "`modelfetch catalog`" + `, or a Hugging Face name such as hf.co/ORG/REPO:Q4_K_M (see ` + "`modelfetch --help`" + `).`

// parseGet reads get's command line: a usageError says what it cannot
// read, before any engine is started or asked.
func parseGet(args []string, env instance.Env) (*getArgs, error) {
	f := newFlags(env, "get", "WHAT...", getAbout)
	id := f.string("id", "ID", "The download's id: 1 to 128 letters, digits, '.', '_' or '-'. By default the model's id, or one made from the URLs.")
	title := f.string("title", "TITLE", "What the download is called in the window and in `modelfetch list`.")
	sha := f.string("sha256", "HEX", "The file's SHA-256, 64 hexadecimal digits (a sha256: prefix is fine); the file is kept only if it matches. For one file only.")
	total := f.string("total", "SIZE", "The file's size when it is one file, else the most bytes the download may use, such as 4.1GB.")
	dir := f.string("dir", "DIR", "Put the files in DIR instead of the models folder; a Hugging Face repo's files go there as `hf download --local-dir` puts them.")
	conns := f.string("connections", "N", fmt.Sprintf("Connections per file, 1 to %d; by default ModelFetch opens more while they make it faster, up to 16.", fetch.MaxConnections))
	limit := f.string("limit-rate", "RATE", "The most bytes per second this download may take, such as 20MB.")
	replace := f.bool("replace", "Use this --sha256 for a file ModelFetch knows with another SHA-256.")
	asJSON := f.bool("json", "Print progress and the result as JSON lines on standard output.")
	revision := f.string("revision", "REV", "A Hugging Face name's branch, tag or commit (default: main).")
	include := f.list("include", "GLOB", "Only a Hugging Face repo's files that match GLOB, such as '*.gguf'; may be given again.")
	exclude := f.list("exclude", "GLOB", "Not a Hugging Face repo's files that match GLOB; may be given again.")
	forApps := f.list("for", "APP,...", "Once verified, make the model available to these apps too: "+strings.Join(apps.Keys(), ", ")+" (see `modelfetch share`).")
	allowCopy := f.bool("copy", "With --for: copy the file into an app whose folder is on another disk, instead of refusing.")
	ops, err := f.parse(args[1:])
	if err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, mistake("The command get needs what to download: a URL, a model id from `modelfetch catalog` or a Hugging Face name, such as `modelfetch get hf.co/ORG/REPO:Q4_K_M`.")
	}
	for i, w := range ops {
		ops[i] = fetch.Pasted(w)
	}
	a, err := env.Resolver(nil).Words(ops)
	if err != nil {
		return nil, err
	}
	a.ID, a.Revision, a.Include, a.Exclude = *id, *revision, *include, *exclude
	a.Options = fetch.Options{Title: *title, Replace: *replace}
	g := &getArgs{ask: a, asJSON: *asJSON, copy: *allowCopy}
	if g.ask.For, err = parseApps(*forApps); err != nil {
		return nil, err
	}
	if err := g.options(env, *sha, *total, *conns, *limit, *dir); err != nil {
		return nil, err
	}
	if m, ok := catalog.Find(env.Catalog, g.ask.Model); len(g.ask.For) > 0 && (len(g.ask.Requests) > 0 || ok && m.HF == "") {
		return nil, mistake("The option --for takes a Hugging Face name, such as hf.co/ORG/REPO:Q4_K_M: apps name a model by its repository, and %s has none.", g.what())
	}
	return g, g.check()
}

// options reads the options with values to check.
func (g *getArgs) options(env instance.Env, sha, total, conns, limit, dir string) error {
	var err error
	if sha != "" {
		if sha, err = fetch.ParseSHA256(sha); err != nil {
			return err
		}
		if !g.expect(env, sha) {
			return mistake("The option --sha256 is the SHA-256 of one file, of a URL or of a catalog model of one file; %s is not one.", g.what())
		}
	}
	if g.ask.DownloadTotal, err = parseBytes("--total", total); err != nil {
		return err
	}
	if g.limitRate, err = parseBytes("--limit-rate", limit); err != nil {
		return err
	}
	if conns != "" {
		if g.ask.Connections, err = strconv.Atoi(conns); err != nil {
			return mistake("The option --connections is a whole number of connections per file, from 1 to %d, not %q.", fetch.MaxConnections, conns)
		}
	}
	if dir != "" {
		if g.ask.Dir, err = filepath.Abs(dir); err != nil {
			return err
		}
	}
	return nil
}

// check refuses what the engine would refuse, before it is started: a
// bad id, options and requests. The sentences are the engine's.
func (g *getArgs) check() error {
	if g.ask.ID != "" && !fetch.ValidID(g.ask.ID) {
		return fetch.ErrInvalidID
	}
	if err := g.ask.Options.Validate(); err != nil {
		return err
	}
	for _, q := range g.ask.Requests {
		if err := q.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// what is what g asks for, as the command line named it.
func (g *getArgs) what() string {
	switch {
	case g.ask.Model != "":
		return strconv.Quote(g.ask.Model)
	case len(g.ask.Requests) == 1:
		return strconv.Quote(g.ask.Requests[0].URL)
	}
	return fmt.Sprintf("a download of %d files", len(g.ask.Requests))
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
	if err != nil || n > 1<<62 {
		return 0, mistake("The option %s is a size such as 4.1GB, 500MB or 1048576 (bytes), not %q.", flag, s)
	}
	return int64(n), nil
}

// report prints a settled fetch: its paths on stdout, or why not on
// stderr.
func report(env instance.Env, s fetch.Snapshot, asJSON bool) int {
	if s.State != fetch.StateSucceeded {
		// A failure's sentence, or the cancelled one.
		return env.Fail(&failure{cmp.Or(s.Message, term.Advice(s.FailureReason, s.Status)), nil})
	}
	if !asJSON {
		for _, p := range s.Paths() {
			fmt.Fprintln(env.Stdout, p)
		}
	}
	return 0
}

func progressText(s fetch.Snapshot) string {
	return term.BytesOf(s.Downloaded, s.DownloadTotal)
}

// view shows progress: a live line on a terminal, a line per change of
// state elsewhere, or JSON lines.
type view struct {
	bar *term.Bar
	enc *json.Encoder
	// said is, by file URL, the restart last told, so that each is told
	// once however many events carry it.
	said map[string]string
	// refused is a token the Hub refused, so that a public model's file
	// was downloaded without it: set on the engine's goroutines
	// (tokenRefused), said once by show, which alone writes.
	refused     atomic.Pointer[hf.Token]
	saidRefused bool
	stderr      io.Writer // where the JSON view says it
}

func newView(env instance.Env, asJSON bool) *view {
	if asJSON {
		return &view{enc: json.NewEncoder(env.Stdout), stderr: env.Stderr}
	}
	var width func() int
	if env.Terminal {
		width = func() int { return term.Width(os.Stderr.Fd()) }
	}
	return &view{bar: term.NewBar(env.Stderr, width), said: map[string]string{}}
}

// tokenRefused is hf.PublicTransport's OnRefused: the engine of this
// process downloaded without a token the Hub refused.
func (v *view) tokenRefused(tok hf.Token) { v.refused.Store(&tok) }

// refusedWarning says that the Hub refused tok, so that a public model
// downloads without it.
func refusedWarning(tok hf.Token) string {
	return fmt.Sprintf("modelfetch: warning: the Hub refused the %s (invalid or expired), so this public model downloads without it; replace the token, or remove it.", tok)
}

// show writes one event. A failed write is remembered by the output (see
// Main), which makes it the exit code; the download goes on regardless.
func (v *view) show(ev fetch.Event) {
	if tok := v.refused.Load(); tok != nil && !v.saidRefused {
		v.saidRefused = true
		v.say(refusedWarning(*tok))
	}
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

// say writes a line of its own beside the progress.
func (v *view) say(line string) {
	if v.bar != nil {
		v.bar.Say(line)
		return
	}
	fmt.Fprintln(v.stderr, line)
}

func (v *view) done() {
	if v.bar != nil {
		v.bar.Done()
	}
}
