package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/words"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// HubView is the window's "Hugging Face" place: the Hub's model search
// (most downloaded first, GGUF repos only unless unticked), and a repo's
// files grouped by quantization, with those already in the cache marked,
// check boxes and a Download button. A repo id or a Hub address typed or
// pasted into the search field opens that repo at once.
//
// Every Hub call runs on a goroutine of its own and its answer comes back
// to the UI goroutine through do, so the window never waits for the
// network; a newer search or repo cancels the older one and its answer,
// should it still arrive, is dropped.
type HubView struct {
	widget.BaseWidget

	hub      *hf.Client
	layout   hf.Layout
	download func(plan hf.Plan, files []hf.File)
	do       func(func()) // fyne.Do; tests run UI work on the test goroutine
	// transport is the clients' the view makes (without a refused token);
	// nil is http.DefaultTransport.
	transport http.RoundTripper

	// Fields below are touched on the UI goroutine only.
	seq    int                // the newest request; older answers are dropped
	cancel context.CancelFunc // stops the request in flight

	query   *formEntry
	gguf    *widget.Check
	login   *widget.Label // which token is used
	note    *widget.Label // searching, no results, offline
	models  []hf.Model
	results *widget.List
	search  fyne.CanvasObject

	ref       hf.Ref // the name the open repo was asked by
	plan      hf.Plan
	rows      []hubRow
	checked   map[string]bool
	repoTitle *widget.Label
	repoNote  *widget.Label
	files     *widget.List
	get       *widget.Button
	repo      fyne.CanvasObject
}

var _ fyne.Widget = (*HubView)(nil)

// hubRow is one line of a repo's file list: a group's header, or a file.
type hubRow struct {
	group *hf.Group
	file  hf.File
	have  bool // the file is in the layout already
}

// NewHubView builds the view. download is called on the UI goroutine with
// the open repo's plan and the files a person ticked, in the plan's order.
// layout says which files are there already (hf.Cache for the Hub cache).
func NewHubView(hub *hf.Client, layout hf.Layout, download func(plan hf.Plan, files []hf.File)) *HubView {
	v := &HubView{hub: hub, layout: layout, download: download, do: fyne.Do, checked: map[string]bool{}}
	v.ExtendBaseWidget(v)
	v.buildSearch()
	v.buildRepo()
	v.repo.Hide()
	return v
}

// CreateRenderer shows the search page or a repo's page.
func (v *HubView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(v.search, v.repo))
}

func (v *HubView) buildSearch() {
	v.query = newFormEntry(nil, false) // the window's keys once it is in one (UI.withHub)
	v.query.SetPlaceHolder("Search models, or paste hf.co/ORG/REPO:Q4_K_M or a huggingface.co address")
	v.query.OnSubmitted = v.Open
	v.gguf = widget.NewCheck("GGUF only", func(bool) {
		if v.query.Text != "" {
			v.Open(v.query.Text)
		}
	})
	v.gguf.SetChecked(true)
	find := widget.NewButtonWithIcon("Search", theme.SearchIcon(), func() { v.Open(v.query.Text) })
	v.note = widget.NewLabel("Search the Hugging Face Hub, or paste a repo id or address.")
	v.note.Wrapping = fyne.TextWrapWord
	v.results = widget.NewList(
		func() int { return len(v.models) },
		newModelRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { setModelRow(o, v.models[i]) },
	)
	v.results.OnSelected = func(i widget.ListItemID) {
		v.results.Unselect(i)
		if i >= 0 && i < len(v.models) {
			v.openRepo(hf.Ref{Repo: v.models[i].ID, Type: hf.TypeModel})
		}
	}
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.gguf, find), v.query)
	v.login = widget.NewLabel(loginText(v.hub.Token(), ""))
	v.login.Wrapping = fyne.TextWrapWord
	v.search = container.NewBorder(container.NewVBox(bar, v.note), v.login, nil, nil, v.results)
}

