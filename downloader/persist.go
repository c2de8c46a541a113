package downloader

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
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
//
// Two writers keep the journal (see journal.Store). The durable one saves
// what changed (a snapshot while the journal is small, else the changed
// fetches and records appended to the log) and waits for the disk. The
// written one saves the ranges written and not yet synced, never waiting
// for the disk, so that under load, with a data sync in flight, they still
// follow the bytes within journalGap (issue 17.7).

// journalState is what the Manager knows of its journal on disk. Its
// sets are guarded by mu, a leaf lock (taken under m.mu or alone); the
// rest is the durable writer's, under m.journalMu, or the written one's,
// under writtenMu.
type journalState struct {
	store *journal.Store

	mu    sync.Mutex
	full  bool                 // any fetch may have changed
	dirty map[*record]struct{} // records that changed
	live  map[*record]struct{} // records whose written ranges may be ahead of their synced ones

	written   chan struct{} // the written ranges grew
	writtenMu sync.Mutex
	listed    map[recordKey]bool // records the written file lists

	// saved is the durable journal as written, record by record, so that
	// a save appends only what differs; nil while the journal is small
	// enough to be saved whole.
	saved *savedJournal
	// claimed are the records whose synced ranges the durable journal
	// holds (see newPart).
	claimed map[recordKey]bool
}

// recordKey names a record on disk: its fetch and its place in it.
type recordKey struct {
	id    string
	index int
}

func (r *record) key() recordKey { return recordKey{r.f.id, r.index} }

// smallJournal is the size below which the journal is saved whole: a
// save then costs at most this much, and the snapshot stays the journal
// in full for whoever reads it. Above it, saves append changes to the log.
const smallJournal = 256 << 10

// load reads the journal into m. A journal that cannot be read is moved
// aside and reported by JournalError; any other failure is returned.
func (m *Manager) load() error {
	store, j, err := journal.Open(m.journalPath, time.Now())
	var corrupt *fetch.CorruptJournalError
	if errors.As(err, &corrupt) {
		m.journalErr = err
		m.cfg.Logger.Warn("journal set aside", "err", err)
	} else if err != nil {
		return err
	}
	m.js = &journalState{store: store, full: true, dirty: map[*record]struct{}{}, live: map[*record]struct{}{},
		written: make(chan struct{}, 1), listed: map[recordKey]bool{}, claimed: map[recordKey]bool{}}
	m.completed, m.paths = j.Completed, map[string]int{}
	for _, c := range m.completed {
		m.paths[c.Path]++
	}
	sameBoot := j.Boot != "" && j.Boot == disk.BootID()
	for _, jf := range j.Fetches {
		f := fetchFromJournal(jf, sameBoot)
		m.fetches[f.id] = f
		m.order = append(m.order, f)
		for i, jr := range jf.Records {
			m.js.claimed[recordKey{f.id, i}] = len(jr.Segments) > 0
			if sameBoot && len(jr.Written) > 0 {
				m.js.live[f.records[i]] = struct{}{}
			}
		}
	}
	// Every record the written file lists, whether its ranges counted or
	// not: ranges that did not count (of a file the snapshot did not have
	// yet) would count once the record is saved with that file, though
	// its partial file may be another by then. The first save of the
	// written file drops them (see journalLoop and newPart).
	for _, wr := range store.Found().Records {
		m.js.listed[recordKey{wr.ID, wr.Index}] = true
	}
	return nil
}

// markDirty says that something changed that may be anywhere (a fetch
// added, removed, paused...): the next save compares every record.
func (m *Manager) markDirty() {
	m.js.mu.Lock()
	m.js.full = true
	m.js.mu.Unlock()
	poke(m.dirty)
}

// markCompleted says that the index of completed files changed: the next
// save compares the index (as every save does), not every record.
func (m *Manager) markCompleted() { poke(m.dirty) }

// markRecord says that r (and its fetch's header) changed: the next save
// compares r, not every record.
func (m *Manager) markRecord(r *record) {
	m.js.mu.Lock()
	m.js.dirty[r] = struct{}{}
	m.js.mu.Unlock()
	poke(m.dirty)
}

