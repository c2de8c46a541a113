package ui

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// realRepo is a Hub repo whose Q4_K_M file is a real GGUF, which Ollama's
// layout reads (its architecture goes in the config Ollama reads);
// otherRepo another.
const (
	realRepo  = "org/Real-1B-GGUF"
	otherRepo = "org/Other-1B-GGUF"
)

// shareWindow is the window with a Hugging Face tab on a fake Hub that
// serves realRepo, its files going to a Hub cache of the test's; edit
// changes the window's options (nil: none).
func shareWindow(t *testing.T, edit func(*Options)) *harness {
	t.Helper()
	repo := func(id string, elems int) hftest.Option {
		return hftest.WithRepo(&hftest.Repo{ID: id, Type: "model", Refs: map[string]string{"main": hftest.CommitMain},
			Commits: map[string][]hftest.File{hftest.CommitMain: {
				{Path: "README.md", Data: []byte("# Real\n")},
				{Path: "Real-1B-Q4_K_M.gguf", Data: appstest.GGUF("llama", elems), LFS: true},
			}}})
	}
	hub := hftest.New(t, repo(realRepo, 512), repo(otherRepo, 256))
	return newHarnessWith(t, false, func(o *Options) {
		c, err := hf.New(hf.Config{Endpoint: hub.URL()})
		if err != nil {
			t.Fatal(err)
		}
		o.Hub, o.HubLayout, o.HubTokenPath = c, hf.Cache{Dir: t.TempDir()}, filepath.Join(t.TempDir(), "hf", "token")
		if edit != nil {
			edit(o)
		}
	})
}

// install makes the models folders of the apps keys in the test's home,
// where the engine and the window find them.
func (h *harness) install(keys ...string) {
	h.t.Helper()
	dirs := map[string]string{"ollama": apps.OllamaDir(h.appsEnv), "lmstudio": apps.LMStudioModels(h.appsEnv),
		"jan": apps.JanData(h.appsEnv), "gpt4all": apps.GPT4AllModels(h.appsEnv)}
	for _, k := range keys {
		if err := os.MkdirAll(dirs[k], 0o755); err != nil {
			h.t.Fatal(err)
		}
	}
}

// downloadReal downloads realRepo's Q4_K_M from the Hugging Face tab, and
// returns the finished fetch.
func (h *harness) downloadReal() fetch.Snapshot { return h.downloadHub(realRepo) }

// downloadHub downloads repo's Q4_K_M from the Hugging Face tab, and
// returns the finished fetch.
func (h *harness) downloadHub(repo string) fetch.Snapshot {
	h.t.Helper()
	if err := h.u.Open("hf.co/" + repo + ":Q4_K_M"); err != nil {
		h.t.Fatal(err)
	}
	h.waitFor("the repo's files", func() bool { return h.u.hub.plan.Commit != "" && !h.u.hub.get.Disabled() })
	test.Tap(h.u.hub.get)
	var done fetch.Snapshot
	h.waitFor("the download to finish", func() bool {
		for _, s := range h.m.Snapshots() {
			if got, _ := h.u.hubNames().repo(s); got == repo && s.State == fetch.StateSucceeded {
				done = s
				return true
			}
		}
		return false
	})
	return done
}

// ggufRecord is the record of the model file.
func ggufRecord(t *testing.T, s fetch.Snapshot) fetch.RecordSnapshot {
	t.Helper()
	i := slices.IndexFunc(s.Records, func(r fetch.RecordSnapshot) bool { return strings.HasSuffix(r.Name, ".gguf") })
	if i < 0 {
		t.Fatalf("no GGUF in %+v", s.Records)
	}
	return s.Records[i]
}

// openUseIn opens the details of fetch id and taps Use in….
func (h *harness) openUseIn(id string) {
	h.t.Helper()
	h.u.openDetails(id)
	h.waitFor("Use in… in the details", func() bool { return h.u.details.buttons.useIn.Visible() })
	test.Tap(h.u.details.buttons.useIn)
	h.waitFor("the Use in… dialog", func() bool { _, ok := h.u.dialog.(*dialog.CustomDialog); return ok })
}

// buttons are the buttons of the dialog on top whose text starts with
// prefix, by text.
func (h *harness) buttons(prefix string) map[string]*widget.Button {
	found := map[string]*widget.Button{}
	for _, o := range test.LaidOutObjects(h.u.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, prefix) {
			found[b.Text] = b
		}
	}
	return found
}

