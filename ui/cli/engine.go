package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// engine is what the commands act on: the running ModelFetch over the
// local API, or an engine of this process. Either answers a missing fetch
// or file with downloader.ErrNotFound.
type engine interface {
	snapshots(ctx context.Context) ([]fetch.Snapshot, error)
	pause(ctx context.Context, id string) error
	resume(ctx context.Context, id string) error
	// abort cancels the fetch with id and reports whether it was active.
	abort(ctx context.Context, id string) (bool, error)
	// match returns the completed, verified file of url.
	match(ctx context.Context, url string) (string, error)
	// share makes the verified model files of the fetch id available to
	// the app (Manager.Share) and returns the fetch as it is then.
	share(ctx context.Context, id, app string, allowCopy bool) (fetch.Snapshot, error)
	// unshare removes what share made in the app for the fetch id, and
	// nothing else (Manager.Unshare).
	unshare(ctx context.Context, id, app string) (fetch.Snapshot, error)
	// ensure starts what g asks for, or joins the download of the same
	// files, and returns the id of the fetch to wait for and, for a Hub
	// name that named no quantization, the one taken.
	ensure(ctx context.Context, env instance.Env, g *getArgs) (id, picked string, err error)
	// wait follows the fetch with id until it settles or ctx ends,
	// showing its events; the snapshot is the last one seen.
	wait(ctx context.Context, id string, show func(fetch.Event)) (fetch.Snapshot, error)
	// interrupted is Ctrl-C on a get waiting for the fetch with id, last
	// seen as s: it says what became of the download and returns the exit
	// code.
	interrupted(env instance.Env, id string, s fetch.Snapshot) int
	// close releases the engine and returns the exit code, which is code
	// unless closing failed.
	close(env instance.Env, code int) int
}

// errLost means the connection to the running ModelFetch broke: it
// stopped (or died), and another engine may be taking over.
var errLost = errors.New("the running modelfetch stopped answering")

// attach finds the engine for a command (see instance.Attach), explaining
// the failures a person can act on; when it finds none it returns an exit
// code instead.
func attach(ctx context.Context, env instance.Env) (engine, int) {
	c, m, code := env.Attach(ctx)
	switch {
	case c != nil:
		return remote{c}, 0
	case m != nil:
		return &local{m: m}, 0
	}
	return nil, code
}

// local is an engine of this process. The instant commands never run it:
// the journal holds what they read and change. get runs it (see serve).
type local struct {
	m      *downloader.Manager
	stop   context.CancelFunc // ends the run serve started; nil when not running
	served <-chan error       // the run's result (see instance.Host.Serve)
}

// serve runs the engine in the background and serves its local API, so
// that a second `modelfetch get` of the same files joins this download
// instead of failing on the journal lock. When this process ends, a get
// still waiting on it carries on with the journal itself.
func (l *local) serve(env instance.Env) {
	host, err := instance.NewHost(l.m, api.SocketPath(), env.APIOptions(nil))
	if err != nil && !errors.Is(err, api.ErrRunning) {
		// Downloading matters more; only other commands lose this engine.
		env.Warn("other commands cannot join this download. %s", words.Sentence(err))
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- host.Serve(ctx) }()
	l.stop, l.served = stop, served
}

func (l *local) snapshots(context.Context) ([]fetch.Snapshot, error) {
	return l.m.Snapshots(), nil
}

func (l *local) pause(_ context.Context, id string) error  { return l.m.Pause(id) }
func (l *local) resume(_ context.Context, id string) error { return l.m.Resume(id) }

func (l *local) abort(_ context.Context, id string) (bool, error) {
	if l.m.Abort(id) {
		return true, nil
	}
	if _, ok := l.m.Get(id); !ok {
		return false, fetch.ErrNotFound
	}
	return false, nil
}

func (l *local) match(ctx context.Context, url string) (string, error) {
	if p, ok := l.m.Match(ctx, url); ok {
		return p, nil
	}
	return "", fetch.ErrNotFound
}

func (l *local) share(ctx context.Context, id, app string, allowCopy bool) (fetch.Snapshot, error) {
	return l.m.Share(ctx, id, app, allowCopy)
}

func (l *local) unshare(_ context.Context, id, app string) (fetch.Snapshot, error) {
	return l.m.Unshare(id, app)
}