// markWritten says that r's written ranges grew.
func (m *Manager) markWritten(r *record) {
	m.js.mu.Lock()
	m.js.live[r] = struct{}{}
	m.js.mu.Unlock()
	poke(m.js.written)
}

// journalGap is the least time between two journal writes. A transfer
// marks the written ranges as bytes arrive, so this is also how much of a
// download a kill -9 loses: the written ranges of the journal are trusted
// after a restart in the same boot.
const journalGap = 100 * time.Millisecond

// journalLoop writes the journal when something changed, at most every
// journalGap, until ctx ends; the written ranges have a loop of their
// own, which it owns.
func (m *Manager) journalLoop(ctx context.Context) {
	if err := m.saveWritten(); err != nil { // what an older journal kept in its records
		m.cfg.Logger.Error("write journal", "err", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { m.every(ctx, m.js.written, m.saveWritten) })
	m.every(ctx, m.dirty, m.writeJournal)
}

// every calls save when poked, at most every journalGap, until ctx ends.
func (m *Manager) every(ctx context.Context, poked <-chan struct{}, save func() error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-poked:
		}
		if err := save(); err != nil {
			m.cfg.Logger.Error("write journal", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(journalGap):
		}
	}
}

// writeJournal saves what changed since the last save, durably.
func (m *Manager) writeJournal() error {
	m.journalMu.Lock()
	defer m.journalMu.Unlock()
	js := m.js
	js.mu.Lock()
	full, dirty := js.full, js.dirty
	js.full, js.dirty = false, map[*record]struct{}{}
	js.mu.Unlock()
	var err error
	if js.saved == nil || js.store.LogSize() > js.store.SnapshotSize() {
		err = m.snapshotJournal()
	} else {
		err = m.appendJournal(full, dirty)
	}
	if err != nil {
		// Nothing of this save counts: the next one saves everything.
		js.saved = nil
		m.markDirty()
	}
	return err
}

// snapshotJournal saves the whole journal. m.journalMu is held.
func (m *Manager) snapshotJournal() error {
	m.mu.Lock()
	j := journal.File{Completed: slices.Clone(m.completed)}
	for _, f := range m.order {
		j.Fetches = append(j.Fetches, f.journal())
	}
	claims := map[recordKey]bool{}
	for _, f := range j.Fetches {
		for i, r := range f.Records {
			if len(r.Segments) > 0 {
				claims[recordKey{f.ID, i}] = true
			}
		}
	}
	// Claimed before m.mu is let go: a partial file made after this
	// moment sees the claim (see newPart).
	m.js.claim(claims)
	m.mu.Unlock()
	if err := m.js.store.Snapshot(j); err != nil {
		return err
	}
	m.js.mu.Lock()
	m.js.claimed = claims
	m.js.mu.Unlock()
	m.js.saved = nil
	if m.js.store.SnapshotSize() >= smallJournal {
		m.js.saved = savedOf(j)
	}
	return nil
}

// claim adds the records a save is about to claim synced ranges of.
func (js *journalState) claim(claims map[recordKey]bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for k, ok := range claims {
		if ok {
			js.claimed[k] = true
		}
	}
}

// appendJournal appends to the log what differs from the saved journal:
// the fetches' headers and order, the completed files, and of the records
// those marked dirty (every one when full). m.journalMu is held.
func (m *Manager) appendJournal(full bool, dirty map[*record]struct{}) error {
	now := m.current(full, dirty)
	changes, next := m.js.saved.diff(now)
	claims := map[recordKey]bool{}
	for _, c := range changes {
		if c.Record != nil {
			claims[recordKey{c.ID, c.Index}] = len(c.Record.Segments) > 0
		}
	}
	if err := m.js.store.Append(changes); err != nil {
		return err
	}
	m.js.saved = next
	m.js.mu.Lock()
	defer m.js.mu.Unlock()
	for k, ok := range claims {
		if !ok {
			delete(m.js.claimed, k)
		}
	}
	maps.DeleteFunc(m.js.claimed, func(k recordKey, _ bool) bool { return next.fetches[k.id] == nil })
	return nil
}

