package downloader

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/internal/ledger"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
)

// This file is what the Manager keeps on disk and when: the journal's
// loading at start, its writes, and the mapping between live state and
// the journal's records.

// load reads the journal into m. A journal that cannot be read is moved
// aside and reported by JournalError; any other failure is returned.
func (m *Manager) load() error {
	j, err := journal.Read(m.journalPath, time.Now())
	var corrupt *fetch.CorruptJournalError
	if errors.As(err, &corrupt) {
		m.journalErr = err
		m.cfg.Logger.Warn("journal set aside", "err", err)
	} else if err != nil {
		return err
	}
	m.completed = j.Completed
	for _, jf := range j.Fetches {
		f := fetchFromJournal(jf, j.Boot != "" && j.Boot == disk.BootID())
		m.fetches[f.id] = f
		m.order = append(m.order, f)
	}
	return nil
}

func (m *Manager) markDirty() { poke(m.dirty) }

// journalGap is the least time between two journal writes. A transfer
// marks the journal dirty as bytes arrive, so this is also how much of a
// download a kill -9 loses: the written ranges of the journal are trusted
// after a restart in the same boot.
const journalGap = 100 * time.Millisecond

// journalLoop writes the journal when something changed, at most every
// journalGap, and once more when ctx ends.
func (m *Manager) journalLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.dirty:
		}
		if err := m.writeJournal(); err != nil {
			m.cfg.Logger.Error("write journal", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(journalGap):
		}
	}
}

func (m *Manager) writeJournal() error {
	m.journalMu.Lock()
	defer m.journalMu.Unlock()
	m.mu.Lock()
	j := journal.File{Version: journal.Version, Boot: disk.BootID(), Completed: slices.Clone(m.completed)}
	for _, f := range m.order {
		j.Fetches = append(j.Fetches, f.journal())
	}
	m.mu.Unlock()
	return journal.Write(m.journalPath, j)
}

func (f *fetchState) journal() journal.Fetch {
	jf := journal.Fetch{ID: f.id, Options: f.opts, Created: f.created, Paused: f.paused,
		State: f.state, Reason: f.reason, Message: f.message, Status: f.status}
	for _, r := range f.records {
		state := r.state
		if !state.Settled() {
			state = fetch.StateQueued
		}
		_, written, synced := r.ledger.State()
		jf.Records = append(jf.Records, journal.Record{
			Request: r.req, Name: r.name, Size: r.size, Validator: r.validator,
			SHA256: r.sha256, Ranges: r.ranges, Segments: journal.Segments(synced), Written: journal.Segments(written),
			HashState: r.hashState, Path: r.path, State: state,
			Reason: r.reason, Message: r.message, Status: r.status, Offset: r.offset,
			Mismatch: r.mismatch, Unverified: r.unverified, Shared: r.shared,
		})
	}
	return jf
}

// fetchFromJournal rebuilds a fetch; sameBoot says the journal was
// written in this boot, so that its written ranges are in the page cache
// if not on disk.
func fetchFromJournal(jf journal.Fetch, sameBoot bool) *fetchState {
	f := &fetchState{id: jf.ID, opts: jf.Options, created: jf.Created, paused: jf.Paused,
		state: jf.State, reason: jf.Reason, message: jf.Message, status: jf.Status}
	if !f.state.Settled() {
		f.state = fetch.StateQueued
	}
	for i, jr := range jf.Records {
		r := &record{f: f, index: i, req: jr.Request, name: jr.Name, size: jr.Size,
			validator: jr.Validator, sha256: jr.SHA256, ranges: jr.Ranges, hashState: jr.HashState,
			path: jr.Path, state: jr.State, reason: jr.Reason, message: jr.Message, status: jr.Status, offset: jr.Offset,
			mismatch: jr.Mismatch, unverified: jr.Unverified, shared: jr.Shared}
		if !r.state.Settled() {
			r.state = fetch.StateQueued
		}
		var written ledger.Spans
		if sameBoot {
			written = journal.Spans(jr.Written)
		}
		r.ledger = ledger.New(jr.Size, journal.Spans(jr.Segments), written)
		if len(r.hashState) > 0 {
			r.hashed.Store(transfer.HashedLen(r.req, r.size, r.hashState))
		}
		f.records = append(f.records, r)
	}
	return f
}