// ensure runs the engine first (see serve): a fetch here downloads only
// while it runs. A get that took over from a ModelFetch that stopped
// runs only its own fetch, and says so: the others wait for ModelFetch.
func (l *local) ensure(ctx context.Context, env instance.Env, g *getArgs) (string, string, error) {
	f, err := env.Resolver(l.m).Resolve(ctx, g.ask)
	if err != nil {
		return g.ask.ID, "", err
	}
	if id := cmp.Or(f.ID, g.ask.ID); g.tookOver && id != "" && l.stop == nil {
		l.m.RunOnly(id)
		fmt.Fprintf(env.Stderr, "modelfetch: The running ModelFetch stopped, so this command carries on downloading %s itself, and only that: the other downloads wait for ModelFetch to start again.\n", id)
	}
	if l.stop == nil {
		l.serve(env)
	}
	snap, _, err := l.m.Ensure(f.ID, f.Requests, f.Options)
	return cmp.Or(snap.ID, f.ID), f.Picked, err
}

func (l *local) wait(ctx context.Context, id string, show func(fetch.Event)) (fetch.Snapshot, error) {
	return l.m.Wait(ctx, id, show)
}

// interrupted pauses the fetch, journaled as paused, so that the same
// command again resumes it.
func (l *local) interrupted(env instance.Env, id string, s fetch.Snapshot) int {
	if err := l.m.Pause(id); err != nil {
		return env.Fail(err)
	}
	fmt.Fprintf(env.Stderr, "modelfetch: Paused at %s; run the same command again to resume.\n", progressText(s))
	return 130
}

func (l *local) close(env instance.Env, code int) int {
	if l.stop == nil {
		return closeManager(l.m, env, code)
	}
	l.stop()
	return env.Stopped(<-l.served, code)
}

// remote is the running ModelFetch.
type remote struct{ c *api.Client }

func (r remote) snapshots(ctx context.Context) ([]fetch.Snapshot, error) {
	return r.c.List(ctx)
}

func (r remote) pause(ctx context.Context, id string) error {
	_, err := r.c.Pause(ctx, id)
	return err
}

func (r remote) resume(ctx context.Context, id string) error {
	_, err := r.c.Resume(ctx, id)
	return err
}

func (r remote) abort(ctx context.Context, id string) (bool, error) {
	snap, err := r.c.Abort(ctx, id)
	// The server answers with the fetch as it stands: anything but
	// aborted had settled before.
	return err == nil && snap.State == fetch.StateAborted, err
}

func (r remote) match(ctx context.Context, url string) (string, error) {
	return r.c.MatchURL(ctx, url)
}

func (r remote) ensure(ctx context.Context, env instance.Env, g *getArgs) (string, string, error) {
	if g.limitRate != 0 {
		env.Warn("--limit-rate cannot change the running ModelFetch; set its limit in its Settings.")
	}
	res, _, err := r.c.Create(ctx, g.ask) // it resolves what is asked, as this process would
	// The server may join a fetch of the same files under another id.
	return cmp.Or(res.ID, g.ask.ID), res.Picked, lost(ctx, err)
}

func (r remote) share(ctx context.Context, id, app string, allowCopy bool) (fetch.Snapshot, error) {
	return r.c.Share(ctx, id, app, allowCopy)
}

func (r remote) unshare(ctx context.Context, id, app string) (fetch.Snapshot, error) {
	return r.c.Unshare(ctx, id, app)
}

func (r remote) wait(ctx context.Context, id string, show func(fetch.Event)) (fetch.Snapshot, error) {
	s, err := r.c.Wait(ctx, id, show)
	return s, lost(ctx, err)
}

// interrupted only stops waiting: pausing would stop every other program
// waiting for the download.
func (r remote) interrupted(env instance.Env, id string, _ fetch.Snapshot) int {
	fmt.Fprintf(env.Stderr, "modelfetch: Stopped waiting; the download goes on in the running ModelFetch (`modelfetch pause %s` pauses it).\n", id)
	return 130
}

func (r remote) close(_ instance.Env, code int) int {
	r.c.CloseIdleConnections()
	return code
}

// lost marks err with errLost when it is not an answer of the server nor
// the end of ctx: the connection broke.
func lost(ctx context.Context, err error) error {
	var answered *api.Error
	if err == nil || ctx.Err() != nil || errors.As(err, &answered) {
		return err
	}
	return fmt.Errorf("%w: %w", errLost, err)
}
