package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// addURLForm is the Add URL dialog: addresses, one per line, an
// optional title and an optional SHA-256 (those two for one address). It
// stays open until what was typed can be downloaded, saying what is
// wrong in the dialog itself.
type addURLForm struct {
	dialog  *dialog.CustomDialog
	url     *formEntry
	title   *formEntry
	sha     *formEntry
	problem *widget.Label
	add     *widget.Button
}

func (u *UI) showAddURL() {
	if u.add != nil {
		return
	}
	f := &addURLForm{url: newFormEntry(u, true), title: newFormEntry(u, false), sha: newFormEntry(u, false), problem: widget.NewLabel("")}
	f.url.SetPlaceHolder("https://example.org/model.gguf\n(several: one per line; Shift+Enter for a new line)")
	f.url.SetMinRowsVisible(3)
	f.title.SetPlaceHolder("Optional: what to call it")
	f.sha.SetPlaceHolder("Optional: 64 hexadecimal digits")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	form := widget.NewForm(
		widget.NewFormItem("Addresses", f.url),
		widget.NewFormItem("Title", f.title),
		widget.NewFormItem("SHA-256", f.sha),
	)
	content := container.NewVBox(form, f.problem)
	f.dialog = dialog.NewCustomWithoutButtons("Add downloads", content, u.win)
	cancel := widget.NewButton("Cancel", f.dialog.Hide)
	f.add = widget.NewButton("Download", func() { u.submitAddURL(f) })
	f.add.Importance = widget.HighImportance
	f.dialog.SetButtons([]fyne.CanvasObject{cancel, f.add})
	f.dialog.Resize(dialogSize(f.dialog, 560))
	u.add = f
	u.showDialog(f.dialog)
	u.win.Canvas().Focus(f.url)
}

func (u *UI) submitAddURL(f *addURLForm) {
	addrs := addresses(f.url.Text)
	if len(addrs) == 1 && u.openHub(addrs[0]) { // a Hugging Face name: choose its files in the tab
		f.dialog.Hide()
		return
	}
	title := strings.TrimSpace(f.title.Text)
	sha := strings.TrimSpace(f.sha.Text)
	err := checkAddresses(addrs, title, sha)
	var started int
	if err == nil {
		for _, raw := range addrs {
			if _, err = u.fetchURL(raw, title, sha); err != nil {
				err = fmt.Errorf("%s: %w", raw, err)
				break
			}
			started++
		}
	}
	if err != nil {
		// Drop what started, so that Download again does not say the
		// first ones are there already.
		f.url.SetText(strings.Join(addrs[started:], "\n"))
		f.problem.SetText(words.Sentence(err))
		f.problem.Show()
		// The dialog was sized without the message: grow it to fit.
		f.dialog.Resize(dialogSize(f.dialog, 560))
		return
	}
	f.dialog.Hide()
}

// addresses are the non-empty lines of text, trimmed.
func addresses(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// checkAddresses checks every address before any download starts.
func checkAddresses(addrs []string, title, sha string) error {
	if len(addrs) == 0 {
		return checkURL("")
	}
	for _, raw := range addrs {
		if err := checkURL(raw); err != nil {
			if len(addrs) > 1 {
				return fmt.Errorf("%s: %w", raw, err)
			}
			return err
		}
	}
	if len(addrs) > 1 && (title != "" || sha != "") {
		return errors.New("a title and a SHA-256 belong to one file: add that address on its own")
	}
	return checkSHA256(sha)
}

// checkURL says, in words a person can act on, why raw cannot be
// downloaded; nil when it can.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("enter the address of the file to download")
	}
	return checkRequest(fetch.Request{URL: raw})
}

// checkSHA256 accepts an empty digest (none is checked) or 64 hex digits.
func checkSHA256(sha string) error {
	return checkRequest(fetch.Request{URL: "https://host/", SHA256: sha})
}

// checkRequest words the engine's check of q (Request.Validate) for the
// Add URL form.
func checkRequest(q fetch.Request) error {
	var re *fetch.RequestError
	if err := q.Validate(); !errors.As(err, &re) {
		return err
	}
	switch re.Kind {
	case fetch.InvalidScheme:
		return errors.New("only addresses that start with http:// or https:// can be downloaded")
	case fetch.InvalidHost:
		return errors.New("the address has no server name after the //")
	case fetch.InvalidDigest:
		return errors.New("a SHA-256 is 64 hexadecimal digits (0-9 and a-f); leave it empty if you do not have one")
	}
	return errors.New("this is not a web address; it should look like https://example.org/model.gguf")
}
