package ui

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// rowData is what one row of the fetch list shows. It is a comparable
// value worked out off the UI goroutine, so that a poll refreshes only the
// rows whose text or bar a person would see change.
type rowData struct {
	id       string
	title    string
	line     string // state and progress in the compact form
	tip      string // the line in full, where it may be cut
	kind     barKind
	fraction float64 // -1 while the total is unknown; in steps a bar can show
	icon     fyne.Resource

	active   bool
	paused   bool
	failed   bool
	ready    bool
	aborted  bool
	file     string // the first completed file, once ready
	partial  int64  // bytes downloaded and not yet a file: what Cancel deletes
	signIn   string // the captive portal's page to sign in at, while one holds the fetch
	failures int    // how often it failed while the window watched
	// mismatch is the URL of a file that failed its SHA-256 check and is
	// kept: the row offers Edit checksum and Keep file anyway for it.
	mismatch string
}

// indexedRow is a row that changed at index.
type indexedRow struct {
	index int
	row   rowData
}

// modelState is what a model's card shows besides the catalog's words.
type modelState struct {
	ready  bool
	active bool
	paused bool
	file   string // the first file, when ready
	size   int64  // -1 while unknown
}

// detailData is what the details view shows of the fetch it is open on.
type detailData struct {
	snap    fetch.Snapshot
	speeds  []float64 // bytes per second, one a second, oldest first
	history []string  // what happened to it while the window watched
}

// batch is what one poll found changed; the UI applies it in one fyne.Do.
type batch struct {
	rows    []rowData    // the whole list, when fetches came, went or moved
	changed []indexedRow // otherwise, the rows that changed
	models  []modelState // every card, when any changed
	notes   []note
	status  string      // the status line, when it changed
	tray    string      // the tray's tooltip, when it may be shown
	detail  *detailData // the fetch the details view shows, when it changed
}

func (b batch) empty() bool {
	return b.rows == nil && len(b.changed) == 0 && b.models == nil && len(b.notes) == 0 &&
		b.status == "" && b.tray == "" && b.detail == nil
}

// eventBuffer is how many engine events may wait for the poller: a few
// seconds of progress of many fetches. When more wait, the engine drops
// the subscription and the poller reads everything again.
const eventBuffer = 1024

// hiddenPace is how much slower than Interval the poller shows what
// changed while the window is hidden: only the tray's tooltip and the
// notifications are shown then.
const hiddenPace = 8

// poll keeps the window up to date until ctx ends, from the engine's
// events (sub, which d has read everything after, and a new subscription
// whenever the engine drops one): a
// fetch costs something only when it changes, and nothing happens while
// nothing does. What changed is shown at most once per Interval while the
// window is shown, and hiddenPace times slower while it is hidden, when
// only the tray's tooltip and the notifications are worked out. A tap's
// refresh shows it at once. It owns the differ; it touches widgets only
// through opts.Do.
func (u *UI) poll(ctx context.Context, d *differ, sub *downloader.Subscription) {
	defer close(u.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due time.Time // when the next showing is set for; zero for none
	show := func() {
		timer.Stop()
		due = time.Time{}
		d.detailID = u.detailID()
		b, again := d.step(time.Now(), u.visible.Load())
		if !b.empty() {
			u.opts.Do(func() { u.apply(b) })
		}
		if again {
			due = time.Now().Add(u.pace())
			timer.Reset(time.Until(due))
		}
	}
	later := func() {
		if due.IsZero() {
			due = time.Now().Add(u.pace())
			timer.Reset(time.Until(due))
		}
	}
	show()
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case ev, ok := <-sub.C:
			if !ok { // dropped: nothing is missed from a new one, read before the engine goes on
				sub = d.m.Subscribe("", eventBuffer)
				d.reload(d.m.Snapshots(), time.Now())
			} else {
				d.take(ev, time.Now())
			}
			later()
		case <-timer.C:
			show()
		case <-u.kick:
			show()
		}
	}
}

// pace is how often the poller shows what changed.
func (u *UI) pace() time.Duration {
	if u.visible.Load() {
		return u.opts.Interval
	}
	return hiddenPace * u.opts.Interval
}

// differ turns the engine's events into what changed on screen since the
// last showing. It belongs to the poller goroutine.
type differ struct {
	m        *downloader.Manager
	catalog  []catalog.Model
	icon     fyne.Resource
	icons    map[string]fyne.Resource // fetch icons by what Options.Icon said
	hub      hubNames
	detailID string // the fetch the details view shows, "" for none

	snaps   map[string]fetch.Snapshot // every fetch, as its last event said
	changed map[string]bool           // fetches that changed since the last showing
	moved   bool                      // a fetch came, went or changed state since then
	shown   bool                      // the rows on screen are the differ's (not while hidden)
	rows    []rowData                 // as on screen, in order
	index   map[string]int            // where each fetch's row is
	models  []modelState
	status  string
	detail  *detailData
	speeds  map[string]*speedHistory
	history *history
	notes   coalescer
	tray    throttle
}