// liveJournal is the part of the live state a save compares with the
// saved journal.
type liveJournal struct {
	fetches []journal.Fetch // headers, with Records only for the records to compare
	counts  []int
	indexes [][]int // of the records in fetches[i].Records
	// completed is the completed files after the first keep, which the
	// saved journal has too.
	completed []journal.Completed
	keep      int
}

// current takes the live state to compare: every fetch's header and the
// records that may have changed. It holds m.mu only to copy.
func (m *Manager) current(full bool, dirty map[*record]struct{}) liveJournal {
	m.mu.Lock()
	defer m.mu.Unlock()
	var now liveJournal
	claims := map[recordKey]bool{}
	for _, f := range m.order {
		h := f.header()
		var idx []int
		for _, r := range f.records {
			if _, ok := dirty[r]; ok || full {
				jr := r.journal()
				h.Records = append(h.Records, jr)
				idx = append(idx, r.index)
				claims[r.key()] = len(jr.Segments) > 0
			}
		}
		now.fetches = append(now.fetches, h)
		now.counts = append(now.counts, len(f.records))
		now.indexes = append(now.indexes, idx)
	}
	// Completed files are added at the end: only what follows the start
	// the saved journal has is copied.
	s := m.js.saved
	for now.keep < len(s.completed) && now.keep < len(m.completed) && s.completed[now.keep] == m.completed[now.keep] {
		now.keep++
	}
	now.completed = slices.Clone(m.completed[now.keep:])
	// Claimed before m.mu is let go: a partial file made after this
	// moment sees the claim (see newPart).
	m.js.claim(claims)
	return now
}

// savedJournal is the durable journal as saved: a hash of each fetch's
// header and of each of its records, in order, and the completed files.
type savedJournal struct {
	order     []string
	fetches   map[string]*savedFetch
	completed []journal.Completed
}

type savedFetch struct {
	header  uint64
	records []uint64
}

// hashOf is a hash of v's JSON: what the journal would hold of it.
func hashOf(v any) uint64 {
	data, err := json.Marshal(v)
	if err != nil {
		return 0 // never equal to a saved hash of real JSON in practice
	}
	h := fnv.New64a()
	h.Write(data)
	return h.Sum64()
}

// savedOf is the saved form of the journal j.
func savedOf(j journal.File) *savedJournal {
	s := &savedJournal{fetches: map[string]*savedFetch{}, completed: j.Completed}
	for _, f := range j.Fetches {
		sf := &savedFetch{records: make([]uint64, len(f.Records))}
		for i, r := range f.Records {
			sf.records[i] = hashOf(r)
		}
		f.Records = nil
		sf.header = hashOf(headerOf(f, len(sf.records)))
		s.order = append(s.order, f.ID)
		s.fetches[f.ID] = sf
	}
	return s
}

// headerOf is what the log holds of a fetch's header.
func headerOf(f journal.Fetch, count int) journal.Change {
	f.Records = nil
	return journal.Change{Fetch: &f, Count: count}
}

// diff is the changes that turn s into now, and s once they are saved.
func (s *savedJournal) diff(now liveJournal) ([]journal.Change, *savedJournal) {
	next := &savedJournal{fetches: make(map[string]*savedFetch, len(now.fetches))}
	var changes []journal.Change
	for i, f := range now.fetches {
		records := f.Records
		h := headerOf(f, now.counts[i])
		hh := hashOf(h)
		old := s.fetches[f.ID]
		sf := &savedFetch{header: hh, records: make([]uint64, now.counts[i])}
		if old != nil {
			copy(sf.records, old.records)
		}
		if old == nil || old.header != hh {
			changes = append(changes, h)
		}
		for k, r := range records {
			index := now.indexes[i][k]
			if rh := hashOf(r); old == nil || index >= len(old.records) || old.records[index] != rh {
				changes = append(changes, journal.Change{Record: &r, ID: f.ID, Index: index})
				sf.records[index] = rh
			}
		}
		next.order = append(next.order, f.ID)
		next.fetches[f.ID] = sf
	}
	// New fetches are added at the end: the order is said only when it is
	// not the saved one with new ones after.
	if len(next.order) < len(s.order) || !slices.Equal(next.order[:len(s.order)], s.order) {
		order := slices.Clone(next.order)
		changes = append(changes, journal.Change{Order: &order})
	}
	next.completed = append(slices.Clone(s.completed[:now.keep]), now.completed...)
	if now.keep < len(s.completed) || len(now.completed) > 0 {
		keep := now.keep
		changes = append(changes, journal.Change{Keep: &keep, Completed: now.completed})
	}
	return changes, next
}