// says reports whether the dialog on top has a label of text.
func (h *harness) says(text string) bool {
	texts, _ := h.question()
	return slices.Contains(texts, text)
}

// TestUseInGivesTheModelToApps: a finished Hub download's details offer
// Use in…, which lists the apps found (and only those); each one's button
// gives it the verified file as a hard link under the app's own name, and
// the details then say where the model is available.
func TestUseInGivesTheModelToApps(t *testing.T) {
	h := shareWindow(t, nil)
	h.install("ollama", "lmstudio")
	s := h.downloadReal()
	h.openUseIn(s.ID)
	use := h.buttons("Use in ")
	if got := slices.Sorted(maps.Keys(use)); !slices.Equal(got, []string{"Use in LM Studio", "Use in Ollama"}) {
		t.Fatalf("got the buttons %q, want one for each app found", got)
	}
	for app, name := range map[string]string{"Ollama": "hf.co/" + realRepo + ":Q4_K_M", "LM Studio": realRepo} {
		test.Tap(use["Use in "+app])
		h.waitFor(app+" to have it", func() bool { return h.says("Available as " + name) })
	}
	text := "Available in Ollama as hf.co/" + realRepo + ":Q4_K_M, LM Studio as " + realRepo
	h.waitFor("the details to say where", func() bool { return h.u.details.apps.Text == text })
	got, _ := h.m.Get(s.ID)
	r := ggufRecord(t, got)
	for _, sh := range r.Shared {
		if !sameFile(sh.Path, r.Path) {
			t.Errorf("%s's file %s is not the downloaded file (a copy?)", sh.App, sh.Path)
		}
	}
}

// otherDisk is an app whose models folder is on another disk: where the
// real app would link the file, it must copy it.
type otherDisk struct{ apps.App }

func (o otherDisk) Plan(m apps.Model) (apps.Plan, error) {
	p, err := o.App.Plan(m)
	for i, s := range p.Steps {
		if s.Means == apps.Link {
			p.Steps[i].Means, p.Steps[i].Size = apps.Copy, m.Size
		}
	}
	return p, err
}

// question is the labels of the dialog on top, and a tap on one of its
// buttons by its text.
func (h *harness) question() (texts []string, tap func(button string)) {
	objs := test.LaidOutObjects(h.u.win.Canvas().Overlays().Top())
	for _, o := range objs {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	return texts, func(button string) {
		for _, o := range objs {
			if b, ok := o.(*widget.Button); ok && b.Text == button {
				test.Tap(b)
				return
			}
		}
		h.t.Fatalf("no button %q in %q", button, texts)
	}
}

// TestUseInAsksBeforeACopy: an app that cannot link to the file is not
// given a copy unless the person agrees to its size; once agreed, it has
// a copy.
func TestUseInAsksBeforeACopy(t *testing.T) {
	dir := t.TempDir()
	h := shareWindow(t, func(o *Options) {
		o.Apps = func() []apps.App { return []apps.App{otherDisk{apps.GPT4All(dir)}} }
	})
	s := h.downloadReal()
	h.openUseIn(s.ID)
	test.Tap(h.buttons("Use in GPT4All")["Use in GPT4All"])
	h.waitFor("the question", func() bool { _, ok := h.u.dialog.(*dialog.ConfirmDialog); return ok })
	texts, tap := h.question()
	size := ggufRecord(t, s).Size
	if ask := "GPT4All keeps its models on another disk: make a copy of " + humanize.Bytes(uint64(size)) + "?"; !slices.Contains(texts, ask) {
		t.Fatalf("got the question %q, want %q", texts, ask)
	}
	copied := filepath.Join(dir, "Real-1B-Q4_K_M.gguf")
	if _, err := os.Stat(copied); err == nil {
		t.Fatal("the copy was made before the person agreed")
	}
	tap("Make the copy")
	h.waitFor("GPT4All to have it", func() bool { return h.says("Available as Real-1B-Q4_K_M.gguf") })
	if st, err := os.Stat(copied); err != nil || st.Size() != size || sameFile(copied, ggufRecord(t, s).Path) {
		t.Errorf("got %v, %v at %s, want a copy of %d bytes", st, err, copied, size)
	}
}

// removeQuestion removes fetch id as Delete does, and checks that the
// question says which apps still have it.
func (h *harness) removeQuestion(id string, named ...string) func(button string) {
	h.t.Helper()
	h.u.remove(id)
	if _, ok := h.u.dialog.(*dialog.CustomDialog); !ok {
		h.t.Fatalf("got no question removing a download apps have (dialog %T)", h.u.dialog)
	}
	texts, tap := h.question()
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, appNames(named)+" still ha") }) {
		h.t.Errorf("got the question %q, want it to name %s", texts, appNames(named))
	}
	return tap
}

