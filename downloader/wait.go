package downloader

import (
	"context"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Wait waits until the fetch id settles and returns its final snapshot.
// show, when not nil, hears the fetch's snapshot first and then each of
// its events, so that a progress view needs no loop of its own. Wait
// follows the fetch's events rather than polling: it subscribes before
// each look, so it misses none, and renews a subscription the engine
// dropped for falling behind. It returns ErrNotFound when there is no
// such fetch (or it is removed meanwhile), and ctx's error with the last
// snapshot when ctx ends first.
func (m *Manager) Wait(ctx context.Context, id string, show func(fetch.Event)) (fetch.Snapshot, error) {
	sub := m.Subscribe(id, 256)
	defer func() { sub.Close() }()
	for {
		s, ok := m.Get(id)
		if !ok {
			return s, fetch.ErrNotFound
		}
		if show != nil {
			show(fetch.Event{Kind: fetch.EventProgress, Fetch: s})
		}
		if s.State.Settled() {
			return s, nil
		}
		if s, done, err := m.next(ctx, sub, show); done {
			return s, err
		}
		sub = m.Subscribe(id, 256) // the engine dropped us; the look above catches up
	}
}

// next passes sub's events to show until the fetch settles (done), ctx
// ends (done, with its error) or the engine drops sub (not done).
func (m *Manager) next(ctx context.Context, sub *Subscription, show func(fetch.Event)) (fetch.Snapshot, bool, error) {
	for {
		select {
		case <-ctx.Done():
			s, _ := m.Get(sub.id)
			return s, true, ctx.Err()
		case ev, ok := <-sub.C:
			if !ok {
				return fetch.Snapshot{}, false, nil
			}
			if show != nil {
				show(ev)
			}
			if ev.Fetch.State.Settled() {
				return ev.Fetch, true, nil
			}
		}
	}
}