// saveWritten replaces the written file by the written ranges of the
// records that have some not yet synced. It never waits for the disk.
func (m *Manager) saveWritten() error {
	js := m.js
	js.writtenMu.Lock()
	defer js.writtenMu.Unlock()
	js.mu.Lock()
	live := make([]*record, 0, len(js.live))
	for r := range js.live {
		live = append(live, r)
	}
	js.mu.Unlock()
	w := journal.Written{Boot: disk.BootID()}
	listed := map[recordKey]bool{}
	var done []*record
	m.mu.Lock()
	for _, r := range live {
		_, written, synced := r.ledger.State()
		switch {
		case m.fetches[r.f.id] != r.f:
			done = append(done, r) // removed, or replaced by another fetch of that id
		case written.Total() > synced.Total():
			w.Records = append(w.Records, journal.WrittenRecord{ID: r.f.id, Index: r.index, Size: r.size, Validator: r.validator,
				Written: journal.Segments(written)})
			listed[r.key()] = true
		case r.cancel == nil:
			done = append(done, r) // all synced, and it is not running
		}
	}
	m.mu.Unlock()
	js.mu.Lock()
	for _, r := range done {
		delete(js.live, r)
	}
	js.mu.Unlock()
	if len(listed) == 0 && len(js.listed) == 0 {
		return nil
	}
	if err := js.store.SaveWritten(w); err != nil {
		return err
	}
	js.listed = listed
	return nil
}

// newPart is called before a partial file of r is made: the journal on
// disk must then claim none of an earlier one's bytes for r, in the
// written file or in the synced ranges. A record that was never
// journalled with any costs nothing.
func (m *Manager) newPart(r *record) error {
	k := r.key()
	m.js.writtenMu.Lock()
	listed := m.js.listed[k]
	m.js.writtenMu.Unlock()
	if listed {
		if err := m.saveWritten(); err != nil {
			return err
		}
	}
	m.js.mu.Lock()
	claimed := m.js.claimed[k]
	m.js.mu.Unlock()
	if !claimed {
		return nil
	}
	m.markRecord(r)
	return m.writeJournal()
}

func (f *fetchState) header() journal.Fetch {
	return journal.Fetch{ID: f.id, Options: f.opts, Created: f.created, Paused: f.paused,
		State: f.state, Reason: f.reason, Message: f.message, Status: f.status}
}

func (f *fetchState) journal() journal.Fetch {
	jf := f.header()
	for _, r := range f.records {
		jf.Records = append(jf.Records, r.journal())
	}
	return jf
}

// journal is what the durable journal keeps of r: its synced ranges, not
// its written ones (those are in the written file).
func (r *record) journal() journal.Record {
	state := r.state
	if !state.Settled() {
		state = fetch.StateQueued
	}
	_, _, synced := r.ledger.State()
	return journal.Record{
		Request: r.req, Name: r.name, Size: r.size, Validator: r.validator,
		SHA256: r.sha256, Ranges: r.ranges, Segments: journal.Segments(synced),
		HashState: r.hashState, Path: r.path, State: state,
		Reason: r.reason, Message: r.message, Status: r.status, Offset: r.offset,
		Mismatch: r.mismatch, Unverified: r.unverified, Shared: r.shared,
	}
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
