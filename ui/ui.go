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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/instance"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/dustin/go-humanize"
	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/hf"
)

// Options are what the window needs besides the app and the engine.
type Options struct {
	Catalog []catalog.Model
	// Icon is the app icon; rows of fetches without an icon of their own
	// show it too.
	Icon fyne.Resource
	// ModelsDir is the engine's folder for completed files: the download
	// folder until the person chooses another in the settings.
	ModelsDir string
	// Interval is how often the window shows what changed while it is
	// shown (eight times slower while it is hidden); 0 means twice a
	// second, as often as a person reads a changing number.
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
	// Settings are the proxy, CA file and metered choice every process
	// follows (instance.Store): Settings shows and saves them there. nil
	// keeps them in this window only.
	Settings *instance.Store
	// Version is the build the About dialog names.
	Version instance.Version
	// AutostartDir is where the desktop looks for programs to start at
	// login; "" is $XDG_CONFIG_HOME/autostart.
	AutostartDir string
	// TrayTooltip sets the tray icon's tooltip, which says what is
	// downloading; nil is the tray that Fyne drives.
	TrayTooltip func(text string)
	// Bus connects to the desktop's session bus, for notifications and to
	// ask whether a tray host shows the tray icon; nil means the session
	// bus of the environment. The caller of Bus closes the connection.
	Bus func() (*dbus.Conn, error)
	// Hub is the Hugging Face Hub of the "Hugging Face" tab beside the
	// catalog, nil for no tab; HubLayout is where its files go (the Hub
	// cache). HubTokenPath is the token file Settings writes, and
	// HubEngine the engine's Hub transport, which takes a new token and
	// says when it downloaded without a refused one (nil: neither).
	Hub          *hf.Client
	HubLayout    hf.Layout
	HubTokenPath string
	HubEngine    HubEngine
	// Apps finds the apps a model can be made available to (their
	// models folders); nil looks where each app keeps them on this
	// machine. It is called off the UI goroutine. The engine's
	// Config.Apps should find the same.
	Apps func() []apps.App
}

// HubEngine is the engine's side of the Hub token (hf.PublicTransport).
type HubEngine interface {
	SetToken(hf.Token)
	OnRefused(func(hf.Token))
}

// UI is the window and the goroutine that keeps it up to date. Create it
// with New and call Stop before the app's event loop ends; Quit does both.
type UI struct {
	app  fyne.App
	m    *downloader.Manager
	opts Options
	win  fyne.Window

	icon fyne.Resource // opts.Icon at the size of rows and cards

	// Fields below are touched on the UI goroutine only.
	prefs    settings
	rows     []rowData
	list     *fetchList
	listView fyne.CanvasObject // the list with its heading; the details take its place
	empty    fyne.CanvasObject
	cards    []*modelCard
	status   *widget.Label
	clear    *widget.Button
	split    *container.Split
	details  *detailsView
	tips     *tooltips
	tray     *tray
	add      *addURLForm   // the Add URL dialog while it is open
	checksum *checksumForm // the last Edit checksum dialog
	setup    *settingsForm
	dialog   dialog.Dialog // the dialog on top, while one is open
	enter    func()        // what Enter does in it, when it is a question
	selected string        // the fetch the list has selected, "" for none
	quitAsk  *quitQuestion // the last question closing the window asked
	notifier *notifier     // nil when notifications go through opts.Notify
	hub      *HubView      // nil without opts.Hub
	// hubClient is opts.Hub, and the client of a token saved since, for
	// the local API's resolves (HubClient), which run on other goroutines.
	hubClient  atomic.Pointer[hf.Client]
	hubUser    string // whose the token is, as the Hub said when it was saved
	places     *container.AppTabs
	found      []apps.App                 // the apps on this machine, as last found (findApps)
	foundKnown bool                       // found has been looked for
	jobs       map[int]context.CancelFunc // work off the UI goroutine (background), which Stop ends
	jobSeq     int

	shownID  atomic.Pointer[string] // the fetch the details view shows, for the poller
	visible  atomic.Bool            // the window is shown: the poller works out rows
	history  *history               // what happened to each fetch, shared with the poller
	kick     chan struct{}          // asks the poller to look now
	cancel   context.CancelFunc     // ends the poller (Stop)
	done     chan struct{}          // closed when the poller has returned
	stopOnce sync.Once

	// netProblem is why the saved proxy or CA file could not be used.
	netProblem error
}