// SetClient makes the view use hub from now on, for example with the
// token a person just saved in the settings. Call it on the UI goroutine.
// user is whose its token is, "" when not known. Call it on the UI
// goroutine.
func (v *HubView) SetClient(hub *hf.Client, user string) {
	v.Stop()
	v.seq++ // an answer of the old client is not wanted
	v.hub = hub
	v.login.Importance = widget.MediumImportance
	v.login.SetText(loginText(hub.Token(), user))
}

// Refused says that the Hub refused the token, so public models download
// without it. Call it on the UI goroutine.
func (v *HubView) Refused(t hf.Token) {
	v.login.Importance = widget.WarningImportance
	v.login.SetText(refusedText(t))
}

// loginText says which token the Hub gets, by where it came from (never
// what it is) and whose it is when known, so a person knows why a gated
// repo does or does not open.
func loginText(t hf.Token, user string) string {
	switch {
	case !t.Set():
		return "Not logged in to Hugging Face: gated and private models need a token (Settings, hf auth login, or HF_TOKEN)."
	case user != "":
		return "Signed in to Hugging Face as " + user + ", with the " + t.String() + "."
	}
	return "Logged in to Hugging Face with the " + t.String() + "."
}

// refusedText says that the token was refused, and what to do.
func refusedText(t hf.Token) string {
	return "The Hub refused the " + t.String() + " (invalid or expired), so public models are listed and downloaded without it. Replace or remove it in Settings."
}

// newModelRow is a search result: the repo id, its numbers, a gated badge.
func newModelRow() fyne.CanvasObject {
	id := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	id.Truncation = fyne.TextTruncateEllipsis
	gated := widget.NewLabel("gated")
	gated.Importance = widget.WarningImportance
	return container.NewBorder(nil, nil, nil, gated, container.NewVBox(id, widget.NewLabel("")))
}

func setModelRow(o fyne.CanvasObject, m hf.Model) {
	c := o.(*fyne.Container)
	texts := c.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(m.ID)
	texts[1].(*widget.Label).SetText(modelDetails(m))
	gated := c.Objects[1].(*widget.Label)
	if m.Gated {
		gated.Show()
	} else {
		gated.Hide()
	}
}

// modelDetails is "12,345 downloads · 67 likes · updated 2 Jan 2025".
func modelDetails(m hf.Model) string {
	s := fmt.Sprintf("%s downloads · %s likes", humanize.Comma(m.Downloads), humanize.Comma(m.Likes))
	if !m.LastModified.IsZero() {
		s += " · updated " + m.LastModified.Format("2 Jan 2006")
	}
	return s
}

func (v *HubView) buildRepo() {
	back := widget.NewButtonWithIcon("Search", theme.NavigateBackIcon(), v.back)
	v.repoTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.repoNote = widget.NewLabel("")
	v.repoNote.Wrapping = fyne.TextWrapWord
	v.files = widget.NewList(
		func() int { return len(v.rows) },
		newFileRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { v.setFileRow(o, i) },
	)
	v.get = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), v.startDownload)
	v.get.Importance = widget.HighImportance
	v.get.Disable()
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, v.repoTitle), v.repoNote)
	v.repo = container.NewBorder(top, container.NewBorder(nil, nil, nil, v.get), nil, nil, v.files)
}

// newFileRow is a check box, the path, the size and whether it is here.
func newFileRow() fyne.CanvasObject {
	name := widget.NewLabel("")
	name.Truncation = fyne.TextTruncateEllipsis
	have := widget.NewLabel("downloaded")
	have.Importance = widget.SuccessImportance
	return container.NewBorder(nil, nil, widget.NewCheck("", nil), container.NewHBox(widget.NewLabel(""), have), name)
}

