package ui

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/ui/term"
)

// detailsView is what selecting a download shows in place of the list:
// every file with its own bar, where it comes from and goes, checksums,
// connections, a graph of the speed, the whole failure with what to do,
// and what happened to the download. The poller sends it the fetch's
// snapshot whenever that changes.
type detailsView struct {
	u    *UI
	id   string // "" while closed
	snap fetch.Snapshot
	root fyne.CanvasObject

	title    *widget.Label
	state    *widget.Label
	buttons  struct{ signIn, pause, cancel, retry, again, useIn, open, remove, editSum, keep *widget.Button }
	apps     *widget.Label // the apps the download is available in
	failure  *fyne.Container
	reason   *widget.Label
	advice   *widget.Label
	graph    *speedGraph
	speed    *widget.Label
	speedBox *fyne.Container // the graph with its heading, while there is a speed to show
	files    *fyne.Container
	views    []*fileView
	history  *widget.Label
}

func newDetailsView(u *UI) *detailsView {
	v := &detailsView{u: u}
	back := widget.NewButtonWithIcon("Downloads", theme.NavigateBackIcon(), u.closeDetails)
	back.Importance = widget.LowImportance
	v.title = wrapped(widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.state = wrapped(widget.NewLabel(""))
	b := &v.buttons
	b.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { u.pauseOrResume(v.id, v.snap.State == fetch.StatePaused) })
	b.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { u.cancelFetch(v.row()) })
	b.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { u.retry(v.id) })
	b.retry.Importance = widget.HighImportance
	b.open = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() { u.reveal(firstPath(v.snap)) })
	b.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { u.remove(v.id) })
	b.editSum = widget.NewButtonWithIcon("Edit checksum…", theme.DocumentCreateIcon(), func() { u.editChecksum(v.id, mismatchURL(v.snap)) })
	b.editSum.Importance = widget.HighImportance
	b.keep = widget.NewButtonWithIcon("Keep file anyway", theme.ConfirmIcon(), func() { u.keepUnverified(v.id, mismatchURL(v.snap)) })
	b.signIn = widget.NewButtonWithIcon("Sign in to the network…", theme.LoginIcon(), func() { u.openSignIn(v.snap.SignIn) })
	b.signIn.Importance = widget.HighImportance
	b.again = widget.NewButtonWithIcon("Download again", theme.DownloadIcon(), func() { u.retry(v.id) })
	b.useIn = widget.NewButtonWithIcon("Use in…", theme.MailForwardIcon(), func() { u.showUseIn(v.id) })
	actions := container.NewHBox(b.signIn, b.pause, b.cancel, b.retry, b.again, b.editSum, b.keep, b.useIn, b.open, b.remove)
	v.apps = wrapped(widget.NewLabel(""))

	v.reason = wrapped(widget.NewLabel(""))
	v.reason.Importance = widget.DangerImportance
	v.advice = wrapped(widget.NewLabel(""))
	v.failure = container.NewVBox(heading("What went wrong"), v.reason, v.advice)
	v.graph = newSpeedGraph()
	v.speed = widget.NewLabel("")
	v.speed.SizeName = theme.SizeNameCaptionText
	v.speedBox = container.NewVBox(heading("Speed, last 5 minutes"), v.graph, v.speed)
	v.files = container.NewVBox()
	v.history = wrapped(widget.NewLabel(""))
	body := container.NewVBox(v.title, v.state, actions, v.apps, v.failure, v.speedBox,
		heading("Files"), v.files, heading("History"), v.history)
	v.root = container.NewBorder(container.NewHBox(back), nil, nil, nil, container.NewVScroll(body))
	return v
}

func wrapped(l *widget.Label) *widget.Label {
	l.Wrapping = fyne.TextWrapWord
	return l
}