// shareAll gives the finished fetch s to the apps keys, and returns it
// then, with its model file's record.
func (h *harness) shareAll(s fetch.Snapshot, keys ...string) (fetch.Snapshot, fetch.RecordSnapshot) {
	h.t.Helper()
	for _, key := range keys {
		var err error
		if s, err = h.m.Share(h.t.Context(), s.ID, key, false); err != nil {
			h.t.Fatal(err)
		}
	}
	return s, ggufRecord(h.t, s)
}

// TestRemoveSaysWhichAppsHaveIt: removing a download that apps have asks
// first. "List only" keeps the apps' files; "too" removes what ModelFetch
// put there and nothing else, and keeps the downloaded file.
func TestRemoveSaysWhichAppsHaveIt(t *testing.T) {
	h := shareWindow(t, nil)
	h.install("ollama", "lmstudio")
	s, r := h.shareAll(h.downloadReal(), "ollama", "lmstudio")
	tap := h.removeQuestion(s.ID, "ollama", "lmstudio")
	tap("Remove from the list only")
	h.waitFor("the download off the list", func() bool { _, ok := h.m.Get(s.ID); return !ok })
	for _, sh := range r.Shared {
		if !sameFile(sh.Path, r.Path) {
			t.Errorf("%s lost its file %s, removed from the list only", sh.App, sh.Path)
		}
	}

	// Another, and this time from the apps too; LM Studio's file was
	// replaced meanwhile by one ModelFetch did not make, which stays.
	s, r = h.shareAll(h.downloadHub(otherRepo), "ollama", "lmstudio")
	var lms, ollama fetch.Shared
	for _, sh := range r.Shared {
		map[string]*fetch.Shared{"LM Studio": &lms, "Ollama": &ollama}[sh.App].Path = sh.Path
	}
	theirs := make([]byte, r.Size) // the same size, other bytes
	if err := os.Remove(lms.Path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lms.Path, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(apps.OllamaDir(h.appsEnv), "manifests", "hf.co", "org", "Other-1B-GGUF", "Q4_K_M")
	if _, err := os.Stat(manifest); err != nil {
		t.Fatalf("Ollama's manifest: %v", err)
	}
	tap = h.removeQuestion(s.ID, "ollama", "lmstudio")
	tap("Remove from Ollama and LM Studio too")
	h.waitFor("the download off the list", func() bool { _, ok := h.m.Get(s.ID); return !ok })
	for _, gone := range []string{ollama.Path, manifest} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s is still there", gone)
		}
	}
	if got, err := os.ReadFile(lms.Path); err != nil || len(got) != len(theirs) {
		t.Errorf("LM Studio's own file: %v, %d bytes; want it left as it is", err, len(got))
	}
	if _, err := os.Stat(r.Path); err != nil {
		t.Errorf("the downloaded file went too: %v", err)
	}
}

// TestSettingsAlwaysShareNew: Settings offer the apps found (the others
// cannot be chosen, and say so); the choice is kept in the settings every
// process follows and applied to the engine, which then gives each new
// Hub model to the app.
func TestSettingsAlwaysShareNew(t *testing.T) {
	h := shareWindow(t, nil)
	h.install("lmstudio")
	h.u.showSettings()
	f := h.u.setup
	byKey := func(key string) *formCheck { return f.shareNew.checks[slices.Index(apps.Keys(), key)] }
	h.waitFor("the apps found", func() bool { return byKey("ollama").Disabled() })
	if c := byKey("lmstudio"); c.Disabled() || c.Text != "LM Studio" || byKey("ollama").Text != "Ollama (not found)" {
		t.Fatalf("got LM Studio %q (disabled %v), Ollama %q; want LM Studio to choose, Ollama not found", c.Text, c.Disabled(), byKey("ollama").Text)
	}
	byKey("lmstudio").SetChecked(true)
	test.Tap(f.save)
	if h.u.setup != nil {
		t.Fatalf("got the dialog still open: %q", f.problem.Text)
	}
	if got := h.u.opts.Settings.Settings().ShareNew; !slices.Equal(got, []string{"lmstudio"}) {
		t.Errorf("got %q kept for every process, want lmstudio", got)
	}
	s := h.downloadReal()
	if sh := ggufRecord(t, s).Shared; len(sh) != 1 || sh[0].Name != realRepo || !sameFile(sh[0].Path, ggufRecord(t, s).Path) {
		t.Errorf("got the new model shared as %+v, want with LM Studio as %s", sh, realRepo)
	}
}