// New builds the window for m and starts the goroutine that polls m. It
// applies the settings kept in a's preferences to m. Call it on the UI
// goroutine (or before the app runs).
func New(a fyne.App, m *downloader.Manager, opts Options) *UI {
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	if opts.Apps == nil {
		opts.Apps = systemApps
	}
	u := &UI{app: a, m: m, opts: opts, kick: make(chan struct{}, 1), done: make(chan struct{}), history: newHistory(),
		jobs: map[int]context.CancelFunc{}}
	u.visible.Store(true) // until it is hidden; a start in the tray hides it at once
	if u.opts.Reveal == nil {
		u.opts.Reveal = u.openFolder
	}
	if u.opts.Bus == nil {
		u.opts.Bus = instance.SessionBus
	}
	if u.opts.Notify == nil {
		u.setupNotifier()
	}
	u.icon = smallIcon(opts.Icon)
	carryOver(a.Preferences(), opts.Settings)
	u.prefs = loadSettings(a.Preferences(), opts.Settings, opts.ModelsDir)
	u.applySettings(u.prefs)

	u.win = a.NewWindow("ModelFetch")
	if opts.Icon != nil {
		u.win.SetIcon(opts.Icon)
	}
	u.win.SetContent(u.build())
	u.win.Resize(fyne.NewSize(980, 620))
	u.win.SetCloseIntercept(u.closeWindow)
	u.addShortcuts()
	a.Lifecycle().SetOnStopped(u.Stop)
	u.findApps(nil) // for Settings, which shows the apps at once

	ctx, cancel := context.WithCancel(context.Background())
	u.cancel = cancel
	d := newDiffer(u.m, u.opts.Catalog, u.icon, u.opts.Interval)
	d.history, d.hub = u.history, u.hubNames()
	// The subscription and the first read are made here, not in the
	// goroutine, so that the poller hears of everything the caller does
	// next, and of nothing from before its read.
	sub := u.m.Subscribe("", eventBuffer)
	d.reload(u.m.Snapshots(), time.Now())
	go u.poll(ctx, d, sub)
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
		if u.hub != nil {
			u.hub.Stop()
		}
		if u.opts.HubEngine != nil {
			u.opts.HubEngine.OnRefused(nil)
		}
		if u.setup != nil {
			u.setup.stop()
		}
		if u.notifier != nil {
			u.notifier.close()
		}
		for _, cancel := range u.jobs {
			cancel()
		}
	})
}

