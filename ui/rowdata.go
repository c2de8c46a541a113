package ui

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/ui/term"
)

// row makes the row of s; queueLine is what a queued fetch says of its
// place in the queue.
func (d *differ) row(s fetch.Snapshot, queueLine string) rowData {
	r := rowData{
		id:       s.ID,
		title:    d.hub.title(s),
		fraction: barSteps(term.Fraction(s)),
		icon:     d.iconFor(s.Icon),
		active:   s.Active(),
		paused:   s.State == fetch.StatePaused,
		kind:     barRunning,
		failures: d.history.failures(s.ID),
	}
	r.line, r.tip = rowLine(s, queueLine, r.failures)
	switch s.State {
	case fetch.StateQueued:
		r.kind = barIdle
	case fetch.StatePaused:
		r.kind = barPaused
	case fetch.StateWaitingNetwork:
		r.kind = barPaused
	case fetch.StateSucceeded:
		// Background Fetch's updateUI: the title says the model is ready.
		r.title, r.ready, r.kind = r.title+" ready", true, barDone
		if paths := s.Paths(); len(paths) > 0 {
			r.file = paths[0]
		}
	case fetch.StateFailed:
		r.failed, r.kind, r.mismatch = true, barFailed, mismatchURL(s)
		if r.mismatch != "" {
			// The file is kept: not corrupt, only not the one the SHA-256 names.
			r.line = "Not the SHA-256 given · Edit checksum, or keep the file anyway"
		}
	case fetch.StateAborted:
		r.aborted, r.kind, r.fraction = true, barIdle, 0
	}
	if r.active {
		r.partial = s.Downloaded
		r.signIn = s.SignIn
	}
	return r
}

// barSteps is f rounded to what a bar can show (a thousandth: a bar is
// less than a thousand pixels wide), so that bytes a bar cannot show do
// not refresh a row.
func barSteps(f float64) float64 {
	if f < 0 {
		return f
	}
	return math.Floor(f*1000) / 1000
}

// rowLine is a row's line under its bar, and the same in full for a
// tooltip when it says more than fits. An active fetch's line starts with
// what the engine says of it (sign in to the network, not answering,
// trying again, very slow), which matters more than its bytes.
func rowLine(s fetch.Snapshot, queueLine string, failures int) (line, tip string) {
	progress := term.CompactLine(s)
	switch s.State {
	case fetch.StateQueued:
		return queueLine, ""
	case fetch.StateSucceeded:
		if unverified(s) {
			return "Ready · not verified · " + term.BytesOf(s.Downloaded, 0), "Kept without its SHA-256 checked: it did not match the one expected."
		}
		return "Ready · " + term.BytesOf(s.Downloaded, 0), ""
	case fetch.StateAborted:
		return "Cancelled", ""
	case fetch.StateFailed:
		return failedLine(s, failures), failureText(s)
	}
	if s.Message != "" {
		return strings.TrimSuffix(s.Message, ".") + " · " + progress, s.Message
	}
	if s.State == fetch.StateRunning {
		for _, rec := range s.Records {
			if rec.Restarted != "" {
				// Bytes only go back when a server forced a fresh start; say why.
				return "Started again · " + progress, "Started again: " + rec.Restarted
			}
		}
		return progress, ""
	}
	return term.StateText(s) + " · " + progress, ""
}

// failedLine is "Failed: the server refused the file (HTTP 404 Not
// Found)", and after a Retry that failed too, how often it did.
func failedLine(s fetch.Snapshot, failures int) string {
	line := "Failed: " + term.ReasonText(s.FailureReason)
	if failures > 1 {
		line = fmt.Sprintf("Failed %d times: %s", failures, term.ReasonText(s.FailureReason))
	}
	if st := term.StatusText(s.Status); st != "" {
		line += " (" + st + ")"
	}
	return line
}

// queueLine is what a queued fetch's row says: its place in the queue.
func queueLine(pos int) string { return term.QueueText(max(pos, 1)) }

// stateCounts is how many fetches are in each state a person tells apart.
type stateCounts struct {
	downloading, waiting, queued, paused int
	done, total                          int64 // bytes of the downloading ones; total -1 while unknown
}