func heading(text string) fyne.CanvasObject {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// open shows fetch id, as far as the list knows it, until the poller
// sends its snapshot.
func (v *detailsView) open(id string) {
	if v.id != id {
		v.id = id
		v.snap = fetch.Snapshot{ID: id}
		v.graph.set(nil)
		// Controls and files wait for the fetch's snapshot.
		b := v.buttons
		for _, b := range []*widget.Button{b.signIn, b.pause, b.cancel, b.retry, b.again, b.useIn, b.open, b.remove, b.editSum, b.keep} {
			b.Hide()
		}
		v.apps.Hide()
		v.failure.Hide()
		v.files.RemoveAll()
		v.views = nil
		if r, ok := v.u.selectedRow(); ok {
			v.title.SetText(r.title)
			v.state.SetText(r.line)
		}
	}
	v.root.Show()
}

func (v *detailsView) close() {
	v.id = ""
	v.root.Hide()
}

// row is the list's row of the fetch shown, for the controls that ask
// before acting.
func (v *detailsView) row() rowData {
	if r, ok := v.u.selectedRow(); ok && r.id == v.id {
		return r
	}
	return rowData{id: v.id, title: v.snap.Title}
}

// set shows d, if it is of the fetch the view is open on.
func (v *detailsView) set(d detailData) {
	s := d.snap
	if s.ID != v.id {
		return
	}
	v.snap = s
	title := s.Title
	line, tip := rowLine(s, "Queued", v.u.history.failures(s.ID))
	if r, ok := v.u.selectedRow(); ok && r.id == s.ID {
		title, line, tip = r.title, r.line, r.tip
	}
	v.title.SetText(title)
	v.state.SetText(cmp.Or(tip, line))
	v.setButtons(s)
	apps := availableText(s)
	v.apps.SetText(apps)
	showIf(v.apps, apps != "")
	v.setFailure(s)
	v.graph.set(d.speeds)
	v.speed.SetText(speedText(s))
	moved := slices.ContainsFunc(d.speeds, func(v float64) bool { return v > 0 })
	showIf(v.speedBox, moved || s.State == fetch.StateRunning)
	v.setFiles(s)
	v.history.SetText(strings.Join(v.historyLines(s, d.history), "\n"))
}

func (v *detailsView) setButtons(s fetch.Snapshot) {
	b := v.buttons
	paused := s.State == fetch.StatePaused
	if paused {
		b.pause.SetText("Resume")
		b.pause.SetIcon(theme.MediaPlayIcon())
	} else {
		b.pause.SetText("Pause")
		b.pause.SetIcon(theme.MediaPauseIcon())
	}
	signIn := s.Active() && s.SignIn != ""
	showIf(b.signIn, signIn)
	showIf(b.pause, s.Active() && !signIn)
	showIf(b.cancel, s.Active())
	showIf(b.again, s.State == fetch.StateAborted)
	// The apps take a Hugging Face model's files (the engine says which).
	repo, _ := v.u.hubNames().repo(s)
	showIf(b.useIn, s.State == fetch.StateSucceeded && repo != "")
	mismatch := mismatchURL(s) != ""
	showIf(b.retry, s.State == fetch.StateFailed && !mismatch)
	showIf(b.editSum, mismatch)
	showIf(b.keep, mismatch)
	showIf(b.open, firstPath(s) != "")
	showIf(b.remove, !s.Active())
}

func (v *detailsView) setFailure(s fetch.Snapshot) {
	if s.State != fetch.StateFailed {
		v.failure.Hide()
		return
	}
	reason := failureText(s)
	// The engine's sentence often quotes the status already.
	if st := term.StatusText(s.Status); st != "" && !strings.Contains(reason, strconv.Itoa(s.Status)) {
		reason += " (The server answered " + st + ".)"
	}
	v.reason.SetText(reason)
	v.advice.SetText(term.Advice(s.FailureReason, s.Status))
	v.failure.Show()
}

// speedText is the speed now and the connections that carry it.
func speedText(s fetch.Snapshot) string {
	conns := 0
	for _, r := range s.Records {
		conns += r.Connections
	}
	parts := []string{"Now " + humanize.Bytes(uint64(max(s.Speed, 0))) + "/s"}
	if s.State != fetch.StateRunning {
		parts[0] = "Not moving"
	}
	switch conns {
	case 0:
	case 1:
		parts = append(parts, "1 connection")
	default:
		parts = append(parts, fmt.Sprintf("%d connections", conns))
	}
	return strings.Join(parts, " · ")
}

func (v *detailsView) setFiles(s fetch.Snapshot) {
	if len(v.views) != len(s.Records) {
		v.files.RemoveAll()
		v.views = v.views[:0]
		for range s.Records {
			f := newFileView(v.u)
			v.views = append(v.views, f)
			v.files.Add(f.root)
		}
	}
	for i, r := range s.Records {
		v.views[i].set(r)
	}
}

// historyLines is what happened to the fetch: when it was added, every
// change the window saw (watched: starts, waits, failures, Retries), and
// what holds it now.
func (v *detailsView) historyLines(s fetch.Snapshot, watched []string) []string {
	var lines []string
	if !s.Created.IsZero() {
		lines = append(lines, "Added "+s.Created.Local().Format("2 Jan 15:04"))
	}
	lines = append(lines, watched...)
	for _, r := range s.Records {
		if why := term.RestartText(r); why != "" {
			lines = append(lines, why)
		}
	}
	if s.Paused {
		lines = append(lines, "Paused: it stays paused, across restarts, until you resume it")
	}
	if s.Active() && v.u.prefs.limit > 0 {
		lines = append(lines, "Speed limited to "+humanize.Bytes(uint64(v.u.prefs.limit))+"/s over all downloads (Settings)")
	}
	return lines
}

func firstPath(s fetch.Snapshot) string {
	if paths := s.Paths(); len(paths) > 0 {
		return paths[0]
	}
	return ""
}

// fileName is a record's name, or its URL's while it has none.
func fileName(r fetch.RecordSnapshot) string {
	if r.Name != "" {
		return r.Name
	}
	return titleFromURL(r.URL)
}

// fileView is one file of the details: its bar and state, where it
// comes from and where it is, and its checksums.
type fileView struct {
	root   fyne.CanvasObject
	name   *widget.Label
	bar    *stateBar
	line   *widget.Label
	source *copyLine
	dest   *copyLine
	sha    *widget.Label
	open   *widget.Button
	path   string
}

func newFileView(u *UI) *fileView {
	f := &fileView{name: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), bar: newStateBar()}
	f.name.Truncation = fyne.TextTruncateEllipsis
	f.line = wrapped(widget.NewLabel(""))
	f.source = newCopyLine(u, "From")
	f.dest = newCopyLine(u, "Saved as")
	f.sha = wrapped(widget.NewLabel(""))
	f.sha.SizeName = theme.SizeNameCaptionText
	f.open = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() { u.reveal(f.path) })
	f.root = container.NewVBox(f.name, f.bar, f.line, f.source.root, f.dest.root, container.NewHBox(f.open), f.sha, widget.NewSeparator())
	return f
}

