package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// tray is the system tray icon's menu: Show, a status line, Pause all,
// Resume all and Quit. It lets the window close while downloads go on.
type tray struct {
	app    desktop.App
	menu   *fyne.Menu
	status *fyne.MenuItem
}

// SetupTray puts ModelFetch in the system tray of d, and makes closing the
// window hide it instead of quitting. Call it only when the desktop has a
// session bus: Fyne cannot quit cleanly with a tray and no bus.
func (u *UI) SetupTray(d desktop.App) {
	t := &tray{app: d}
	t.status = fyne.NewMenuItem(u.status.Text, nil)
	t.status.Disabled = true
	quit := fyne.NewMenuItem("Quit", u.Quit)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("ModelFetch",
		fyne.NewMenuItem("Show ModelFetch", u.Show),
		t.status,
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
	d.SetSystemTrayMenu(t.menu)
	d.SetSystemTrayWindow(u.win)
	u.win.SetCloseIntercept(u.win.Hide)
}

// Show brings the window forward: from the tray, or for a second start of
// the app. Call it on the UI goroutine.
func (u *UI) Show() {
	u.win.Show()
	u.win.RequestFocus()
}

// setStatus shows line in the menu. The tray rebuilds its whole menu on
// each change, so the poller only calls it when the words change.
func (t *tray) setStatus(line string) {
	if t.status.Label == line {
		return
	}
	t.status.Label = line
	t.app.SetSystemTrayMenu(t.menu)
}