// TestEnterSavesSettingsFromAnyField: Enter saves Settings and Escape
// closes them from a check box and a drop-down too, as from a text field.
func TestEnterSavesSettingsFromAnyField(t *testing.T) {
	h := newHarness(t, false)
	for _, c := range []struct {
		name  string
		field func(*settingsForm) fyne.Focusable
	}{
		{"check box", func(f *settingsForm) fyne.Focusable { f.metered.SetChecked(true); return f.metered }},
		{"drop-down", func(f *settingsForm) fyne.Focusable { f.parallel.SetSelected("3"); return f.parallel }},
	} {
		for _, key := range []fyne.KeyName{fyne.KeyEscape, fyne.KeyReturn} {
			h.u.showSettings()
			f := h.u.setup
			field := c.field(f)
			h.u.win.Canvas().Focus(field)
			field.TypedKey(&fyne.KeyEvent{Name: key})
			if h.u.setup != nil {
				t.Errorf("%s with the focus on a %s: the dialog is still open", key, c.name)
				f.dialog.Hide()
			}
		}
	}
	if !h.u.prefs.metered || h.u.prefs.parallel != 3 {
		t.Errorf("got metered pause %v and %d files at once, want what Enter saved", h.u.prefs.metered, h.u.prefs.parallel)
	}
}

// TestClearFinishedAsksOnce: Clear finished asks once for every download
// apps have, and takes them all off the apps and the list.
func TestClearFinishedAsksOnce(t *testing.T) {
	h := shareWindow(t, nil)
	h.install("lmstudio")
	var paths, ids []string
	for _, repo := range []string{realRepo, otherRepo} {
		s, r := h.shareAll(h.downloadHub(repo), "lmstudio")
		paths, ids = append(paths, r.Shared[0].Path), append(ids, s.ID)
	}
	h.waitFor("both rows finished", func() bool { // the rows follow the events, a tick apart
		return h.u.clear.Visible() && h.rowState(ids[0]) == "Ready" && h.rowState(ids[1]) == "Ready"
	})
	test.Tap(h.u.clear)
	texts, tap := h.question()
	if !slices.Contains(texts, "Remove 2 downloads?") {
		t.Fatalf("got the question %q, want one for both downloads", texts)
	}
	tap("Remove from LM Studio too")
	h.waitFor("the list to be empty", func() bool { return len(h.m.Snapshots()) == 0 })
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("LM Studio still has %s", p)
		}
	}
}

func TestAvailableText(t *testing.T) {
	s := fetch.Snapshot{Records: []fetch.RecordSnapshot{
		{Shared: []fetch.Shared{{App: "LM Studio", Name: "org/repo"}, {App: "Ollama", Name: "hf.co/org/repo:Q4_K_M"}}},
		{Shared: []fetch.Shared{{App: "Ollama", Name: "hf.co/org/repo:Q8_0"}, {App: "Jan", Problem: "Jan was not found on this computer."}}},
		{},
	}}
	want := "Available in Ollama as hf.co/org/repo:Q4_K_M, hf.co/org/repo:Q8_0, LM Studio as org/repo\nJan was not found on this computer."
	if got := availableText(s); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := availableText(fetch.Snapshot{Records: []fetch.RecordSnapshot{{}}}); got != "" {
		t.Errorf("got %q for a download no app was asked for, want nothing", got)
	}
	for keys, want := range map[string]string{"ollama": "Ollama", "ollama,jan": "Ollama and Jan", "ollama,lmstudio,jan": "Ollama, LM Studio and Jan"} {
		if got := appNames(strings.Split(keys, ",")); got != want {
			t.Errorf("appNames(%s) = %q, want %q", keys, got, want)
		}
	}
}