func (f *fileView) set(r fetch.RecordSnapshot) {
	f.name.SetText(fileName(r))
	s := fetch.Snapshot{State: r.State, Downloaded: r.Downloaded, DownloadTotal: r.Size, ETA: -1, FailureReason: r.FailureReason,
		Records: []fetch.RecordSnapshot{r}}
	f.bar.set(barFor(r.State), term.Fraction(s))
	line := term.StateText(s) + " · " + term.CompactLine(s)
	if r.State == fetch.StateFailed {
		line = term.StateText(s)
		if r.Message != "" {
			line += ". " + r.Message
		}
		if r.Offset > 0 {
			line += fmt.Sprintf(" (at byte %s)", humanize.Comma(r.Offset))
		}
	}
	if r.Connections > 0 {
		line += fmt.Sprintf(" · %d connections", r.Connections)
	}
	f.line.SetText(line)
	f.source.set(r.URL)
	f.path = r.Path
	f.dest.set(r.Path)
	showIf(f.open, r.Path != "")
	f.sha.SetText(shaText(r))
}

// shaText says what is known of a file's SHA-256: the one expected, and
// whether the file on disk matched it.
func shaText(r fetch.RecordSnapshot) string {
	if r.Unverified {
		return "SHA-256: not checked; the file was kept anyway"
	}
	if r.SHA256 == "" {
		return "SHA-256: none given, so the file is checked by its size only"
	}
	text := "Expected SHA-256: " + r.SHA256
	switch {
	case r.State == fetch.StateSucceeded:
		text += "\nActual: the same (checked)"
	case r.Actual != "":
		text += "\nActual: " + r.Actual + " (the file is kept: Edit checksum… or Keep file anyway)"
	case r.FailureReason == fetch.ReasonIntegrity:
		text += "\nActual: different (see above)"
	case r.Verified > 0:
		text += fmt.Sprintf("\nActual: %s checked so far", humanize.Bytes(uint64(r.Verified)))
	}
	return text
}