func (v *HubView) setFileRow(o fyne.CanvasObject, i widget.ListItemID) {
	row := v.rows[i]
	c := o.(*fyne.Container)
	name := c.Objects[0].(*widget.Label)
	check := c.Objects[1].(*widget.Check)
	right := c.Objects[2].(*fyne.Container).Objects
	size, have := right[0].(*widget.Label), right[1].(*widget.Label)

	check.OnChanged = nil // setting the state is not a tap
	if row.group != nil {
		name.TextStyle = fyne.TextStyle{Bold: true}
		name.SetText(groupTitle(*row.group))
		size.SetText(humanize.Bytes(uint64(row.group.Size)))
		have.Hide()
		check.SetChecked(v.groupChecked(*row.group))
		check.OnChanged = func(on bool) { v.checkGroup(*row.group, on) }
		return
	}
	name.TextStyle = fyne.TextStyle{}
	name.SetText("    " + row.file.Path)
	size.SetText(humanize.Bytes(uint64(row.file.Size)))
	if row.have {
		have.Show()
	} else {
		have.Hide()
	}
	check.SetChecked(v.checked[row.file.Path])
	check.OnChanged = func(on bool) { v.checkFile(row.file.Path, on) }
}

// groupTitle is "Q4_K_M · 3 files", or "Other files" for the rest.
func groupTitle(g hf.Group) string {
	title := g.Quant
	if title == "" {
		title = "Other files"
	}
	if len(g.Files) == 1 {
		return title + " · 1 file"
	}
	return fmt.Sprintf("%s · %d files", title, len(g.Files))
}

func (v *HubView) groupChecked(g hf.Group) bool {
	for _, f := range g.Files {
		if !v.checked[f.Path] {
			return false
		}
	}
	return true
}

func (v *HubView) checkGroup(g hf.Group, on bool) {
	for _, f := range g.Files {
		v.checked[f.Path] = on
	}
	v.files.Refresh()
	v.updateButton()
}

func (v *HubView) checkFile(p string, on bool) {
	v.checked[p] = on
	v.files.Refresh() // the group's box follows its files
	v.updateButton()
}