func newDiffer(m *downloader.Manager, catalog []catalog.Model, icon fyne.Resource, interval time.Duration) *differ {
	return &differ{
		m: m, catalog: catalog, icon: icon, icons: map[string]fyne.Resource{},
		snaps: map[string]fetch.Snapshot{}, changed: map[string]bool{}, index: map[string]int{},
		speeds: map[string]*speedHistory{}, history: newHistory(),
		// Fetches that settle within a few showings of each other are one
		// notification, as a batch of URLs finishing together should be.
		notes: coalescer{quiet: 4 * interval},
		// About every two seconds at the default interval.
		tray: throttle{every: 4 * interval},
	}
}

// take keeps what one event says of a fetch.
func (d *differ) take(ev fetch.Event, now time.Time) {
	s := ev.Fetch
	prev, known := d.snaps[s.ID]
	if ev.Kind == fetch.EventRemove {
		delete(d.snaps, s.ID)
		delete(d.speeds, s.ID)
		d.history.forget(s.ID)
		d.moved = true
		return
	}
	d.keep(prev, known, s, now)
	if known && prev.State != s.State || !known {
		d.history.change(prev, known, s, now)
	}
	d.settled(ev.Kind, s, now)
}

// settled takes a fetch that settled: a notification, and a failure
// counted. The engine says each settling once.
func (d *differ) settled(kind fetch.EventKind, s fetch.Snapshot, now time.Time) {
	if kind == fetch.EventFailure {
		d.history.failed(s.ID)
	}
	if kind == fetch.EventSuccess || kind == fetch.EventFailure {
		d.notes.add(s, now)
	}
}

// keep makes s what is known of its fetch, known before as prev.
func (d *differ) keep(prev fetch.Snapshot, known bool, s fetch.Snapshot, now time.Time) {
	d.snaps[s.ID] = s
	d.changed[s.ID] = true
	if !known || prev.State != s.State {
		d.moved = true
	}
	h := d.speeds[s.ID]
	if h == nil && s.State == fetch.StateRunning {
		h = &speedHistory{}
		d.speeds[s.ID] = h
	}
	if h != nil && s.Active() {
		h.add(s.Speed, now)
	}
}

// reload makes snaps, a read of every fetch, what is known: at the start
// and when the engine dropped the subscription. A fetch seen active that
// settled meanwhile is taken as its event would have been.
func (d *differ) reload(snaps []fetch.Snapshot, now time.Time) {
	seen := make(map[string]bool, len(snaps))
	for _, s := range snaps {
		seen[s.ID] = true
		prev, known := d.snaps[s.ID]
		if known && reflect.DeepEqual(prev, s) {
			continue
		}
		d.keep(prev, known, s, now)
		if !known || prev.State == s.State {
			continue
		}
		d.history.change(prev, known, s, now)
		switch {
		case !prev.Active() || !s.State.Settled():
		case s.State == fetch.StateSucceeded:
			d.settled(fetch.EventSuccess, s, now)
		case s.State == fetch.StateFailed:
			d.settled(fetch.EventFailure, s, now)
		}
	}
	for id := range d.snaps {
		if !seen[id] {
			d.take(fetch.Event{Kind: fetch.EventRemove, Fetch: fetch.Snapshot{ID: id}}, now)
		}
	}
	d.moved = true
}

// step works out what to show at now, the rows and the details only when
// the window is visible. It reports whether it should be called again
// soon: something waits to be shown.
func (d *differ) step(now time.Time, visible bool) (batch, bool) {
	var b batch
	if d.moved || len(d.changed) > 0 {
		if line := countStates(d.snaps).line(); line != d.status {
			b.status, d.status = line, line
		}
	}
	b.tray = d.tray.offer(d.status, now)
	if settled := d.notes.flush(now); len(settled) > 0 {
		b.notes = []note{summarize(settled, d.hub)}
	}
	if visible {
		d.rowsStep(&b)
		d.detailStep(&b)
	}
	d.shown = visible
	clear(d.changed)
	d.moved = false
	return b, d.notes.waiting() || d.tray.waiting()
}

// rowsStep puts in b the rows that changed, or all of them when fetches
// came, went or changed places, and the cards when any fetch changed
// state.
func (d *differ) rowsStep(b *batch) {
	if d.moved || !d.shown {
		rows := d.allRows()
		changed, reordered := diffRows(d.rows, rows)
		if reordered {
			b.rows = slices.Clone(rows) // the UI's, which later steps do not touch
		} else {
			b.changed = changed
		}
		d.rows = rows
		if models := d.modelStates(); !slices.Equal(models, d.models) {
			b.models, d.models = models, models
		}
		return
	}
	for id := range d.changed {
		i, ok := d.index[id]
		if !ok {
			continue
		}
		row := d.row(d.snaps[id], d.rows[i].line)
		if row != d.rows[i] {
			d.rows[i] = row
			b.changed = append(b.changed, indexedRow{i, row})
		}
	}
}