// barFor is the bar colour of a state.
func barFor(s fetch.State) barKind {
	switch s {
	case fetch.StateQueued, fetch.StateAborted:
		return barIdle
	case fetch.StatePaused:
		return barPaused
	case fetch.StateFailed:
		return barFailed
	case fetch.StateSucceeded:
		return barDone
	}
	return barRunning
}

// copyLine is a value a person may want elsewhere: an address, a path.
// It can be selected, and copied whole with its button.
type copyLine struct {
	root  fyne.CanvasObject
	value *widget.Label
	copy  *widget.Button
}

func newCopyLine(u *UI, name string) *copyLine {
	c := &copyLine{value: widget.NewLabel("")}
	c.value.Selectable = true
	c.value.Wrapping = fyne.TextWrapBreak
	c.value.SizeName = theme.SizeNameCaptionText
	c.copy = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { u.app.Clipboard().SetContent(c.value.Text) })
	c.copy.Importance = widget.LowImportance
	label := widget.NewLabel(name)
	label.SizeName = theme.SizeNameCaptionText
	c.root = container.NewBorder(nil, nil, label, c.copy, c.value)
	return c
}

func (c *copyLine) set(value string) {
	c.value.SetText(value)
	showIf(c.root, value != "")
}

// speedGraph draws a fetch's speed over the last minutes as thin bars,
// the newest on the right. It is redrawn only when the poller sends new
// samples, once a second at most.
type speedGraph struct {
	widget.BaseWidget
	samples []float64
}

func newSpeedGraph() *speedGraph {
	g := &speedGraph{}
	g.ExtendBaseWidget(g)
	return g
}

func (g *speedGraph) set(samples []float64) {
	g.samples = samples
	g.Refresh()
}

func (g *speedGraph) CreateRenderer() fyne.WidgetRenderer {
	r := &graphRenderer{g: g, bg: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))}
	r.bg.CornerRadius = 3
	return r
}

// graphBars is how many bars the graph draws: each is the fastest of
// speedWindow/graphBars seconds.
const graphBars = 60

type graphRenderer struct {
	g    *speedGraph
	bg   *canvas.Rectangle
	bars []*canvas.Rectangle
}

func (r *graphRenderer) MinSize() fyne.Size { return fyne.NewSize(120, 56) }

func (r *graphRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	values := bucket(r.g.samples, speedWindow/graphBars)
	peak := 0.0
	for _, v := range values {
		peak = max(peak, v)
	}
	for len(r.bars) < len(values) {
		r.bars = append(r.bars, canvas.NewRectangle(nil))
	}
	r.bars = r.bars[:len(values)]
	w := size.Width / graphBars
	colour := theme.Color(theme.ColorNamePrimary)
	for i, v := range values {
		h := float32(0)
		if peak > 0 {
			h = (size.Height - 4) * float32(v/peak)
		}
		b := r.bars[i]
		b.FillColor = colour
		x := size.Width - float32(len(values)-i)*w
		b.Move(fyne.NewPos(x+1, size.Height-2-h))
		b.Resize(fyne.NewSize(max(w-2, 1), h))
	}
}

func (r *graphRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.Layout(r.g.Size())
	canvas.Refresh(r.g)
}

func (r *graphRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg}
	for _, b := range r.bars {
		objs = append(objs, b)
	}
	return objs
}

func (r *graphRenderer) Destroy() {}

// bucket is the highest of each n samples, oldest first.
func bucket(samples []float64, n int) []float64 {
	var out []float64
	for i := 0; i < len(samples); i += n {
		peak := 0.0
		for _, v := range samples[i:min(i+n, len(samples))] {
			peak = max(peak, v)
		}
		out = append(out, peak)
	}
	return out
}

// shortDir is the folder of path as people read it.
func shortDir(path string) string { return shortPath(filepath.Dir(path)) }
