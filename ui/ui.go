// Package ui is ModelFetch's window: the models a person can download, the
// list of fetches with their progress and controls, the Add URL and
// settings dialogs, notifications and the tray menu. It is one client of
// the engine (package downloader), which keeps downloading when the window
// is hidden. It never imports fyne.io/fyne/v2/app: main creates the app, so
// that these tests run on Fyne's test driver.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/ui/cli"
)

// Options are what the window needs besides the app and the engine.
type Options struct {
	Catalog []downloader.Model
	// Icon is the app icon; rows of fetches without an icon of their own
	// show it too.
	Icon fyne.Resource
	// ModelsDir is the engine's folder for completed files: the download
	// folder until the person chooses another in the settings.
	ModelsDir string
	// Interval is how often progress is read while something downloads;
	// 0 means four times a second.
	Interval time.Duration
	// Do runs f on the UI goroutine; nil means fyne.Do. Tests pass their
	// own so that UI work runs on the test goroutine, as it does on the UI
	// goroutine in the app.
	Do func(f func())
	// Reveal shows a file's folder to the person; nil opens the folder
	// with the desktop's file manager.
	Reveal func(path string) error
	// Notify sends a system notification. nil sends it with the app on a
	// goroutine of its own: on Linux that is a D-Bus call, which must not
	// hold up the UI goroutine.
	Notify func(n *fyne.Notification)
	// Version is the build the About dialog names.
	Version cli.Version
	// AutostartDir is where the desktop looks for programs to start at
	// login; "" is $XDG_CONFIG_HOME/autostart.
	AutostartDir string
}

// UI is the window and the goroutine that keeps it up to date. Create it
// with New and call Stop before the app's event loop ends; Quit does both.
type UI struct {
	app  fyne.App
	m    *downloader.Manager
	opts Options
	win  fyne.Window

	// Fields below are touched on the UI goroutine only.
	prefs  settings
	rows   []rowData
	list   *widget.List
	empty  fyne.CanvasObject
	cards  []*modelCard
	status *widget.Label
	tray   *tray
	add    *addURLForm // the Add URL dialog while it is open
	setup  *settingsForm

	kick     chan struct{} // asks the poller to look now
	cancel   context.CancelFunc
	done     chan struct{} // closed when the poller has returned
	stopOnce sync.Once
}

// New builds the window for m and starts the goroutine that polls m. It
// applies the settings kept in a's preferences to m. Call it on the UI
// goroutine (or before the app runs).
func New(a fyne.App, m *downloader.Manager, opts Options) *UI {
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	u := &UI{app: a, m: m, opts: opts, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if u.opts.Reveal == nil {
		u.opts.Reveal = u.openFolder
	}
	if u.opts.Notify == nil {
		u.opts.Notify = func(n *fyne.Notification) { go a.SendNotification(n) }
	}
	u.prefs = loadSettings(a.Preferences(), opts.ModelsDir)
	u.applySettings(u.prefs)

	u.win = a.NewWindow("ModelFetch")
	if opts.Icon != nil {
		u.win.SetIcon(opts.Icon)
	}
	u.win.SetContent(u.build())
	u.win.Resize(fyne.NewSize(980, 620))
	a.Lifecycle().SetOnStopped(u.Stop)

	ctx, cancel := context.WithCancel(context.Background())
	u.cancel = cancel
	go u.poll(ctx)
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Stop ends the poller and waits for it, so that no UI update is queued
// once the app's event loop has ended. It is safe to call more than once.
func (u *UI) Stop() {
	u.stopOnce.Do(func() {
		u.cancel()
		<-u.done
	})
}

// Quit stops the poller and quits the app; the engine stops when the
// app's Run returns.
func (u *UI) Quit() {
	u.Stop()
	u.app.Quit()
}

// refresh asks the poller to read the engine now rather than on its next
// tick, so that a tap shows its effect at once.
func (u *UI) refresh() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

func (u *UI) build() fyne.CanvasObject {
	addURL := widget.NewButtonWithIcon("Add URL…", theme.ContentAddIcon(), u.showAddURL)
	settingsBtn := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), u.showSettings)
	u.status = widget.NewLabel("Nothing downloading")
	about := widget.NewButtonWithIcon("About", theme.InfoIcon(), u.showAbout)
	bar := container.NewHBox(addURL, settingsBtn, about, layout.NewSpacer(), u.status)

	modelsTitle := widget.NewLabelWithStyle("Models", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	cards := container.NewVBox()
	for _, model := range u.opts.Catalog {
		c := newModelCard(u, model)
		u.cards = append(u.cards, c)
		cards.Add(c)
		cards.Add(widget.NewSeparator())
	}
	models := container.NewBorder(modelsTitle, nil, nil, nil, container.NewVScroll(cards))

	u.list = widget.NewList(
		func() int { return len(u.rows) },
		func() fyne.CanvasObject { return newFetchRow(u) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*fetchRow).bind(u.rows[i]) },
	)
	u.list.OnSelected = u.activate
	hint := widget.NewLabel("Nothing downloaded yet: pick a model, or add a URL.")
	hint.Alignment = fyne.TextAlignCenter
	u.empty = container.NewCenter(hint)
	downloadsTitle := widget.NewLabelWithStyle("Downloads", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	downloads := container.NewBorder(downloadsTitle, nil, nil, nil, container.NewStack(u.list, u.empty))

	split := container.NewHSplit(models, downloads)
	split.Offset = 0.34
	// The window may not shrink below a size where a few rows of each
	// panel still show: the scrolling panels alone would allow a sliver.
	floor := canvas.NewRectangle(color.Transparent)
	floor.SetMinSize(fyne.NewSize(720, 460))
	return container.NewStack(floor, container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, split))
}

