package ui

import (
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words"

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
	clearOnEdit(f.problem, f.url, f.title, f.sha)
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
	sha, err := checkAddresses(addrs, title, f.sha.Text)
	var started int
	if err == nil {
		for _, raw := range addrs {
			if _, err = u.fetchURL(raw, title, sha); err != nil {
				break
			}
			started++
		}
	}
	if err != nil {
		// Drop what started, so that Download again does not say the
		// first ones are there already.
		if started > 0 {
			f.url.SetText(strings.Join(addrs[started:], "\n"))
		}
		f.say(err)
		return
	}
	f.dialog.Hide()
}

// say shows err's sentence under the form, until a field is edited.
func (f *addURLForm) say(err error) {
	showProblem(f.problem, err)
	// The dialog was sized without the message: grow it to fit.
	f.dialog.Resize(dialogSize(f.dialog, 560))
}

// showProblem shows err's sentence in label, the message of a form.
func showProblem(label *widget.Label, err error) {
	label.SetText(words.Sentence(err))
	label.Show()
}

// clearOnEdit hides a form's message as soon as one of its fields is
// edited: the message was about what was typed before.
func clearOnEdit(problem *widget.Label, entries ...*formEntry) {
	for _, e := range entries {
		e.OnChanged = func(string) { problem.Hide() }
	}
}

// addresses are the addresses in text: one a line (or a tab apart, as a
// spreadsheet's column pastes), each read as pasted (fetch.Pasted) and
// without the angle brackets of mail. A line of several addresses
// apart by spaces is those addresses; any other line with a space is
// kept whole, for checkAddress to say so.
func addresses(text string) []string {
	var out []string
	lines := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' })
	for _, line := range lines {
		line = strings.TrimSuffix(strings.TrimPrefix(fetch.Pasted(line), "<"), ">") // <address>, as mail writes it
		if line == "" {
			continue
		}
		if parts := strings.Fields(line); len(parts) > 1 && !slices.ContainsFunc(parts, func(p string) bool { return checkAddress(p) != nil }) {
			out = append(out, parts...)
			continue
		}
		out = append(out, line)
	}
	return out
}

// checkAddresses checks every address and the SHA-256 before any
// download starts, and returns the SHA-256 as the engine takes it.
func checkAddresses(addrs []string, title, sha string) (string, error) {
	if len(addrs) == 0 {
		return "", checkAddress("")
	}
	for _, raw := range addrs {
		if err := checkAddress(raw); err != nil {
			return "", err
		}
	}
	sha, err := parseDigest(sha)
	if err == nil && len(addrs) > 1 && (title != "" || sha != "") {
		err = &mistake{kind: oneFileOnly}
	}
	return sha, err
}
