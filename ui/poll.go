package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/ui/term"
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
	fraction float64 // -1 while the total is unknown
	icon     fyne.Resource

	active  bool
	paused  bool
	failed  bool
	ready   bool
	file    string // the first completed file, once ready
	partial int64  // bytes downloaded and not yet a file: what Cancel deletes
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
	snap   fetch.Snapshot
	speeds []float64 // bytes per second, one a second, oldest first
}

// batch is what one poll found changed; the UI applies it in one fyne.Do.
type batch struct {
	rows    []rowData    // the whole list, when fetches came or went
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

// poll keeps the window up to date until ctx ends. While anything moves it
// reads the engine every Interval; while nothing does it sleeps until the
// engine publishes an event or the window asks (refresh), so an idle app
// does no periodic work. It owns the differ; it touches widgets only
// through opts.Do.
func (u *UI) poll(ctx context.Context, d *differ) {
	defer close(u.done)
	tick := time.NewTicker(u.opts.Interval)
	tick.Stop()
	defer tick.Stop()
	step := func() bool {
		d.detailID = u.detailID()
		b, busy := d.step(time.Now())
		if !b.empty() {
			u.opts.Do(func() { u.apply(b) })
		}
		return busy
	}
	for {
		// Subscribe before reading, so that no event between the read and
		// the wait is missed. The events themselves are not needed: the
		// read says everything, and a dropped subscription wakes us too.
		sub := u.m.Subscribe("", 1)
		if step() {
			sub.Close()
			tick.Reset(u.opts.Interval)
			for busy := true; busy; {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				case <-u.kick:
				}
				busy = step()
			}
			tick.Stop()
			continue
		}
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case <-sub.C:
		case <-u.kick:
		}
		sub.Close()
	}
}

// differ turns engine snapshots into what changed on screen since the
// last poll. It belongs to the poller goroutine.
type differ struct {
	m        *downloader.Manager
	catalog  []catalog.Model
	icon     fyne.Resource
	icons    map[string]fyne.Resource // fetch icons by what Options.Icon said
	detailID string                   // the fetch the details view shows, "" for none

	started bool
	opened  time.Time // fetches created since are announced even when the first poll finds them settled
	rows    []rowData
	states  map[string]fetch.State
	models  []modelState
	status  string
	detail  *detailData
	speeds  map[string]*speedHistory
	notes   coalescer
	tray    throttle
}

func newDiffer(m *downloader.Manager, catalog []catalog.Model, icon fyne.Resource, interval time.Duration) *differ {
	return &differ{
		m: m, catalog: catalog, icon: icon, icons: map[string]fyne.Resource{},
		states: map[string]fetch.State{}, speeds: map[string]*speedHistory{}, opened: time.Now(),
		// Fetches that settle within a few polls of each other are one
		// notification, as a batch of URLs finishing together should be.
		notes: coalescer{quiet: 4 * interval},
		// About once a second at the default interval.
		tray: throttle{every: 4 * interval},
	}
}

// step reads the engine once at now. It reports whether it should be
// called again soon: something moves, or something waits to be shown.
func (d *differ) step(now time.Time) (batch, bool) {
	snaps := newestFirst(d.m.Snapshots())
	var b batch
	rows, busy := d.rowsOf(snaps, now)
	changed, reordered := diffRows(d.rows, rows)
	if reordered {
		b.rows = rows
	} else {
		b.changed = changed
	}
	d.rows = rows
	d.states = make(map[string]fetch.State, len(snaps))
	for _, s := range snaps {
		d.states[s.ID] = s.State
	}
	if reordered || len(changed) > 0 || !d.started {
		if models := d.modelStates(snaps); !slices.Equal(models, d.models) || !d.started {
			b.models, d.models = models, models
		}
	}
	counts := countStates(snaps)
	line := counts.line()
	if line != d.status {
		b.status, d.status = line, line
	}
	b.tray = d.tray.offer(line, now)
	b.detail = d.sample(snaps, now)
	if settled := d.notes.flush(now); len(settled) > 0 {
		b.notes = []note{summarize(settled)}
	}
	d.started = true
	return b, busy || d.notes.waiting() || d.tray.waiting()
}

