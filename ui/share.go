package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// This file makes a finished Hugging Face model available to the apps
// people run models in (Ollama, LM Studio, Jan, GPT4All): "Use in…" in
// the details, the apps a download is available in, the setting that does
// it for every new model, and the question Remove asks while apps still
// have a download's file. The engine shares (Manager.Share) and says in
// each record's Shared how it went; finding the apps and sharing touch
// the disk, so both run off the UI goroutine (background).

// systemApps are the apps whose models folder is on this machine.
func systemApps() []apps.App { return apps.Find(apps.System()) }

// background runs work on a goroutine of its own, with a context that
// Stop cancels, and then the function work returns on the UI goroutine,
// unless Stop came first. Call it on the UI goroutine.
func (u *UI) background(work func(ctx context.Context) func()) {
	ctx, cancel := context.WithCancel(context.Background())
	u.jobSeq++
	n := u.jobSeq
	u.jobs[n] = cancel
	go func() {
		apply := work(ctx)
		if ctx.Err() != nil {
			return // stopped: the window is going
		}
		u.opts.Do(func() {
			delete(u.jobs, n)
			cancel()
			apply()
		})
	}()
}

// findApps looks for the apps on this machine, keeps what it found, and
// then calls then (nil: nothing more) on the UI goroutine.
func (u *UI) findApps(then func(found []apps.App)) {
	find := u.opts.Apps
	u.background(func(context.Context) func() {
		found := find()
		return func() {
			u.found, u.foundKnown = found, true
			if then != nil {
				then(found)
			}
		}
	})
}

// appKey is the key of app a (apps.Keys).
func appKey(a apps.App) string { return apps.Key(a.Name()) }

// appFor is the app of key among found.
func appFor(found []apps.App, key string) (apps.App, bool) {
	i := slices.IndexFunc(found, func(a apps.App) bool { return appKey(a) == key })
	if i < 0 {
		return nil, false
	}
	return found[i], true
}

// inApp is what a fetch's records say of one app.
type inApp struct {
	key      string
	names    []string // the model's names in the app, one a model file
	copy     int64    // what the copies the app needs would cost, not made since not allowed
	problems []string // why a file is not there, in the engine's sentences
}

// inApps is what s's records say of each app, in the order of apps.Keys.
func inApps(s fetch.Snapshot) []inApp {
	var out []inApp
	for _, key := range apps.Keys() {
		st := inApp{key: key}
		for _, r := range s.Records {
			for _, sh := range r.Shared {
				switch {
				case apps.Key(sh.App) != key:
				case sh.Problem == "" && sh.Name != "":
					st.names = append(st.names, sh.Name)
				case sh.Copy > 0:
					st.copy += sh.Copy
					st.problems = append(st.problems, sh.Problem)
				case sh.Problem != "":
					st.problems = append(st.problems, sh.Problem)
				}
			}
		}
		if len(st.names)+len(st.problems) > 0 {
			out = append(out, st)
		}
	}
	return out
}

// usedBy are the apps that have a file of s through ModelFetch, by key.
func usedBy(s fetch.Snapshot) []string {
	var keys []string
	for _, st := range inApps(s) {
		if len(st.names) > 0 {
			keys = append(keys, st.key)
		}
	}
	return keys
}

// availableText says which apps have s and under which names ("Available
// in Ollama as hf.co/org/repo:Q4_K_M, LM Studio as org/repo"), and why an
// app asked for does not, one line each; "" when no app was asked for.
func availableText(s fetch.Snapshot) string {
	var in, lines []string
	for _, st := range inApps(s) {
		if len(st.names) > 0 {
			in = append(in, apps.Name(st.key)+" as "+strings.Join(st.names, ", "))
		}
		lines = append(lines, st.problems...)
	}
	if len(in) > 0 {
		lines = append([]string{"Available in " + strings.Join(in, ", ")}, lines...)
	}
	return strings.Join(lines, "\n")
}