// activate is Background Fetch's click event: selecting a ready row
// reveals its file.
func (u *UI) activate(i widget.ListItemID) {
	u.list.Unselect(i)
	if i < 0 || i >= len(u.rows) || !u.rows[i].ready {
		return
	}
	u.reveal(u.rows[i].file)
}

// apply shows what the poller found. It runs on the UI goroutine, once per
// poll that changed anything.
func (u *UI) apply(b batch) {
	if b.rows != nil {
		u.rows = b.rows
		u.list.Refresh()
	}
	for _, c := range b.changed {
		u.rows[c.index] = c.row
		u.list.RefreshItem(c.index)
	}
	if len(u.rows) == 0 {
		u.empty.Show()
	} else {
		u.empty.Hide()
	}
	for i, ms := range b.models {
		u.cards[i].set(ms)
	}
	for _, n := range b.notes {
		u.opts.Notify(n)
	}
	if b.status != "" {
		u.status.SetText(b.status)
		if u.tray != nil {
			u.tray.setStatus(b.status)
		}
	}
}

// download starts (or resumes) the fetch of a catalog model.
func (u *UI) download(model downloader.Model) {
	opts := downloader.Options{Title: model.Title, Icon: model.Icon, Dir: u.dirFor(model.ID)}
	_, err := u.m.Fetch(model.ID, model.Requests(), opts)
	if errors.Is(err, downloader.ErrDuplicateID) {
		err = u.m.Resume(model.ID)
	}
	if err != nil {
		u.showProblem("Cannot download "+model.Title, sentence(err))
	}
	u.refresh()
}

// Open starts the fetch an argument of `modelfetch ARG…` names: a model id
// from the catalog or an http(s) URL. What cannot be downloaded is also
// shown in the window, since a desktop launcher has no terminal.
func (u *UI) Open(arg string) error {
	if model, ok := downloader.FindModel(u.opts.Catalog, arg); ok {
		u.download(model)
		return nil
	}
	err := checkURL(arg)
	if err != nil {
		err = fmt.Errorf("%q is neither a model id from the catalog nor a download address: %w", arg, err)
	} else {
		_, err = u.fetchURL(arg, "", "")
	}
	if err != nil {
		u.showProblem("Cannot download "+arg, sentence(err))
	}
	return err
}

// fetchURL starts the fetch of one URL under an id made from it, and
// returns the id.
func (u *UI) fetchURL(raw, title, sha string) (string, error) {
	id := downloader.IDForURLs([]string{raw})
	if title == "" {
		title = titleFromURL(raw)
	}
	req := downloader.Request{URL: raw, SHA256: strings.ToLower(sha)}
	_, err := u.m.Fetch(id, []downloader.Request{req}, downloader.Options{Title: title, Dir: u.dirFor(id)})
	if errors.Is(err, downloader.ErrDuplicateID) {
		err = u.m.Resume(id)
	}
	u.refresh()
	return id, err
}

// dirFor is where the files of fetch id go: the engine's own folder unless
// the person chose another download folder.
func (u *UI) dirFor(id string) string {
	if u.prefs.dir == "" || filepath.Clean(u.prefs.dir) == filepath.Clean(u.opts.ModelsDir) {
		return ""
	}
	return filepath.Join(u.prefs.dir, id)
}

func (u *UI) pauseOrResume(id string, paused bool) {
	var err error
	if paused {
		err = u.m.Resume(id)
	} else {
		err = u.m.Pause(id)
	}
	u.check(err)
}

func (u *UI) abort(id string) {
	u.m.Abort(id) // false only when it had settled meanwhile: the row catches up
	u.refresh()
}

func (u *UI) retry(id string) { u.check(u.m.Retry(id)) }

func (u *UI) remove(id string) { u.check(u.m.Remove(id)) }

// check shows an error a control met (the fetch changed under the tap),
// and brings the window up to date either way.
func (u *UI) check(err error) {
	if err != nil && !errors.Is(err, downloader.ErrNotFound) {
		u.showProblem("That did not work", sentence(err))
	}
	u.refresh()
}

// reveal shows the folder of path, saying so when it cannot.
func (u *UI) reveal(path string) {
	if path == "" {
		return
	}
	if err := u.opts.Reveal(path); err != nil {
		u.showProblem("Cannot open the folder", fmt.Sprintf("%s could not be opened: %v.", filepath.Dir(path), err))
	}
}

// openFolder opens the folder that holds path in the file manager.
func (u *UI) openFolder(path string) error {
	link, err := url.Parse(storage.NewFileURI(filepath.Dir(path)).String())
	if err != nil {
		return err
	}
	return u.app.OpenURL(link)
}

func (u *UI) showProblem(title, message string) {
	d := dialog.NewInformation(title, message, u.win)
	d.Show()
}

// sentence is an error as a person reads it: capitalised, with a period.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// titleFromURL is the file name of a URL, a fine title when none is given.
func titleFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if name := path.Base(u.Path); name != "/" && name != "." {
		return name
	}
	return u.Host
}