// allRows makes every row, in the list's order: what moves first, then
// what waits for the network, then the queue in the order it starts, then
// what is paused, then what is finished, the newest first.
func (d *differ) allRows() []rowData {
	snaps := make([]fetch.Snapshot, 0, len(d.snaps))
	for _, s := range d.snaps {
		snaps = append(snaps, s)
	}
	slices.SortFunc(snaps, func(a, b fetch.Snapshot) int {
		if c := cmp.Compare(group(a), group(b)); c != 0 {
			return c
		}
		if group(a) == groupFinished {
			return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	rows := make([]rowData, len(snaps))
	clear(d.index)
	queued := 0
	for i, s := range snaps {
		d.index[s.ID] = i
		line := ""
		if s.State == fetch.StateQueued {
			queued++
			line = queueLine(queued)
		}
		rows[i] = d.row(s, line)
	}
	return rows
}

// The groups of the list, in order.
const (
	groupMoving = iota
	groupWaiting
	groupQueued
	groupPaused
	groupFinished
)

func group(s fetch.Snapshot) int {
	switch s.State {
	case fetch.StateRunning, fetch.StateVerifying:
		return groupMoving
	case fetch.StateWaitingNetwork:
		return groupWaiting
	case fetch.StateQueued:
		return groupQueued
	case fetch.StatePaused:
		return groupPaused
	}
	return groupFinished
}

// detailStep puts in b the details' fetch when it changed.
func (d *differ) detailStep(b *batch) {
	if d.detailID == "" {
		d.detail = nil
		return
	}
	s, ok := d.snaps[d.detailID]
	if !ok {
		return
	}
	if s.Active() {
		// Some of a fetch's fields change without an event (how much of
		// it is verified): the one fetch shown in full is read afresh.
		if fresh, ok := d.m.Get(s.ID); ok {
			s = fresh
		}
	}
	next := &detailData{snap: s, history: d.history.lines(s.ID)}
	if h := d.speeds[s.ID]; h != nil {
		next.speeds = h.values()
	}
	if d.detail == nil || !reflect.DeepEqual(*d.detail, *next) {
		b.detail = next
	}
	d.detail = next
}

// speedHistory is a fetch's speed once a second over the last few
// minutes, for the details view's graph.
type speedHistory struct {
	samples []float64
	last    time.Time
}

// speedWindow is how many seconds of speed the graph shows.
const speedWindow = 300

func (h *speedHistory) add(speed float64, now time.Time) {
	if now.Sub(h.last) < time.Second {
		return
	}
	h.last = now
	h.samples = append(h.samples, speed)
	if len(h.samples) > speedWindow {
		h.samples = slices.Delete(h.samples, 0, len(h.samples)-speedWindow)
	}
}

func (h *speedHistory) values() []float64 { return slices.Clone(h.samples) }

// coalescer holds settled fetches until none has settled for a quiet
// while, so that fetches finishing together make one notification.
type coalescer struct {
	quiet   time.Duration
	pending []fetch.Snapshot
	last    time.Time
}

func (c *coalescer) add(s fetch.Snapshot, now time.Time) {
	c.pending = append(c.pending, s)
	c.last = now
}

// flush returns what was held once the quiet while has passed.
func (c *coalescer) flush(now time.Time) []fetch.Snapshot {
	if len(c.pending) == 0 || now.Sub(c.last) < c.quiet {
		return nil
	}
	out := c.pending
	c.pending = nil
	return out
}

func (c *coalescer) waiting() bool { return len(c.pending) > 0 }

// throttle lets a changed text through at most once per every, keeping
// the latest change for later: the tray's tooltip is a D-Bus property that
// the desktop is told of on each change, and every few seconds is enough.
type throttle struct {
	every   time.Duration
	shown   string
	pending string
	last    time.Time
}

// offer returns text when it should be shown now, "" otherwise.
func (t *throttle) offer(text string, now time.Time) string {
	if text == t.shown {
		t.pending = ""
		return ""
	}
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.pending = text
		return ""
	}
	t.shown, t.pending, t.last = text, "", now
	return text
}

func (t *throttle) waiting() bool { return t.pending != "" }

// diffRows compares two lists of rows. When the same fetches are in the
// same order it returns the rows that changed; otherwise it reports that
// the list must be rebuilt.
func diffRows(prev, next []rowData) (changed []indexedRow, reordered bool) {
	if len(prev) != len(next) {
		return nil, true
	}
	for i := range next {
		if prev[i].id != next[i].id {
			return nil, true
		}
		if prev[i] != next[i] {
			changed = append(changed, indexedRow{i, next[i]})
		}
	}
	return changed, false
}