// Quit keeps where the divider is, stops the poller and quits the app;
// the engine stops when the app's Run returns. Call it on the UI
// goroutine.
func (u *UI) Quit() {
	u.saveLayout()
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

// setupNotifier sends notifications over D-Bus where a notification
// server answers, and through Fyne otherwise.
func (u *UI) setupNotifier() {
	reveal := func(path string) { u.opts.Do(func() { u.reveal(path) }) }
	fallback := func(n note) { u.app.SendNotification(&fyne.Notification{Title: n.title, Content: n.body}) }
	u.notifier = startNotifier(u.opts.Bus, reveal, fallback)
}

// prefSplit keeps where the person left the divider between the models
// and the downloads.
const prefSplit = "window.split"

func (u *UI) build() fyne.CanvasObject {
	u.tips = newTooltips()
	addURL := widget.NewButtonWithIcon("Add URL…", theme.ContentAddIcon(), u.showAddURL)
	settingsBtn := newTipButton(u.tips, theme.SettingsIcon(), "Settings (Ctrl+,)", u.showSettings)
	u.status = widget.NewLabel("") // the first poll says what is downloading
	about := newTipButton(u.tips, theme.InfoIcon(), "About ModelFetch", u.showAbout)
	bar := container.NewBorder(nil, nil, container.NewHBox(addURL, settingsBtn, about), nil, container.NewHBox(layout.NewSpacer(), u.status))

	modelsTitle := widget.NewLabelWithStyle("Models", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	cards := container.NewVBox()
	for _, model := range u.opts.Catalog {
		c := newModelCard(u, model)
		u.cards = append(u.cards, c)
		cards.Add(c)
		cards.Add(widget.NewSeparator())
	}
	models := u.withHub(container.NewBorder(modelsTitle, nil, nil, nil, container.NewVScroll(cards)))

	u.list = newFetchList(u)
	hint := widget.NewLabel("Nothing downloaded yet.\nPick a model, or add a URL.")
	hint.Alignment = fyne.TextAlignCenter
	u.empty = container.NewCenter(hint)
	downloadsTitle := widget.NewLabelWithStyle("Downloads", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.clear = widget.NewButton("Clear finished", u.clearFinished)
	u.clear.Importance = widget.LowImportance
	u.clear.Hide()
	u.listView = container.NewBorder(container.NewBorder(nil, nil, nil, u.clear, downloadsTitle), nil, nil, nil, container.NewStack(u.list, u.empty))
	u.details = newDetailsView(u)
	u.details.root.Hide()
	downloads := container.NewStack(u.listView, u.details.root)

	u.split = container.NewHSplit(models, downloads)
	u.split.Offset = u.app.Preferences().FloatWithFallback(prefSplit, 0.34)
	// A few rows of each panel show at the least; the width is the
	// panels' own, so that the window tiles on half a small screen.
	floor := canvas.NewRectangle(color.Transparent)
	floor.SetMinSize(fyne.NewSize(0, 420))
	content := container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, u.split)
	return container.NewStack(floor, content, u.tips.layer)
}

// saveLayout keeps the divider's place for the next start.
func (u *UI) saveLayout() {
	u.app.Preferences().SetFloat(prefSplit, u.split.Offset)
}

// selectRow is what selecting row i does: the details of its fetch open.
func (u *UI) selectRow(i widget.ListItemID) {
	if i < 0 || i >= len(u.rows) {
		return
	}
	u.selected = u.rows[i].id
	u.openDetails(u.selected)
}

// openDetails shows the details of fetch id in place of the list.
func (u *UI) openDetails(id string) {
	u.details.open(id)
	u.listView.Hide()
	u.shownID.Store(&id)
	u.refresh()
}

// closeDetails goes back to the list.
func (u *UI) closeDetails() {
	u.details.close()
	u.listView.Show()
	empty := ""
	u.shownID.Store(&empty)
	u.list.UnselectAll()
	u.selected = ""
}

// detailID is the fetch the details view shows, "" for none. The poller
// reads it.
func (u *UI) detailID() string {
	if p := u.shownID.Load(); p != nil {
		return *p
	}
	return ""
}

// apply shows what the poller found. It runs on the UI goroutine, once per
// poll that changed anything.
func (u *UI) apply(b batch) {
	if b.rows != nil {
		u.rows = b.rows
		u.list.Refresh()
		u.reselect()
	}
	for _, c := range b.changed {
		u.rows[c.index] = c.row
		u.list.refreshRow(c.row)
	}
	showIf(u.empty, len(u.rows) == 0)
	showIf(u.clear, slices.ContainsFunc(u.rows, func(r rowData) bool { return !r.active && !r.failed }))
	for i, ms := range b.models {
		u.cards[i].set(ms)
	}
	for _, n := range b.notes {
		u.notify(n)
	}
	if b.status != "" {
		u.status.SetText(b.status)
	}
	if b.tray != "" && u.tray != nil {
		u.tray.setStatus(b.tray)
	}
	if b.detail != nil {
		u.details.set(*b.detail)
	}
}

// reselect keeps the list's selection on the same fetch when the list
// changed order.
func (u *UI) reselect() {
	if u.selected == "" {
		return
	}
	i := slices.IndexFunc(u.rows, func(r rowData) bool { return r.id == u.selected })
	if i < 0 {
		u.closeDetails()
		return
	}
	u.list.selectQuietly(i)
}

// notify sends n: through opts.Notify when given, else over D-Bus.
func (u *UI) notify(n note) {
	if u.notifier != nil {
		u.notifier.send(n)
		return
	}
	u.opts.Notify(&fyne.Notification{Title: n.title, Content: n.body})
}

// download starts (or resumes) the fetch of a catalog model.
func (u *UI) download(model catalog.Model) {
	if model.HF != "" {
		u.openHubModel(model)
		return
	}
	opts := fetch.Options{Title: model.Title, Icon: model.Icon, Dir: u.dirFor(model.ID)}
	if err := u.ensure(model.ID, model.Requests(), opts); err != nil {
		u.showProblem("Cannot download "+model.Title, words.Sentence(err))
	}
}

// ensure starts the fetch of requests, or carries on with the one of the
// same files (Manager.Ensure). When a file is known with another SHA-256
// or name, it asks whether to replace them, and does.
func (u *UI) ensure(id string, requests []fetch.Request, opts fetch.Options) error {
	_, _, err := u.m.Ensure(id, requests, opts)
	var ce *fetch.ConflictError
	if errors.As(err, &ce) {
		u.askReplace(ce, func() {
			opts.Replace = true
			_, _, err := u.m.Ensure(id, requests, opts)
			u.check(err)
		})
		err = nil
	}
	u.refresh()
	return err
}

// askReplace asks whether the new SHA-256 or name of ce replaces the one
// known, and calls replace if so.
func (u *UI) askReplace(ce *fetch.ConflictError, replace func()) {
	what, old, now := "SHA-256", ce.Old, ce.New
	if ce.Field == fetch.InvalidName {
		what = "file name"
	}
	msg := fmt.Sprintf("%s is already in the list with the %s\n%s\nReplace it with\n%s?", titleFromURL(ce.URL), what, old, now)
	d := dialog.NewConfirm("Replace the "+what+"?", msg, func(ok bool) {
		if ok {
			replace()
		}
	}, u.win)
	d.SetConfirmText("Replace")
	d.SetConfirmImportance(widget.WarningImportance)
	d.SetDismissText("Keep the old one")
	u.showQuestion(d, d.Hide)
}

// Open starts the fetch an argument of `modelfetch ARG…` names: a model id
// from the catalog or an http(s) URL. What cannot be downloaded is also
// shown in the window, since a desktop launcher has no terminal.
func (u *UI) Open(arg string) error {
	if model, ok := catalog.Find(u.opts.Catalog, arg); ok {
		u.download(model)
		return nil
	}
	if u.openHub(arg) {
		return nil
	}
	if err := checkAddress(arg); err != nil {
		u.showProblem("Cannot download "+arg, fmt.Sprintf("The argument %q is neither a model id from the catalog nor a download address.", arg))
		return fmt.Errorf("%q is neither a catalog model nor a download address: %w", arg, err)
	}
	_, err := u.fetchURL(arg, "", "")
	if err != nil {
		u.showProblem("Cannot download "+arg, words.Sentence(err))
	}
	return err
}

// fetchURL starts the fetch of one URL under an id made from it, and
// returns the id.
func (u *UI) fetchURL(raw, title, sha string) (string, error) {
	id := fetch.IDForURLs([]string{raw})
	if title == "" {
		title = titleFromURL(raw)
	}
	req := fetch.Request{URL: raw, SHA256: sha}
	return id, u.ensure(id, []fetch.Request{req}, fetch.Options{Title: title, Dir: u.dirFor(id)})
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

// askCancelAbove is how much downloaded data Cancel deletes without
// asking first: a few megabytes are quicker to download again than to
// read a question about.
const askCancelAbove = 8 << 20

// cancel aborts a fetch, asking first when that deletes more than a few
// megabytes already downloaded.
func (u *UI) cancelFetch(r rowData) {
	if r.partial <= askCancelAbove {
		u.abort(r.id)
		return
	}
	msg := fmt.Sprintf("%s downloaded so far will be deleted.", humanize.Bytes(uint64(r.partial)))
	d := dialog.NewConfirm("Cancel "+r.title+"?", msg, func(ok bool) {
		if ok {
			u.abort(r.id)
		}
	}, u.win)
	d.SetConfirmText("Cancel download")
	d.SetConfirmImportance(widget.DangerImportance)
	d.SetDismissText("Keep downloading")
	u.showQuestion(d, d.Hide)
}

func (u *UI) abort(id string) {
	u.m.Abort(id) // false only when it had settled meanwhile: the row catches up
	u.refresh()
}

// retry downloads a failed or cancelled fetch again, as it was asked for.
func (u *UI) retry(id string) { u.check(u.m.Retry(id)) }

// checksumForm is the Edit checksum dialog.
type checksumForm struct {
	dialog  *dialog.CustomDialog
	entry   *formEntry
	problem *widget.Label
	check   *widget.Button
}

// editChecksum asks for the right SHA-256 of the file of url, which
// failed its check, and verifies the file already on disk against it.
func (u *UI) editChecksum(id, url string) {
	f := &checksumForm{entry: newFormEntry(u, false), problem: wrapped(widget.NewLabel(""))}
	f.entry.SetPlaceHolder("64 hexadecimal digits")
	f.problem.Importance = widget.DangerImportance
	f.problem.Hide()
	msg := wrapped(widget.NewLabel("The file is kept. Enter the SHA-256 it should have: it is checked against the file on disk, without downloading it again."))
	d := dialog.NewCustomWithoutButtons("Edit checksum of "+titleFromURL(url), container.NewVBox(msg, f.entry, f.problem), u.win)
	f.dialog = d
	clearOnEdit(f.problem, f.entry)
	f.check = widget.NewButton("Check the file", func() {
		if err := u.setDigest(id, url, f.entry.Text); err != nil {
			showProblem(f.problem, err)
			d.Resize(dialogSize(d, 560))
			return
		}
		d.Hide()
		u.refresh()
	})
	f.check.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), f.check})
	d.Resize(dialogSize(d, 560))
	u.checksum = f
	u.showDialog(d)
	u.win.Canvas().Focus(f.entry)
}

