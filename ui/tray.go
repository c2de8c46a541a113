package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"fyne.io/systray"
	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// tray is the system tray icon and its menu: Show, Pause all, Resume all
// and Quit. It lets the window close while downloads go on. The menu is
// set once and never changes, so that its items keep their ids: Fyne can
// only change a menu by sending the desktop a new one with new ids, and a
// click on an item of the menu a person opened before that is dropped.
// What is downloading is the icon's tooltip instead, which changes no id.
type tray struct {
	tooltip func(text string)
	shown   string
}

// SetupTray puts ModelFetch in the system tray of d. Closing the window
// then hides it where a tray host shows the icon; where none does, it
// asks first. Call it only when the desktop has a session bus: Fyne
// cannot quit cleanly with a tray and no bus.
func (u *UI) SetupTray(d desktop.App) {
	t := &tray{tooltip: u.opts.TrayTooltip}
	if t.tooltip == nil {
		t.tooltip = systray.SetTooltip // the tray Fyne drives: one per process
	}
	quit := fyne.NewMenuItem("Quit", u.Quit)
	quit.IsQuit = true
	menu := fyne.NewMenu("ModelFetch",
		fyne.NewMenuItem("Show ModelFetch", u.Show),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Pause all", func() { u.m.PauseAll(); u.refresh() }),
		fyne.NewMenuItem("Resume all", func() { u.m.ResumeAll(); u.refresh() }),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	u.tray = t
	if u.opts.Icon != nil {
		d.SetSystemTrayIcon(u.opts.Icon)
	}
	d.SetSystemTrayMenu(menu)
	d.SetSystemTrayWindow(u.win)
	// Fyne's SetSystemTrayWindow (2.7) makes closing the window hide it,
	// replacing the window's own handler: where no tray host shows the
	// icon, that left an invisible process. The window's own comes back.
	u.win.SetCloseIntercept(u.closeWindow)
	if u.opts.TrayTooltip == nil {
		// Fyne's tray shows the window itself on a click; the poller must
		// know, so the click goes through Show.
		systray.SetOnTapped(func() { fyne.Do(u.Show) })
	}
	if u.status.Text != "" {
		t.setStatus(u.status.Text) // else the first poll sets it
	}
}

// Show brings the window forward: from the tray, or for a second start of
// the app. Call it on the UI goroutine.
func (u *UI) Show() {
	u.visible.Store(true)
	u.refresh() // the rows, not worked out while hidden
	u.win.Show()
	u.win.RequestFocus()
}

// hide hides the window; the poller then works out only what the tray
// and the notifications say.
func (u *UI) hide() {
	u.visible.Store(false)
	u.win.Hide()
}

// setStatus shows line as the tray icon's tooltip.
func (t *tray) setStatus(line string) {
	if t.shown == line {
		return
	}
	t.shown = line
	t.tooltip("ModelFetch: " + line)
}

// trayWatcher is the bus name of the StatusNotifierWatcher, the desktop
// part that shows tray icons; Fyne's tray registers with it.
const trayWatcher = "org.kde.StatusNotifierWatcher"

// hasTrayHost reports whether something on the session bus shows tray
// icons; Windows' notification area and macOS's menu bar always do. It
// talks to the bus: call it off the UI goroutine.
func (u *UI) hasTrayHost() bool {
	if !busDesktop() {
		return true
	}
	conn, err := u.opts.Bus()
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, trayWatcher).Store(&has)
	return err == nil && has
}

// closeWindow is what the window's close button does. With a tray icon
// a person can see, the window hides and downloads go on. Without one, a
// hidden window would leave an invisible process: when something is
// downloading, it asks whether to carry on in the background or pause
// and quit; otherwise it quits.
func (u *UI) closeWindow() {
	u.saveLayout()
	if u.tray == nil {
		u.askBeforeQuit()
		return
	}
	go func() {
		host := u.hasTrayHost()
		u.opts.Do(func() {
			if host {
				u.hideToTray()
				return
			}
			u.askBeforeQuit()
		})
	}()
}

// prefToldTray remembers that a person was told, once, that the window
// goes to the tray.
const prefToldTray = "window.toldTray"

// hideToTray hides the window, saying the first time that ModelFetch
// carries on in the tray: a window that vanishes could look like a quit.
func (u *UI) hideToTray() {
	u.hide()
	p := u.app.Preferences()
	if p.Bool(prefToldTray) {
		return
	}
	p.SetBool(prefToldTray, true)
	u.notify(note{title: "ModelFetch keeps downloading in the tray",
		body: "Its icon in the tray shows the window again; Quit is in its menu."})
}

// askBeforeQuit quits at once when nothing is downloading, and asks
// otherwise. Escape, or closing the question, leaves everything as it was.
func (u *UI) askBeforeQuit() {
	if !u.anyActive() {
		u.Quit()
		return
	}
	msg := widget.NewLabel("Downloads are still running. They can go on in the background, with no window and no icon: start ModelFetch again to see them. Or pause them and quit: they stay paused until you resume them.")
	msg.Wrapping = fyne.TextWrapWord
	q := &quitQuestion{dialog: dialog.NewCustomWithoutButtons("Keep downloading?", msg, u.win)}
	q.keep = widget.NewButton("Keep downloading in the background", func() {
		q.dialog.Hide()
		u.hide()
	})
	q.keep.Importance = widget.HighImportance
	q.quit = widget.NewButton("Pause and quit", func() {
		q.dialog.Hide()
		u.m.PauseAll()
		u.Quit()
	})
	q.dialog.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", q.dialog.Hide), q.quit, q.keep})
	q.dialog.Resize(dialogSize(q.dialog, 520))
	u.quitAsk = q
	u.showQuestion(q.dialog, q.keep.OnTapped)
}

// quitQuestion is the question closing the window asks where no tray
// icon would be left.
type quitQuestion struct {
	dialog     *dialog.CustomDialog
	keep, quit *widget.Button
}

// anyActive reports whether any fetch is downloading or waiting to. It
// asks the engine (memory only), since the list may be a poll behind.
func (u *UI) anyActive() bool {
	for _, s := range u.m.Snapshots() {
		if s.Active() && s.State != fetch.StatePaused {
			return true
		}
	}
	return false
}