// rowsOf makes the rows of snaps, holds the notifications they call for,
// and reports whether any moves.
func (d *differ) rowsOf(snaps []fetch.Snapshot, now time.Time) (rows []rowData, busy bool) {
	rows = make([]rowData, len(snaps))
	queue := queuePositions(snaps)
	for i, s := range snaps {
		rows[i] = d.row(s, queue[s.ID])
		busy = busy || (rows[i].active && !rows[i].paused && s.State != fetch.StateQueued)
		if d.announces(s) {
			d.notes.add(s, now)
		}
	}
	return rows, busy
}

// newestFirst orders fetches as download lists do: the latest on top.
func newestFirst(snaps []fetch.Snapshot) []fetch.Snapshot {
	slices.SortStableFunc(snaps, func(a, b fetch.Snapshot) int { return b.Created.Compare(a.Created) })
	return snaps
}

// queuePositions numbers the queued fetches in the order the engine
// starts them: the oldest first.
func queuePositions(newest []fetch.Snapshot) map[string]int {
	pos := map[string]int{}
	n := 0
	for _, s := range slices.Backward(newest) {
		if s.State == fetch.StateQueued {
			n++
			pos[s.ID] = n
		}
	}
	return pos
}

// announces reports whether s just settled, so that a notification is
// due: it was seen active before, or is new since the window opened (a
// file that was already there is ready at once, and a fetch can fail
// before the first poll). Fetches that had settled before the window
// opened are not announced again.
func (d *differ) announces(s fetch.Snapshot) bool {
	prev, known := d.states[s.ID]
	fresh := d.started || s.Created.After(d.opened)
	return fresh && !(known && prev.Settled()) && s.State.Settled() && s.State != fetch.StateAborted
}

