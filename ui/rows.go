package ui

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"
)

var (
	_ fyne.Widget = (*fetchRow)(nil)
	_ fyne.Widget = (*modelCard)(nil)
)

// fetchRow is one row of the fetch list: icon, title, a bar coloured by
// state, one line of progress, and icon buttons. The list reuses rows for
// other fetches as it scrolls, so the buttons act on whichever fetch the
// row shows at the moment of the tap.
type fetchRow struct {
	widget.BaseWidget
	u     *UI
	data  rowData
	bound bool // data is shown

	icon  *widget.Icon
	title *tipLabel
	bar   *stateBar
	line  *tipLabel

	pause, cancel, retry, open, remove *tipButton
	editSum, keep                      *tipButton // after a SHA-256 mismatch
	signIn                             *tipButton // while a captive portal holds it
	again                              *tipButton // once cancelled
}

// widestLine is as long as a row's line gets while nothing is cut: the
// row keeps room for it at any window width.
const widestLine = "Waiting for network · 888.8 of 888.8 GB · 100 %"

func newFetchRow(u *UI) *fetchRow {
	r := &fetchRow{u: u}
	r.icon = widget.NewIcon(u.icon)
	r.title = newTipLabel(u.tips, fyne.TextStyle{Bold: true})
	r.bar = newStateBar()
	r.line = newTipLabel(u.tips, fyne.TextStyle{})
	r.line.SizeName = theme.SizeNameCaptionText

	r.pause = newTipButton(u.tips, theme.MediaPauseIcon(), "Pause (Space)", func() { u.pauseOrResume(r.data.id, r.data.paused) })
	r.cancel = newTipButton(u.tips, theme.CancelIcon(), "Cancel and delete what was downloaded (Delete)", func() { u.cancelFetch(r.data) })
	r.retry = newTipButton(u.tips, theme.ViewRefreshIcon(), "Retry", func() { u.retry(r.data.id) })
	r.open = newTipButton(u.tips, theme.FolderOpenIcon(), "Open folder", func() { u.reveal(r.data.file) })
	r.remove = newTipButton(u.tips, theme.DeleteIcon(), "Remove from the list (Delete)", func() { u.remove(r.data.id) })
	r.editSum = newTipButton(u.tips, theme.DocumentCreateIcon(), "Edit checksum…", func() { u.editChecksum(r.data.id, r.data.mismatch) })
	r.keep = newTipButton(u.tips, theme.ConfirmIcon(), "Keep file anyway (not verified)", func() { u.keepUnverified(r.data.id, r.data.mismatch) })
	r.signIn = newTipButton(u.tips, theme.LoginIcon(), "Sign in to the network…", func() { u.openSignIn(r.data.signIn) })
	r.again = newTipButton(u.tips, theme.DownloadIcon(), "Download again", func() { u.retry(r.data.id) })
	for _, b := range []*tipButton{r.pause, r.cancel, r.retry, r.open, r.remove, r.editSum, r.keep, r.signIn, r.again} {
		b.Importance = widget.LowImportance
		b.Hide() // until bind says which fit the fetch
	}
	r.retry.Importance = widget.HighImportance
	r.editSum.Importance = widget.HighImportance
	r.signIn.Importance = widget.HighImportance
	r.ExtendBaseWidget(r)
	return r
}

func (r *fetchRow) CreateRenderer() fyne.WidgetRenderer {
	// The line's room: measured in the caption size it is shown in, with
	// the label's own padding.
	size := fyne.MeasureText(widestLine, theme.CaptionTextSize(), fyne.TextStyle{})
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(size.Width+2*theme.InnerPadding(), 0))
	text := container.New(&rowTextLayout{}, r.title, r.bar, container.NewStack(room, r.line))
	// Two buttons show at a time (Pause and Cancel, Sign in and Cancel,
	// Retry and Remove, Download again and Remove, Open folder and Remove,
	// Edit checksum and Keep file anyway): the row
	// keeps room for two, so that nothing moves as a download finishes.
	buttons := container.NewHBox(r.signIn, r.pause, r.cancel, r.retry, r.again, r.editSum, r.keep, r.open, r.remove)
	pair := container.NewHBox(newTipButton(r.u.tips, theme.CancelIcon(), "", nil), newTipButton(r.u.tips, theme.CancelIcon(), "", nil))
	icon := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(32), r.icon))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, icon, fixedWidth(container.NewCenter(buttons), pair), text))
}

// rowTextLayout stacks a row's title, bar and line tightly: a VBox would
// put a full padding between each.
type rowTextLayout struct{}

func (rowTextLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objects {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.InnerPadding()/2
	}
}

func (rowTextLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objects {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - theme.InnerPadding()/2
	}
	s.Height += theme.InnerPadding() / 2
	return s
}

