package ui

import (
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader"
)

var (
	_ fyne.Widget = (*fetchRow)(nil)
	_ fyne.Widget = (*modelCard)(nil)
)

// fetchRow is one row of the fetch list. The list reuses rows for other
// fetches as it scrolls, so the buttons act on whichever fetch the row
// shows at the moment of the tap.
type fetchRow struct {
	widget.BaseWidget
	u    *UI
	data rowData

	icon     *widget.Icon
	heading  *widget.RichText // the title in bold, then where it comes from
	bar      *widget.ProgressBar
	spinner  *widget.ProgressBarInfinite
	state    *widget.Label
	progress *widget.Label

	pause, cancel, retry, open, remove *widget.Button
}

func newFetchRow(u *UI) *fetchRow {
	r := &fetchRow{u: u}
	r.icon = widget.NewIcon(u.opts.Icon)
	r.heading = widget.NewRichText()
	r.heading.Truncation = fyne.TextTruncateEllipsis
	r.bar = widget.NewProgressBar()
	// The line under the bar says how far in bytes; a percentage in the bar
	// would be white on the pale unfilled part in the light theme.
	r.bar.TextFormatter = func() string { return "" }
	r.spinner = widget.NewProgressBarInfinite()
	r.spinner.Hide() // it animates while shown; only running rows of unknown size show it
	r.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.progress = widget.NewLabel("")
	r.progress.Truncation = fyne.TextTruncateEllipsis

	r.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { u.pauseOrResume(r.data.id, r.data.paused) })
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { u.abort(r.data.id) })
	r.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { u.retry(r.data.id) })
	r.retry.Importance = widget.HighImportance
	r.open = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() { u.reveal(r.data.file) })
	r.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { u.remove(r.data.id) })
	r.ExtendBaseWidget(r)
	return r
}

func (r *fetchRow) CreateRenderer() fyne.WidgetRenderer {
	bars := container.NewStack(r.bar, r.spinner)
	line := container.NewBorder(nil, nil, r.state, nil, r.progress)
	text := container.NewVBox(r.heading, bars, line)
	buttons := container.NewHBox(r.pause, r.cancel, r.retry, r.open, r.remove)
	icon := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(40), r.icon))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, icon, container.NewCenter(buttons), text))
}

// bind shows d in the row.
func (r *fetchRow) bind(d rowData) {
	r.data = d
	if d.icon != nil {
		r.icon.SetResource(d.icon)
	}
	r.heading.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: d.title, Style: widget.RichTextStyleStrong},
		&widget.TextSegment{Text: "   " + d.host, Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder}},
	}
	r.heading.Refresh()
	r.state.SetText(d.state)
	r.state.Importance = widget.MediumImportance
	switch {
	case d.failed:
		r.state.Importance = widget.DangerImportance
	case d.ready:
		r.state.Importance = widget.SuccessImportance
	}
	r.state.Refresh()
	r.progress.SetText(d.progress)

	if d.fraction < 0 && d.running {
		r.bar.Hide()
		r.spinner.Show()
	} else {
		// Stop before Hide: Fyne marks a new spinner running when it makes
		// its renderer, and a hidden one would animate on for nothing.
		r.spinner.Stop()
		r.spinner.Hide()
		r.bar.SetValue(max(d.fraction, 0))
		r.bar.Show()
	}

	if d.paused {
		r.pause.SetText("Resume")
		r.pause.SetIcon(theme.MediaPlayIcon())
	} else {
		r.pause.SetText("Pause")
		r.pause.SetIcon(theme.MediaPauseIcon())
	}
	showIf(r.pause, d.active)
	showIf(r.cancel, d.active)
	showIf(r.retry, d.failed)
	showIf(r.open, d.ready)
	showIf(r.remove, !d.active)
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
	model downloader.Model
	state modelState

	title  *widget.Label
	detail *widget.Label
	button *widget.Button
}

func newModelCard(u *UI, model downloader.Model) *modelCard {
	c := &modelCard{u: u, model: model, state: modelState{size: model.Size()}}
	c.title = widget.NewLabelWithStyle(model.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.detail = widget.NewLabel("")
	c.detail.Wrapping = fyne.TextWrapWord
	c.detail.SizeName = theme.SizeNameCaptionText
	c.button = widget.NewButton("", c.tapped)
	c.ExtendBaseWidget(c)
	c.set(c.state)
	return c
}

func (c *modelCard) CreateRenderer() fyne.WidgetRenderer {
	icon := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(40), widget.NewIcon(loadIcon(c.model.Icon, c.u.opts.Icon))))
	heading := container.NewBorder(nil, nil, nil, c.button, c.title)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, icon, nil, container.NewVBox(heading, c.detail)))
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
		c.button.SetText("Downloading…")
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
