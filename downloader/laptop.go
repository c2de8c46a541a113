package downloader

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/network"
)

// Inhibitor keeps the machine awake while a download runs (a
// network.Inhibitor: systemd-logind's sleep lock). Hold is called when a
// record starts running and none was, Release when none runs any more.
type Inhibitor interface {
	Hold(ctx context.Context)
	Release()
}

// errMetered stops the records of every fetch while the connection is
// metered and the settings ask to pause there.
var errMetered = errors.New("paused on a metered connection")

// meteredSentence is what a fetch paused on a metered connection says.
var meteredSentence = words.Sentence(&network.Error{Kind: network.MeteredConnection})

// awakeLoop holds the Inhibitor while any record runs.
func (m *Manager) awakeLoop(ctx context.Context) {
	held := false
	defer func() {
		if held {
			m.cfg.Inhibitor.Release()
		}
	}()
	for {
		m.mu.Lock()
		busy := m.running > 0
		m.mu.Unlock()
		switch {
		case busy && !held:
			m.cfg.Inhibitor.Hold(ctx)
		case !busy && held:
			m.cfg.Inhibitor.Release()
		}
		held = busy
		select {
		case <-ctx.Done():
			return
		case <-m.busy:
		}
	}
}

// networkLoop follows the Watcher's changes: it wakes the transfers that
// wait for the network and pauses or resumes on a metered connection. A
// Watcher that runs (network.Monitor) is run here, with the engine. known
// is closed once the first status is taken.
func (m *Manager) networkLoop(ctx context.Context, known chan<- struct{}) {
	if r, ok := m.cfg.Network.(interface{ Run(context.Context) error }); ok {
		go func() {
			if err := r.Run(ctx); err != nil {
				m.cfg.Logger.Warn("network monitor", "err", err)
			}
		}()
	}
	m.setNetwork(m.cfg.Network.Status(ctx))
	close(known)
	changes := m.cfg.Network.Changes()
	for {
		select {
		case <-ctx.Done():
			return
		case st, ok := <-changes:
			if !ok {
				return
			}
			m.setNetwork(st)
		}
	}
}

// SetNetworkSettings makes the requests started from now on use s's proxy
// and extra CA (network.Configure on a copy of the engine's transport;
// transfers already running keep theirs). An error is a *network.Error
// and changes nothing.
func (m *Manager) SetNetworkSettings(s network.Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.base.Transport.(*http.Transport)
	if !ok {
		return fmt.Errorf("the engine's transport is a %T, not an *http.Transport", m.base.Transport)
	}
	t = t.Clone()
	if err := network.Configure(t, s); err != nil {
		return err
	}
	base := *m.base
	base.Transport = t
	m.base, m.client = &base, m.wrapped(&base)
	return nil
}

// wrapped is base with its transport wrapped by Config.Wrap.
func (m *Manager) wrapped(base *http.Client) *http.Client {
	if m.cfg.Wrap == nil {
		return base
	}
	c := *base
	c.Transport = m.cfg.Wrap(base.Transport)
	return &c
}

// setNetwork takes a new status of the network.
func (m *Manager) setNetwork(st network.Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.netChanged)
	m.netChanged = make(chan struct{})
	m.metered = st.Metered
	m.applyMetered()
}

// netChange is closed at the next change of the network.
func (m *Manager) netChange() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.netChanged
}

// SetPauseMetered says whether downloads pause on a metered connection.
func (m *Manager) SetPauseMetered(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pauseMetered = on
	m.applyMetered()
}

// meteredHold reports whether downloads pause for a metered connection.
// m.mu is held.
func (m *Manager) meteredHold() bool { return m.pauseMetered && m.metered }

// held reports whether f is paused, by the person or for a metered
// connection. m.mu is held.
func (m *Manager) held(f *fetchState) bool { return f.paused || m.meteredHold() }

// applyMetered stops what runs while meteredHold, and lets the dispatcher
// start it again when not. m.mu is held.
func (m *Manager) applyMetered() {
	if m.meteredHold() {
		for _, f := range m.order {
			for _, r := range f.records {
				if r.cancel != nil {
					r.cancel(errMetered)
				}
			}
		}
	}
	for _, f := range m.order {
		if !f.settled() {
			m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
		}
	}
	poke(m.wake)
}