func countStates(snaps map[string]fetch.Snapshot) stateCounts {
	var c stateCounts
	for _, s := range snaps {
		switch s.State {
		case fetch.StatePaused:
			c.paused++
		case fetch.StateQueued:
			c.queued++
		case fetch.StateWaitingNetwork:
			c.waiting++
		case fetch.StateRunning, fetch.StateVerifying:
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

// line sums up the fetches: "3 downloading · 45 % · 1 waiting for the
// network · 20 queued · 1 paused", or "Nothing downloading".
func (c stateCounts) line() string {
	var parts []string
	if c.downloading > 0 {
		parts = append(parts, fmt.Sprintf("%d downloading", c.downloading))
		if c.total > 0 {
			parts = append(parts, fmt.Sprintf("%d %%", c.done*100/c.total))
		}
	}
	if c.waiting > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting for the network", c.waiting))
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

// loadIcon reads the icon file at path, at the size rows show it,
// falling back to fallback for anything but a readable absolute path.
func loadIcon(path string, fallback fyne.Resource) fyne.Resource {
	if !filepath.IsAbs(path) {
		return fallback
	}
	res, err := fyne.LoadResourceFromPath(path)
	if err != nil {
		return fallback
	}
	return smallIcon(res)
}

// hubNames tells the Hub's fetches by their files' addresses, for their
// titles and for the catalog's Hub models. Its zero value is the Hub's
// own endpoint, with no cache.
type hubNames struct {
	endpoint string
	cache    hf.Layout // nil: the cache is not looked in
}

// repo is the Hub repo and the files of s when it is a Hub fetch.
func (h hubNames) repo(s fetch.Snapshot) (repo string, paths []string) {
	for _, r := range s.Records {
		ref, err := hf.Parse(r.URL, hf.Options{Endpoint: h.endpoint})
		if err != nil || ref.Path == "" || (repo != "" && ref.Repo != repo) {
			return "", nil
		}
		repo = ref.Repo
		paths = append(paths, ref.Path)
	}
	return repo, paths
}

// title is what a fetch is called in the window: ORG/REPO · QUANT for a
// Hub fetch, the title it was given, or else its file's name, never an id
// made of hashes.
func (h hubNames) title(s fetch.Snapshot) string {
	if repo, paths := h.repo(s); repo != "" {
		var quants []string
		for _, p := range paths {
			if q := hf.QuantOf(p); q != "" && !slices.Contains(quants, q) {
				quants = append(quants, q)
			}
		}
		switch {
		case len(quants) > 0:
			return repo + " · " + strings.Join(quants, ", ")
		case len(paths) == 1:
			return repo + " · " + paths[0]
		}
		return fmt.Sprintf("%s · %d files", repo, len(paths))
	}
	if s.Title != "" && s.Title != s.ID {
		return s.Title
	}
	switch len(s.Records) {
	case 0:
		return s.ID
	case 1:
		return fileName(s.Records[0])
	}
	return fmt.Sprintf("%s and %d more", fileName(s.Records[0]), len(s.Records)-1)
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

// modelStates works out each catalog model's card: ready when every file
// is there, active while its fetch runs. The engine is asked only when a
// fetch came, went or changed state, never on a tick, and never hashes.
func (d *differ) modelStates() []modelState {
	out := make([]modelState, len(d.catalog))
	for i, model := range d.catalog {
		ms := modelState{size: model.Size()}
		if model.HF != "" {
			d.hubModel(model, &ms)
		} else {
			d.urlModel(model, &ms)
		}
		out[i] = ms
	}
	return out
}

// urlModel is the card of a model of URLs: ready when the engine has
// every file complete.
func (d *differ) urlModel(model catalog.Model, ms *modelState) {
	ms.ready = len(model.Files) > 0
	for j, f := range model.Files {
		p, ok := d.m.Ready(f.URL) // never hashes: the poller only reads a verdict
		if !ok {
			ms.ready, ms.file = false, ""
			break
		}
		if j == 0 {
			ms.file = p
		}
	}
	if s, ok := d.snaps[model.ID]; ok {
		ms.active, ms.paused = s.Active(), s.State == fetch.StatePaused
		if ms.size < 0 && s.DownloadTotal > 0 {
			ms.size = s.DownloadTotal
		}
	}
}

// hubModel is the card of a model named by a Hub repo: active while a
// fetch of that repo runs, ready once the Hub cache holds its files.
func (d *differ) hubModel(model catalog.Model, ms *modelState) {
	for _, s := range d.snaps {
		if repo, _ := d.hub.repo(s); repo == model.HF && s.Active() {
			ms.active, ms.paused = true, s.State == fetch.StatePaused
			if s.DownloadTotal > 0 {
				ms.size = s.DownloadTotal
			}
			return
		}
	}
	cache, ok := d.hub.cache.(hf.Cache)
	if !ok {
		return
	}
	ref, err := hf.Parse(model.HubName(), hf.Options{Endpoint: d.hub.endpoint, Include: model.Include})
	if err != nil {
		return
	}
	_, files, err := cache.Lookup(ref)
	if err != nil || len(files) == 0 {
		return
	}
	ms.ready, ms.file, ms.size = true, files[0], 0
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			ms.size += st.Size()
		}
	}
}