func (v *HubView) updateButton() {
	n := len(v.selected())
	if n == 0 {
		v.get.SetText("Download")
		v.get.Disable()
		return
	}
	v.get.SetText(fmt.Sprintf("Download %d %s", n, plural(n, "file", "files")))
	v.get.Enable()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// selected is the ticked files in the plan's order.
func (v *HubView) selected() []hf.File {
	var files []hf.File
	for _, f := range v.plan.Files {
		if v.checked[f.Path] {
			files = append(files, f)
		}
	}
	return files
}

func (v *HubView) startDownload() {
	if files := v.selected(); len(files) > 0 {
		v.download(v.plan, files)
	}
}

// Open reads what a person typed: a Hub name or address opens that repo,
// anything else is a search. Call it on the UI goroutine; it returns at
// once.
func (v *HubView) Open(text string) {
	text = strings.TrimSpace(text)
	if v.query.Text != text {
		v.query.SetText(text)
	}
	ref, err := hf.Parse(text, hf.Options{Endpoint: v.hub.Endpoint()})
	switch {
	case err == nil:
		v.openRepo(ref)
	case errors.Is(err, hf.ErrNotHub):
		v.runSearch(text)
	default:
		v.showSearch(words.Sentence(err), true)
	}
}

// begin cancels the request in flight and starts a new one.
func (v *HubView) begin() (context.Context, int) {
	v.Stop()
	var ctx context.Context
	ctx, v.cancel = context.WithCancel(context.Background())
	v.seq++
	return ctx, v.seq
}

// Stop cancels the request in flight, whose answer is then dropped. The
// window calls it before the app's event loop ends, so that no answer is
// queued for a UI goroutine that is gone.
func (v *HubView) Stop() {
	if v.cancel != nil {
		v.cancel()
	}
}

// answer runs show on the UI goroutine unless the request was cancelled or
// a newer one began.
func (v *HubView) answer(ctx context.Context, seq int, show func()) {
	if ctx.Err() != nil {
		return
	}
	v.do(func() {
		if seq == v.seq {
			show()
		}
	})
}

func (v *HubView) runSearch(q string) {
	ctx, seq := v.begin()
	s := hf.Search{Query: q, GGUF: v.gguf.Checked}
	v.showSearch("Searching the Hub…", false)
	c := v.hub
	go func() {
		var models []hf.Model
		refused, err := c.WithoutRefused(func(c *hf.Client) (err error) {
			models, err = c.Search(ctx, s)
			return err
		})
		v.answer(ctx, seq, func() {
			if refused {
				v.Refused(c.Token())
			}
			if err != nil {
				v.showSearch(words.Sentence(err), true)
				return
			}
			v.models = models
			v.results.Refresh()
			v.results.ScrollToTop()
			switch {
			case len(models) == 0:
				v.showSearch("No model matches "+q+".", false)
			default:
				v.showSearch(fmt.Sprintf("%d models, most downloaded first.", len(models)), false)
			}
		})
	}()
}

// showSearch shows the search page with a note; a problem keeps the
// results already there.
func (v *HubView) showSearch(note string, problem bool) {
	v.note.Importance = widget.MediumImportance
	if problem {
		v.note.Importance = widget.DangerImportance
	}
	v.note.SetText(note)
	v.repo.Hide()
	v.search.Show()
}

func (v *HubView) back() {
	v.Stop()
	v.seq++ // the listing's answer, if it comes, is not wanted now
	v.repo.Hide()
	v.search.Show()
}

// openRepo lists a repo's files and shows them. The files the name asked
// for (a quantization, a path, include patterns) start ticked, unless
// they are already here.
func (v *HubView) openRepo(ref hf.Ref) {
	ctx, seq := v.begin()
	v.ref = ref
	v.plan, v.rows = hf.Plan{}, nil
	clear(v.checked)
	v.files.Refresh()
	v.repoTitle.SetText(ref.Repo)
	v.setRepoNote("Listing the files…", false)
	v.updateButton()
	v.search.Hide()
	v.repo.Show()
	all := hf.Ref{Repo: ref.Repo, Type: ref.Type, Revision: ref.Revision}
	c := v.hub
	go func() {
		var plan hf.Plan
		refused, err := c.WithoutRefused(func(c *hf.Client) (err error) {
			plan, err = c.Resolve(ctx, all)
			return err
		})
		have := map[string]bool{}
		for _, f := range plan.Files {
			have[f.Path] = v.layout.Has(plan, f) // disk, so not on the UI goroutine
		}
		v.answer(ctx, seq, func() {
			if refused {
				v.Refused(c.Token())
			}
			v.showRepo(plan, have, err)
		})
	}()
}

func (v *HubView) setRepoNote(note string, problem bool) {
	v.repoNote.Importance = widget.MediumImportance
	if problem {
		v.repoNote.Importance = widget.DangerImportance
	}
	v.repoNote.SetText(note)
}

func (v *HubView) showRepo(plan hf.Plan, have map[string]bool, err error) {
	v.plan = plan
	v.rows = v.rows[:0]
	named := v.ref.Path != "" || v.ref.Quant != "" || len(v.ref.Include) > 0 || len(v.ref.Exclude) > 0
	groups := plan.Groups()
	for gi := range groups {
		v.rows = append(v.rows, hubRow{group: &groups[gi]})
		for _, f := range groups[gi].Files {
			v.rows = append(v.rows, hubRow{file: f, have: have[f.Path]})
			v.checked[f.Path] = named && v.ref.Wants(f.Path) && !have[f.Path]
		}
	}
	v.files.Refresh()
	v.files.ScrollToTop()
	v.updateButton()
	switch {
	case err != nil:
		v.setRepoNote(words.Sentence(err), true)
	default:
		v.setRepoNote(repoSummary(plan, have), false)
	}
}

// repoSummary is "main at 1a2b3c4 · 9 files · 1.2 GB · 2 downloaded".
func repoSummary(p hf.Plan, have map[string]bool) string {
	s := fmt.Sprintf("%s at %.7s · %d %s · %s", p.Revision, p.Commit, len(p.Files), plural(len(p.Files), "file", "files"),
		humanize.Bytes(uint64(p.Total())))
	n := 0
	for _, h := range have {
		if h {
			n++
		}
	}
	if n > 0 {
		s += fmt.Sprintf(" · %d downloaded", n)
	}
	if p.Gated {
		s += " · gated"
	}
	return s
}
