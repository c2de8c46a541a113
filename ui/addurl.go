package ui

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// addURLForm is the Add URL dialog: an address, an optional title and an
// optional SHA-256. It stays open until what was typed can be downloaded,
// saying what is wrong in the dialog itself.
type addURLForm struct {
	dialog  *dialog.CustomDialog
	url     *widget.Entry
	title   *widget.Entry
	sha     *widget.Entry
	problem *widget.Label
	add     *widget.Button
}

func (u *UI) showAddURL() {
	f := &addURLForm{url: widget.NewEntry(), title: widget.NewEntry(), sha: widget.NewEntry(), problem: widget.NewLabel("")}
	f.url.SetPlaceHolder("https://example.org/model.gguf")
	f.title.SetPlaceHolder("Optional: what to call it")
	f.sha.SetPlaceHolder("Optional: 64 hexadecimal digits")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	form := widget.NewForm(
		widget.NewFormItem("Address", f.url),
		widget.NewFormItem("Title", f.title),
		widget.NewFormItem("SHA-256", f.sha),
	)
	content := container.NewVBox(form, f.problem)
	f.dialog = dialog.NewCustomWithoutButtons("Add a download", content, u.win)
	cancel := widget.NewButton("Cancel", f.dialog.Hide)
	f.add = widget.NewButton("Download", func() { u.submitAddURL(f) })
	f.add.Importance = widget.HighImportance
	f.dialog.SetButtons([]fyne.CanvasObject{cancel, f.add})
	f.url.OnSubmitted = func(string) { u.submitAddURL(f) }
	f.dialog.SetOnClosed(func() { u.add = nil })
	f.dialog.Resize(fyne.NewSize(560, f.dialog.MinSize().Height))
	u.add = f
	f.dialog.Show()
	u.win.Canvas().Focus(f.url)
}

func (u *UI) submitAddURL(f *addURLForm) {
	raw := strings.TrimSpace(f.url.Text)
	sha := strings.TrimSpace(f.sha.Text)
	err := checkURL(raw)
	if err == nil {
		err = checkSHA256(sha)
	}
	if err == nil {
		_, err = u.fetchURL(raw, strings.TrimSpace(f.title.Text), sha)
	}
	if err != nil {
		f.problem.SetText(sentence(err))
		f.problem.Show()
		// The dialog was sized without the message: grow it to fit.
		f.dialog.Resize(fyne.NewSize(560, f.dialog.MinSize().Height))
		return
	}
	f.dialog.Hide()
}

// checkURL says, in words a person can act on, why raw cannot be
// downloaded; nil when it can.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("enter the address of the file to download")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "":
		return errors.New("this is not a web address; it should look like https://example.org/model.gguf")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("only addresses that start with http:// or https:// can be downloaded")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("the address has no server name after the //")
	}
	return nil
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// checkSHA256 accepts an empty digest (none is checked) or 64 hex digits.
func checkSHA256(sha string) error {
	if sha == "" || hexSHA256.MatchString(sha) {
		return nil
	}
	return errors.New("a SHA-256 is 64 hexadecimal digits (0-9 and a-f); leave it empty if you do not have one")
}
