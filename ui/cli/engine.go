package cli

import (
	"context"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
)

// engine is what list, pause, resume, cancel and path act on: the running
// ModelFetch over the local API, or an engine of this process. Either
// answers a missing fetch or file with downloader.ErrNotFound.
type engine interface {
	snapshots(ctx context.Context) ([]downloader.Snapshot, error)
	pause(ctx context.Context, id string) error
	resume(ctx context.Context, id string) error
	// abort cancels the fetch with id and reports whether it was active.
	abort(ctx context.Context, id string) (bool, error)
	// match returns the completed, verified file of url.
	match(ctx context.Context, url string) (string, error)
	// close releases the engine and returns the exit code, which is code
	// unless closing failed.
	close(env Env, code int) int
}

// local is an engine of this process. Its commands are instant, so it is
// never run: the journal holds what they read and change.
type local struct{ m *downloader.Manager }

func (l local) snapshots(context.Context) ([]downloader.Snapshot, error) {
	return l.m.Snapshots(), nil
}

func (l local) pause(_ context.Context, id string) error  { return l.m.Pause(id) }
func (l local) resume(_ context.Context, id string) error { return l.m.Resume(id) }

func (l local) abort(_ context.Context, id string) (bool, error) {
	if l.m.Abort(id) {
		return true, nil
	}
	if _, ok := l.m.Get(id); !ok {
		return false, downloader.ErrNotFound
	}
	return false, nil
}

func (l local) match(_ context.Context, url string) (string, error) {
	if p, ok := l.m.Match(url); ok {
		return p, nil
	}
	return "", downloader.ErrNotFound
}

func (l local) close(env Env, code int) int { return closeManager(l.m, env, code) }

// remote is the running ModelFetch.
type remote struct{ c *api.Client }

func (r remote) snapshots(ctx context.Context) ([]downloader.Snapshot, error) {
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
	return err == nil && snap.State == downloader.StateAborted, err
}

func (r remote) match(ctx context.Context, url string) (string, error) {
	return r.c.MatchURL(ctx, url)
}

func (r remote) close(_ Env, code int) int {
	r.c.CloseIdleConnections()
	return code
}