// setDigest reads sha as the Add URL form does, then has the engine
// verify the file against it.
func (u *UI) setDigest(id, url, typed string) error {
	sha, err := parseDigest(typed)
	if err == nil && sha == "" {
		err = &mistake{kind: noDigest}
	}
	if err != nil {
		return err
	}
	return u.m.SetDigest(id, url, sha)
}

// keepUnverified commits the file of url as it is, though it failed its
// SHA-256 check; the row then says it is not verified.
func (u *UI) keepUnverified(id, url string) { u.check(u.m.KeepUnverified(id, url)) }

// remove takes fetch id off the list (see removeAll).
func (u *UI) remove(id string) { u.removeAll([]string{id}) }

// clearFinished removes the downloads that are done with: ready or
// cancelled. Failed ones stay, with their Retry.
func (u *UI) clearFinished() {
	var ids []string
	for _, r := range u.rows {
		if !r.active && !r.failed {
			ids = append(ids, r.id)
		}
	}
	u.removeAll(ids)
}

// check shows an error a control met (the fetch changed under the tap),
// and brings the window up to date either way.
func (u *UI) check(err error) {
	if err != nil && !errors.Is(err, fetch.ErrNotFound) {
		u.showProblem("That did not work", words.Sentence(err))
	}
	u.refresh()
}