// sample keeps one speed a second for every moving fetch, and returns the
// open details' data when it changed.
func (d *differ) sample(snaps []fetch.Snapshot, now time.Time) *detailData {
	var out *detailData
	for _, s := range snaps {
		h := d.speeds[s.ID]
		if h == nil && s.State == fetch.StateRunning {
			h = &speedHistory{}
			d.speeds[s.ID] = h
		}
		if h != nil && s.Active() {
			h.add(s.Speed, now)
		}
		if s.ID == d.detailID {
			next := &detailData{snap: s}
			if h != nil {
				next.speeds = h.values()
			}
			if d.detail == nil || !reflect.DeepEqual(*d.detail, *next) {
				out = next
			}
			d.detail = next
		}
	}
	if d.detailID == "" {
		d.detail = nil
	}
	return out
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
// the desktop is told of on each change, and once a second is enough.
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

func (d *differ) row(s fetch.Snapshot, queuePos int) rowData {
	r := rowData{
		id:       s.ID,
		title:    s.Title,
		fraction: term.Fraction(s),
		icon:     d.iconFor(s.Icon),
		active:   s.Active(),
		paused:   s.State == fetch.StatePaused,
		kind:     barRunning,
	}
	r.line, r.tip = rowLine(s, queuePos)
	switch s.State {
	case fetch.StateQueued:
		r.kind = barIdle
	case fetch.StatePaused:
		r.kind = barPaused
	case fetch.StateSucceeded:
		// Background Fetch's updateUI: the title says the model is ready.
		r.title, r.ready, r.kind = s.Title+" ready", true, barDone
		if paths := s.Paths(); len(paths) > 0 {
			r.file = paths[0]
		}
	case fetch.StateFailed:
		r.failed, r.kind, r.mismatch = true, barFailed, mismatchURL(s)
	case fetch.StateAborted:
		r.kind, r.fraction = barIdle, 0
	}
	if r.active {
		r.partial = s.Downloaded
	}
	return r
}

// rowLine is a row's line under its bar, and the same in full for a
// tooltip when it says more than fits.
func rowLine(s fetch.Snapshot, queuePos int) (line, tip string) {
	progress := term.CompactLine(s)
	switch s.State {
	case fetch.StateQueued:
		return term.QueueText(max(queuePos, 1)), ""
	case fetch.StateRunning:
		for _, rec := range s.Records {
			if rec.Restarted != "" {
				// Bytes only go back when a server forced a fresh start; say why.
				return "Started again · " + progress, "Started again: " + rec.Restarted
			}
		}
		return progress, ""
	case fetch.StateSucceeded:
		if unverified(s) {
			return "Ready · not verified · " + term.BytesOf(s.Downloaded, 0), "Kept without its SHA-256 checked: it did not match the one expected."
		}
		return "Ready · " + term.BytesOf(s.Downloaded, 0), ""
	case fetch.StateAborted:
		return "Cancelled", ""
	case fetch.StateFailed:
		line = "Failed: " + term.ReasonText(s.FailureReason)
		if st := term.StatusText(s.Status); st != "" {
			line += " (" + st + ")"
		}
		return line, failureText(s)
	}
	return term.StateText(s) + " · " + progress, ""
}

// stateCounts is how many fetches are in each state a person tells apart.
type stateCounts struct {
	downloading, queued, paused int
	done, total                 int64 // bytes of the downloading ones; total -1 while unknown
}

func countStates(snaps []fetch.Snapshot) stateCounts {
	var c stateCounts
	for _, s := range snaps {
		switch {
		case s.State == fetch.StatePaused:
			c.paused++
		case s.State == fetch.StateQueued:
			c.queued++
		case s.Active():
			c.downloading++
			if s.DownloadTotal > 0 && c.total >= 0 {
				c.done += s.Downloaded
				c.total += s.DownloadTotal
			} else {
				c.total = -1 // one unknown total makes the sum unknown
			}
		}
	}
	return c
}

// line sums up the fetches: "3 downloading · 45 % · 20 queued · 1 paused",
// or "Nothing downloading".
func (c stateCounts) line() string {
	var parts []string
	if c.downloading > 0 {
		parts = append(parts, fmt.Sprintf("%d downloading", c.downloading))
		if c.total > 0 {
			parts = append(parts, fmt.Sprintf("%d %%", c.done*100/c.total))
		}
	}
	if c.queued > 0 {
		parts = append(parts, fmt.Sprintf("%d queued", c.queued))
	}
	if c.paused > 0 {
		parts = append(parts, fmt.Sprintf("%d paused", c.paused))
	}
	if len(parts) == 0 {
		return "Nothing downloading"
	}
	return strings.Join(parts, " · ")
}

// failureText is why a fetch failed, in the engine's own sentence when it
// has one.
func failureText(s fetch.Snapshot) string {
	if s.Message != "" {
		return s.Message
	}
	return term.StateText(s)
}

// iconFor is a fetch's icon: the image file its Icon option names, read
// once, or the app's icon. Icons on the web are not fetched: a window
// that downloads what a catalog names on its own would surprise people.
func (d *differ) iconFor(spec string) fyne.Resource {
	if res, ok := d.icons[spec]; ok {
		return res
	}
	res := loadIcon(spec, d.icon)
	d.icons[spec] = res
	return res
}

// loadIcon reads the icon file at path, falling back to fallback for
// anything but a readable absolute path.
func loadIcon(path string, fallback fyne.Resource) fyne.Resource {
	if !filepath.IsAbs(path) {
		return fallback
	}
	res, err := fyne.LoadResourceFromPath(path)
	if err != nil {
		return fallback
	}
	return res
}

// modelStates works out each catalog model's card: ready when every file
// is downloaded and intact, active while its fetch runs.
func (d *differ) modelStates(snaps []fetch.Snapshot) []modelState {
	byID := make(map[string]fetch.Snapshot, len(snaps))
	for _, s := range snaps {
		byID[s.ID] = s
	}
	out := make([]modelState, len(d.catalog))
	for i, model := range d.catalog {
		// A model named by a Hub repo has no URL files to match: its card
		// offers Download (the Hub tab says which files are there).
		ms := modelState{ready: len(model.Files) > 0, size: model.Size()}
		for j, f := range model.Files {
			p, ok := d.m.Ready(f.URL)
			if !ok {
				ms.ready, ms.file = false, ""
				break
			}
			if j == 0 {
				ms.file = p
			}
		}
		if s, ok := byID[model.ID]; ok {
			ms.active = s.Active()
			ms.paused = s.State == fetch.StatePaused
			if ms.size < 0 && s.DownloadTotal > 0 {
				ms.size = s.DownloadTotal
			}
		}
		out[i] = ms
	}
	return out
}

// diffRows compares the rows of two polls. When the same fetches are in
// the same order it returns the rows that changed; otherwise it reports
// that the list must be rebuilt.
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

// mismatchURL is the URL of the first file of s that failed its SHA-256
// check with its data kept, or "".
func mismatchURL(s fetch.Snapshot) string {
	for _, r := range s.Records {
		if r.State == fetch.StateFailed && r.Actual != "" {
			return r.URL
		}
	}
	return ""
}

// unverified reports whether a file of s was kept without its check.
func unverified(s fetch.Snapshot) bool {
	return slices.ContainsFunc(s.Records, func(r fetch.RecordSnapshot) bool { return r.Unverified })
}
