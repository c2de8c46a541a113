package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// website is the project's home, as in FyneApp.toml and the desktop entry.
var website = &url.URL{Scheme: "https", Host: "github.com", Path: "/modelfetch/modelfetch"}

// showAbout says which build this is, in the words `modelfetch version`
// uses, so that a bug report can name it.
func (u *UI) showAbout() {
	v := u.opts.Version
	name := widget.NewLabelWithStyle("ModelFetch", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	what := widget.NewLabelWithStyle("Downloads large AI model files reliably, in the background.", fyne.TextAlignCenter, fyne.TextStyle{})
	build := widget.NewForm(
		widget.NewFormItem("Version", widget.NewLabel(v.Version)),
		widget.NewFormItem("Commit", widget.NewLabel(v.Commit)),
		widget.NewFormItem("Go", widget.NewLabel(v.Go)),
	)
	content := container.NewVBox(name, what, build, container.NewCenter(widget.NewHyperlink(website.Host+website.Path, website)))
	if u.opts.Icon != nil {
		icon := canvas.NewImageFromResource(u.opts.Icon)
		icon.FillMode = canvas.ImageFillContain
		icon.SetMinSize(fyne.NewSquareSize(96))
		content.Objects = append([]fyne.CanvasObject{icon}, content.Objects...)
	}
	dialog.NewCustom("About ModelFetch", "Close", content, u.win).Show()
}