// reveal shows the folder of path, saying so when it cannot.
func (u *UI) reveal(path string) {
	if path == "" {
		return
	}
	if err := u.opts.Reveal(path); err != nil {
		u.folderProblem(filepath.Dir(path))
	}
}

// openFolder opens the folder that holds path in the file manager. The
// desktop answers after a moment: a failure then is said in the window.
func (u *UI) openFolder(path string) error {
	dir := filepath.Dir(path)
	u.openOutside(storage.NewFileURI(dir).String(), func() { u.folderProblem(dir) })
	return nil
}

// openOutside opens target (a folder, a web page) with the desktop's own
// application for it, on a goroutine of its own, and calls failed on the
// UI goroutine when the desktop could not.
func (u *UI) openOutside(target string, failed func()) {
	go func() {
		if err := openExternal(u.app, target); err != nil {
			u.opts.Do(failed)
		}
	}()
}

// folderProblem says that a folder could not be opened, and offers its
// path to copy: the file manager's own error means nothing to a person,
// where the folder is does.
func (u *UI) folderProblem(dir string) {
	msg := wrapped(widget.NewLabel("ModelFetch could not open the folder: no file manager answered. It is here:"))
	path := newCopyLine(u, "Folder")
	path.set(dir)
	d := dialog.NewCustom("Cannot open the folder", "Close", container.NewVBox(msg, path.root), u.win)
	d.Resize(dialogSize(d, 560))
	u.showQuestion(d, d.Hide)
}

// openSignIn opens a captive portal's page in the browser, to sign in to
// the network; the downloads waiting for it go on by themselves after.
func (u *UI) openSignIn(page string) {
	u.openOutside(page, func() {
		u.showProblem("Cannot open the sign-in page", "No web browser answered. Open "+page+" in a browser to sign in to the network; the downloads go on by themselves after.")
	})
}

// hubNames tells the Hub's fetches apart (see differ.hub).
func (u *UI) hubNames() hubNames {
	if u.opts.Hub == nil {
		return hubNames{}
	}
	return hubNames{endpoint: u.opts.Hub.Endpoint(), cache: u.opts.HubLayout}
}

// showProblem says what went wrong in a dialog that Enter closes.
func (u *UI) showProblem(title, message string) {
	d := dialog.NewInformation(title, message, u.win)
	u.showQuestion(d, d.Hide)
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