// appNames is "Ollama", "Ollama and LM Studio", "Ollama, LM Studio and
// Jan".
func appNames(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = apps.Name(k)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// useInDialog is "Use in…": the apps found on this machine, each with
// what it has of the download and a button that gives it the download.
type useInDialog struct {
	dialog *dialog.CustomDialog
	id     string
	lines  map[string]*appLine // by app key
}

// appLine is one app of "Use in…".
type appLine struct {
	state  *widget.Label
	button *widget.Button
	root   fyne.CanvasObject
}

// showUseIn opens "Use in…" for the finished fetch id, once the apps on
// this machine are found.
func (u *UI) showUseIn(id string) {
	u.findApps(func(found []apps.App) { u.openUseIn(id, found) })
}

func (u *UI) openUseIn(id string, found []apps.App) {
	s, ok := u.m.Get(id)
	if !ok {
		u.refresh()
		return
	}
	f := &useInDialog{id: id, lines: map[string]*appLine{}}
	intro := wrapped(widget.NewLabel("The app gets the file ModelFetch verified, under the name its own download would give it: " +
		"a link to the same file, which takes no more space. A copy is made only if you agree to it."))
	box := container.NewVBox(intro, widget.NewSeparator())
	if len(found) == 0 {
		box.Add(wrapped(widget.NewLabel("No app that runs models was found on this computer: ModelFetch looks for the models folders of " +
			appNames(apps.Keys()) + " where each keeps them.")))
	}
	for _, a := range found {
		key := appKey(a)
		l := newAppLine(a, func() { u.shareWith(f, key, false) })
		f.lines[key] = l
		box.Add(l.root)
	}
	f.set(s)
	f.dialog = dialog.NewCustom("Use "+u.hubNames().title(s)+" in…", "Close", box, u.win)
	f.dialog.Resize(dialogSize(f.dialog, 620))
	u.showQuestion(f.dialog, f.dialog.Hide)
}

func newAppLine(a apps.App, use func()) *appLine {
	name := widget.NewLabelWithStyle(a.Name(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	folder := widget.NewLabel(shortPath(a.Dir()))
	folder.SizeName = theme.SizeNameCaptionText
	folder.Truncation = fyne.TextTruncateEllipsis
	l := &appLine{state: wrapped(widget.NewLabel("")), button: widget.NewButtonWithIcon("Use in "+a.Name(), theme.MailForwardIcon(), use)}
	l.root = container.NewBorder(nil, nil, nil, container.NewCenter(l.button), container.NewVBox(name, folder, l.state))
	return l
}

// set shows what s says of each app.
func (f *useInDialog) set(s fetch.Snapshot) {
	for key, l := range f.lines {
		l.state.Importance = widget.MediumImportance
		l.state.SetText("Not in " + apps.Name(key) + " yet.")
		for _, st := range inApps(s) {
			if st.key == key {
				l.show(st)
			}
		}
	}
}

// show says what an app has of the download.
func (l *appLine) show(st inApp) {
	if len(st.names) > 0 {
		l.state.Importance = widget.SuccessImportance
		l.state.SetText("Available as " + strings.Join(st.names, ", "))
		return
	}
	l.say(strings.Join(st.problems, "\n"))
}

// say shows a problem.
func (l *appLine) say(problem string) {
	l.state.Importance = widget.DangerImportance
	l.state.SetText(problem)
}

// shareWith gives the app key the files of f's fetch, and shows how that
// went. Where the app needs a copy and allowCopy is false, it asks.
func (u *UI) shareWith(f *useInDialog, key string, allowCopy bool) {
	l := f.lines[key]
	l.button.Disable()
	l.state.Importance = widget.MediumImportance
	l.state.SetText("Giving it to " + apps.Name(key) + "…")
	if allowCopy {
		l.state.SetText("Copying the file to " + apps.Name(key) + "…")
	}
	id := f.id
	u.background(func(ctx context.Context) func() {
		s, err := u.m.Share(ctx, id, key, allowCopy)
		return func() { u.shared(f, key, s, err, allowCopy) }
	})
}

// shared shows what sharing with key did, and asks for a copy where one
// is needed and was not allowed.
func (u *UI) shared(f *useInDialog, key string, s fetch.Snapshot, err error, allowCopy bool) {
	l := f.lines[key]
	l.button.Enable()
	u.refresh()
	if err != nil {
		l.say(words.Sentence(err))
		return
	}
	f.set(s)
	for _, st := range inApps(s) {
		if st.key == key && st.copy > 0 && !allowCopy {
			u.askCopy(f, key, st.copy)
		}
	}
}

// askCopy asks whether to copy the download into an app that cannot
// link to it: a copy is a last resort, made only when the person agrees.
func (u *UI) askCopy(f *useInDialog, key string, size int64) {
	msg := fmt.Sprintf("%s keeps its models on another disk: make a copy of %s?", apps.Name(key), humanize.Bytes(uint64(size)))
	d := dialog.NewConfirm("Make a copy?", msg, func(ok bool) {
		if ok {
			u.shareWith(f, key, true)
		}
	}, u.win)
	d.SetConfirmText("Make the copy")
	d.SetDismissText("Don't copy")
	u.showQuestion(d, d.Hide)
}

// shareNewField is Settings' "Make new models available to": a check
// box for each app. An app not found on this computer cannot be
// chosen, and says so; one chosen before stays, to be unticked.
type shareNewField struct {
	root   fyne.CanvasObject
	checks []*formCheck // in the order of apps.Keys
}

func (u *UI) newShareNewField() *shareNewField {
	f := &shareNewField{}
	objs := make([]fyne.CanvasObject, len(apps.Keys()))
	for i, key := range apps.Keys() {
		c := newFormCheck(u, apps.Name(key))
		c.SetChecked(slices.Contains(u.prefs.shareNew, key))
		f.checks = append(f.checks, c)
		objs[i] = c
	}
	f.root = container.NewGridWithColumns(2, objs...)
	if u.foundKnown {
		f.setFound(u.found)
	}
	u.findApps(f.setFound) // an app installed since the window started
	return f
}

// setFound enables the apps found.
func (f *shareNewField) setFound(found []apps.App) {
	for i, key := range apps.Keys() {
		c := f.checks[i]
		_, ok := appFor(found, key)
		c.Text = apps.Name(key)
		if !ok {
			c.Text += " (not found)"
		}
		if ok || c.Checked {
			c.Enable()
		} else {
			c.Disable()
		}
		c.Refresh()
	}
}

// keys are the apps ticked.
func (f *shareNewField) keys() []string {
	var keys []string
	for i, key := range apps.Keys() {
		if f.checks[i].Checked {
			keys = append(keys, key)
		}
	}
	return keys
}

// removeAll takes the fetches ids off the list. A finished download that
// apps still have through ModelFetch's links is asked about first: the
// links can go too, or stay.
func (u *UI) removeAll(ids []string) {
	var shared []fetch.Snapshot
	for _, id := range ids {
		if s, ok := u.m.Get(id); ok && len(usedBy(s)) > 0 {
			shared = append(shared, s)
			continue
		}
		u.drop(id)
	}
	if len(shared) > 0 {
		u.askUnshare(shared)
	}
}

// drop takes fetch id off the list.
func (u *UI) drop(id string) {
	if id == u.selected {
		u.closeDetails()
	}
	u.check(u.m.Remove(id))
}

// askUnshare asks whether removing snaps from the list removes them from
// the apps that have them through ModelFetch's links too.
func (u *UI) askUnshare(snaps []fetch.Snapshot) {
	var keys []string
	for _, s := range snaps {
		for _, k := range usedBy(s) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Index(apps.Keys(), a) - slices.Index(apps.Keys(), b) })
	what, model, it := u.hubNames().title(snaps[0]), "this model", "it"
	if len(snaps) > 1 {
		what, model, it = fmt.Sprintf("%d downloads", len(snaps)), "these models", "them"
	}
	has := "have"
	if len(keys) == 1 {
		has = "has"
	}
	msg := fmt.Sprintf("%s still %s %s through links ModelFetch made: removing %s from the list only leaves %s there. "+
		"Remove %s from %s too? Only what ModelFetch put there goes; the downloaded files stay where they are.",
		appNames(keys), has, model, it, it, it, appNames(keys))
	d := dialog.NewCustomWithoutButtons("Remove "+what+"?", wrapped(widget.NewLabel(msg)), u.win)
	listOnly := widget.NewButton("Remove from the list only", func() {
		d.Hide()
		for _, s := range snaps {
			u.drop(s.ID)
		}
	})
	fromApps := widget.NewButton("Remove from "+appNames(keys)+" too", func() {
		d.Hide()
		u.unshareAndDrop(snaps)
	})
	fromApps.Importance = widget.WarningImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), listOnly, fromApps})
	d.Resize(dialogSize(d, 620))
	u.showQuestion(d, d.Hide)
}

// unshareAndDrop removes what ModelFetch put in the apps for snaps
// (Manager.Unshare: only what it made there goes), off the UI goroutine,
// and then takes off the list the downloads whose links are all gone; the
// others stay, and a dialog says why.
func (u *UI) unshareAndDrop(snaps []fetch.Snapshot) {
	hub := u.hubNames()
	u.background(func(context.Context) func() {
		var done, problems []string
		for _, s := range snaps {
			var failed bool
			for _, key := range usedBy(s) {
				if _, err := u.m.Unshare(s.ID, key); err != nil {
					failed = true
					problems = append(problems, fmt.Sprintf("What ModelFetch put in %s for %s could not all be removed. %s",
						apps.Name(key), hub.title(s), words.Sentence(err)))
				}
			}
			if !failed {
				done = append(done, s.ID)
			}
		}
		return func() {
			for _, id := range done {
				u.drop(id)
			}
			if len(problems) > 0 {
				u.showProblem("Not removed from every app", strings.Join(problems, "\n")+"\nWhat could not be removed stays in the list.")
			}
		}
	})
}