// bind shows d in the row, touching only what differs from what it
// shows: each change of a label's text shapes it again, the most a row
// costs.
func (r *fetchRow) bind(d rowData) {
	old, first := r.data, !r.bound
	r.data, r.bound = d, true
	if d.icon != nil && (first || d.icon != old.icon) {
		r.icon.SetResource(d.icon)
	}
	if first || d.title != old.title {
		r.title.SetText(d.title)
	}
	r.bar.set(d.kind, d.fraction)
	r.line.tip = d.tip
	if first || d.line != old.line || d.failed != old.failed {
		r.line.Importance = widget.MediumImportance
		if d.failed {
			r.line.Importance = widget.DangerImportance
		}
		r.line.SetText(d.line)
	}
	if first || d.paused != old.paused {
		r.setPause(d.paused)
	}
	r.signIn.tip = "Sign in to the network at " + d.signIn
	showIf(r.signIn, d.signIn != "")
	showIf(r.pause, d.active && d.signIn == "")
	showIf(r.cancel, d.active)
	showIf(r.retry, d.failed && d.mismatch == "")
	showIf(r.again, d.aborted)
	showIf(r.editSum, d.mismatch != "")
	showIf(r.keep, d.mismatch != "")
	showIf(r.open, d.ready)
	showIf(r.remove, !d.active && d.mismatch == "") // the details view has it
}

// setPause makes the pause button say Pause or Resume.
func (r *fetchRow) setPause(paused bool) {
	if paused {
		r.pause.tip = "Resume (Space)"
		r.pause.SetIcon(theme.MediaPlayIcon())
		return
	}
	r.pause.tip = "Pause (Space)"
	r.pause.SetIcon(theme.MediaPauseIcon())
}

func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// modelCard is a catalog model in the models panel: what it is, and
// Download, or Open folder once it is there.
type modelCard struct {
	widget.BaseWidget
	u     *UI
	model catalog.Model
	state modelState

	title  *tipLabel
	detail *widget.Label
	button *widget.Button
}

func newModelCard(u *UI, model catalog.Model) *modelCard {
	c := &modelCard{u: u, model: model, state: modelState{size: model.Size()}}
	c.title = newTipLabel(u.tips, fyne.TextStyle{Bold: true})
	c.title.SetText(model.Title)
	c.detail = widget.NewLabel("")
	c.detail.Wrapping = fyne.TextWrapWord
	c.detail.SizeName = theme.SizeNameCaptionText
	c.button = widget.NewButton("", c.tapped)
	c.ExtendBaseWidget(c)
	c.set(c.state)
	return c
}

func (c *modelCard) CreateRenderer() fyne.WidgetRenderer {
	icon := container.NewVBox(container.NewGridWrap(fyne.NewSquareSize(32), widget.NewIcon(loadIcon(c.model.Icon, c.u.icon))))
	// The button keeps one size whatever it says, so that nothing moves.
	var samples []fyne.CanvasObject
	for _, s := range []struct {
		text string
		icon fyne.Resource
	}{{"Open folder", theme.FolderOpenIcon()}, {"Downloading", nil}, {"Download", theme.DownloadIcon()}, {"Resume", theme.MediaPlayIcon()}} {
		samples = append(samples, widget.NewButtonWithIcon(s.text, s.icon, nil))
	}
	// The title and the words have the card's whole width, so that they
	// read well in a narrow panel; the button goes under them.
	button := container.NewHBox(fixedWidth(c.button, samples...))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, icon, nil, container.NewVBox(c.title, c.detail, button)))
}

func (c *modelCard) tapped() {
	if c.state.ready {
		c.u.reveal(c.state.file)
		return
	}
	c.u.download(c.model)
}

// set shows the card's state: Download, Downloading…, or Open folder.
func (c *modelCard) set(ms modelState) {
	c.state = ms
	var parts []string
	if ms.ready {
		parts = append(parts, "Ready")
	}
	if ms.size > 0 {
		parts = append(parts, humanize.Bytes(uint64(ms.size)))
	}
	if ms.ready && ms.file != "" {
		parts = append(parts, "in "+shortPath(filepath.Dir(ms.file)))
	} else if c.model.Description != "" {
		parts = append(parts, c.model.Description)
	}
	c.detail.SetText(strings.Join(parts, " · "))
	switch {
	case ms.ready:
		c.button.SetText("Open folder")
		c.button.SetIcon(theme.FolderOpenIcon())
		c.button.Importance = widget.MediumImportance
		c.button.Enable()
	case ms.paused:
		c.button.SetText("Resume")
		c.button.SetIcon(theme.MediaPlayIcon())
		c.button.Importance = widget.MediumImportance
		c.button.Enable()
	case ms.active:
		c.button.SetText("Downloading")
		c.button.SetIcon(nil)
		c.button.Disable()
	default:
		c.button.SetText("Download")
		c.button.SetIcon(theme.DownloadIcon())
		c.button.Importance = widget.HighImportance
		c.button.Enable()
	}
	c.button.Refresh()
}

// shortPath writes a path under the home folder with ~, as people read it.
func shortPath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return filepath.Join("~", rel)
	}
	return p
}
