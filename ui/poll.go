package ui

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"time"

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
	host     string
	state    string
	progress string
	fraction float64 // -1 while the total is unknown
	icon     fyne.Resource

	running bool // bytes are moving, or about to
	paused  bool
	active  bool
	failed  bool
	ready   bool
	file    string // the first completed file, once ready
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

// batch is what one poll found changed; the UI applies it in one fyne.Do.
type batch struct {
	rows    []rowData    // the whole list, when fetches came or went
	changed []indexedRow // otherwise, the rows that changed
	models  []modelState // every card, when any changed
	notes   []*fyne.Notification
	status  string // the status line, when it changed
}

func (b batch) empty() bool {
	return b.rows == nil && len(b.changed) == 0 && b.models == nil && len(b.notes) == 0 && b.status == ""
}

// poll keeps the window up to date until ctx ends. While anything moves it
// reads the engine every Interval; while nothing does it sleeps until the
// engine publishes an event or the window asks (refresh), so an idle app
// does no periodic work. It owns the differ; it touches widgets only
// through opts.Do.
func (u *UI) poll(ctx context.Context) {
	defer close(u.done)
	d := newDiffer(u.m, u.opts.Catalog, u.opts.Icon)
	tick := time.NewTicker(u.opts.Interval)
	tick.Stop()
	defer tick.Stop()
	step := func() bool {
		b, busy := d.step()
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
	m       *downloader.Manager
	catalog []downloader.Model
	icon    fyne.Resource
	icons   map[string]fyne.Resource // fetch icons by what Options.Icon said

	started bool
	rows    []rowData
	states  map[string]downloader.State
	models  []modelState
	status  string
}

func newDiffer(m *downloader.Manager, catalog []downloader.Model, icon fyne.Resource) *differ {
	return &differ{m: m, catalog: catalog, icon: icon, icons: map[string]fyne.Resource{}, states: map[string]downloader.State{}}
}

// step reads the engine once. It reports whether anything is moving (so
// that polling should go on).
func (d *differ) step() (batch, bool) {
	snaps := d.m.Snapshots()
	var b batch
	rows := make([]rowData, len(snaps))
	busy := false
	for i, s := range snaps {
		rows[i] = d.row(s)
		busy = busy || rows[i].running
		if n := d.note(s); n != nil {
			b.notes = append(b.notes, n)
		}
	}
	changed, reordered := diffRows(d.rows, rows)
	if reordered {
		b.rows = rows
	} else {
		b.changed = changed
	}
	d.rows = rows
	states := make(map[string]downloader.State, len(snaps))
	for _, s := range snaps {
		states[s.ID] = s.State
	}
	d.states = states
	if reordered || len(changed) > 0 || !d.started {
		if models := d.modelStates(snaps); !slices.Equal(models, d.models) || !d.started {
			b.models, d.models = models, models
		}
	}
	if status := statusLine(snaps); status != d.status {
		b.status, d.status = status, status
	}
	d.started = true
	return b, busy
}

// note is the notification a fetch's change deserves: success or failure,
// when the fetch was seen active before (or is new since the first poll:
// a file that was already there is ready at once). Fetches that had
// settled before the window opened are not announced again.
func (d *differ) note(s downloader.Snapshot) *fyne.Notification {
	prev, known := d.states[s.ID]
	if !d.started || (known && prev.Settled()) || !s.State.Settled() {
		return nil
	}
	switch s.State {
	case downloader.StateSucceeded:
		return &fyne.Notification{Title: s.Title + " ready", Content: savedIn(s)}
	case downloader.StateFailed:
		return &fyne.Notification{Title: s.Title + " failed", Content: failureText(s)}
	}
	return nil
}

// savedIn says where a succeeded fetch's files are.
func savedIn(s downloader.Snapshot) string {
	paths := s.Paths()
	switch len(paths) {
	case 0:
		return "The download is complete."
	case 1:
		return "Saved as " + paths[0]
	}
	return fmt.Sprintf("%d files saved in %s", len(paths), filepath.Dir(paths[0]))
}

// failureText is why a fetch failed, in the engine's own sentence when it
// has one.
func failureText(s downloader.Snapshot) string {
	if s.Message != "" {
		return s.Message
	}
	return term.StateText(s)
}

func (d *differ) row(s downloader.Snapshot) rowData {
	r := rowData{
		id:       s.ID,
		title:    s.Title,
		host:     hostOf(s),
		state:    term.StateText(s),
		progress: term.ProgressLine(s),
		fraction: term.Fraction(s),
		icon:     d.iconFor(s.Icon),
		active:   s.Active(),
		paused:   s.State == downloader.StatePaused,
	}
	r.running = r.active && !r.paused
	if r.active {
		// Bytes only go back when a server forced a fresh start; say why.
		for _, rec := range s.Records {
			if rec.Restarted != "" {
				r.progress += " · " + rec.Restarted
				break
			}
		}
	}
	switch s.State {
	case downloader.StateSucceeded:
		// Background Fetch's updateUI: the title says the model is ready.
		r.title, r.ready = s.Title+" ready", true
		if paths := s.Paths(); len(paths) > 0 {
			r.file = paths[0]
		}
	case downloader.StateFailed:
		r.failed = true
		r.progress = failureText(s)
	case downloader.StateAborted:
		r.progress, r.fraction = "", 0
	}
	return r
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

// hostOf is where a fetch comes from: the server of its first file, and
// how many files there are when there are several.
func hostOf(s downloader.Snapshot) string {
	if len(s.Records) == 0 {
		return ""
	}
	host := s.Records[0].URL
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	if n := len(s.Records); n > 1 {
		host = fmt.Sprintf("%s · %d files", host, n)
	}
	return host
}

// modelStates works out each catalog model's card: ready when every file
// is downloaded and intact, active while its fetch runs.
func (d *differ) modelStates(snaps []downloader.Snapshot) []modelState {
	byID := make(map[string]downloader.Snapshot, len(snaps))
	for _, s := range snaps {
		byID[s.ID] = s
	}
	out := make([]modelState, len(d.catalog))
	for i, model := range d.catalog {
		ms := modelState{ready: true, size: model.Size()}
		for j, f := range model.Files {
			p, ok := d.m.Match(f.URL)
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
			ms.paused = s.State == downloader.StatePaused
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

// statusLine sums up the fetches for the tray and the window:
// "2 downloading · 45 %", "1 paused", or "Nothing downloading".
func statusLine(snaps []downloader.Snapshot) string {
	var moving, paused int
	var done, total int64
	for _, s := range snaps {
		switch {
		case s.State == downloader.StatePaused:
			paused++
		case s.Active():
			moving++
			if s.DownloadTotal > 0 && total >= 0 {
				done += s.Downloaded
				total += s.DownloadTotal
			} else {
				total = -1 // one unknown total makes the sum unknown
			}
		}
	}
	switch {
	case moving == 0 && paused == 0:
		return "Nothing downloading"
	case moving == 0:
		return fmt.Sprintf("%d paused", paused)
	}
	line := fmt.Sprintf("%d downloading", moving)
	if total > 0 {
		line += fmt.Sprintf(" · %d %%", done*100/total)
	}
	if paused > 0 {
		line += fmt.Sprintf(" · %d paused", paused)
	}
	return line
}
