package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

var (
	_ fyne.Focusable  = (*formEntry)(nil)
	_ desktop.Keyable = (*formEntry)(nil)
	_ fyne.Focusable  = (*fetchList)(nil)
)

// The window's shortcuts.
var (
	shortcutAddURL   = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutSettings = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
)

// addShortcuts binds Ctrl+L (Add URL) and Ctrl+, (Settings), and the keys
// that act on the selected download when nothing else has the focus:
// Space pauses or resumes it, Delete cancels or removes it, Escape
// closes what is open.
func (u *UI) addShortcuts() {
	c := u.win.Canvas()
	c.AddShortcut(shortcutAddURL, func(fyne.Shortcut) { u.showAddURL() })
	c.AddShortcut(shortcutSettings, func(fyne.Shortcut) { u.showSettings() })
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { u.typedKey(e.Name) })
}

// typedKey handles a key no widget took. It reports whether it did
// something with it.
func (u *UI) typedKey(key fyne.KeyName) bool {
	switch key {
	case fyne.KeyEscape:
		return u.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		return u.submitDialog()
	}
	if u.dialog != nil {
		return false
	}
	r, ok := u.selectedRow()
	if !ok {
		return false
	}
	switch key {
	case fyne.KeySpace:
		if r.active {
			u.pauseOrResume(r.id, r.paused)
		}
	case fyne.KeyDelete:
		if r.active {
			u.cancelFetch(r)
		} else {
			u.remove(r.id)
		}
	default:
		return false
	}
	return true
}

// escape closes the dialog on top, or else the details view.
func (u *UI) escape() bool {
	switch {
	case u.dialog != nil:
		u.dialog.Hide()
	case u.details.id != "":
		u.closeDetails()
	default:
		return false
	}
	return true
}

// submitDialog does what Enter does in the open form: Download, Save.
func (u *UI) submitDialog() bool {
	switch {
	case u.add != nil && u.dialog == u.add.dialog:
		u.submitAddURL(u.add)
	case u.setup != nil && u.dialog == u.setup.dialog:
		u.submitSettings(u.setup)
	case u.checksum != nil && u.dialog == u.checksum.dialog:
		u.checksum.check.OnTapped()
	default:
		return false
	}
	return true
}

// showDialog shows d and keeps it as the one Escape closes.
func (u *UI) showDialog(d dialog.Dialog) {
	prev := u.dialog
	u.dialog = d
	d.SetOnClosed(func() {
		if u.dialog == d {
			u.dialog = prev
		}
		if u.add != nil && u.add.dialog == d {
			u.add = nil
		}
		if u.setup != nil && u.setup.dialog == d {
			u.setup = nil
		}
	})
	d.Show()
}

// dialogSize is d as wide as width, and as tall as it needs.
func dialogSize(d dialog.Dialog, width float32) fyne.Size {
	return fyne.NewSize(width, d.MinSize().Height)
}

// selectedRow is the row the list has selected.
func (u *UI) selectedRow() (rowData, bool) {
	for _, r := range u.rows {
		if r.id == u.selected {
			return r, true
		}
	}
	return rowData{}, false
}

// formEntry is an entry of a dialog's form: Escape closes the dialog and
// Enter submits it, as in the desktop's other dialogs. In a multi-line
// entry Shift+Enter starts a new line.
type formEntry struct {
	widget.Entry
	u     *UI
	shift bool
}

func newFormEntry(u *UI, multiLine bool) *formEntry {
	e := &formEntry{u: u}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

func (e *formEntry) TypedKey(k *fyne.KeyEvent) {
	switch {
	case k.Name == fyne.KeyEscape:
		e.u.escape()
	case (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !(e.MultiLine && e.shift):
		e.u.submitDialog()
	default:
		e.Entry.TypedKey(k)
	}
}

func (e *formEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *formEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// fetchList is the list of downloads. With the focus on it, Space and
// Delete act on the selected download as they do elsewhere in the window,
// Enter opens the details of the highlighted one, and Escape closes them.
type fetchList struct {
	widget.List
	u *UI
	// quiet is set while the list is told which row is selected, so that
	// it does not open the details again.
	quiet bool
}

func newFetchList(u *UI) *fetchList {
	l := &fetchList{u: u}
	l.Length = func() int { return len(u.rows) }
	l.CreateItem = func() fyne.CanvasObject { return newFetchRow(u) }
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) { o.(*fetchRow).bind(u.rows[i]) }
	l.OnSelected = func(i widget.ListItemID) {
		if !l.quiet {
			u.selectRow(i)
		}
	}
	l.ExtendBaseWidget(l)
	return l
}

func (l *fetchList) selectQuietly(i widget.ListItemID) {
	l.quiet = true
	l.Select(i)
	l.quiet = false
}

func (l *fetchList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeySpace, fyne.KeyDelete, fyne.KeyEscape:
		l.u.typedKey(k.Name)
	case fyne.KeyReturn, fyne.KeyEnter:
		l.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // the list selects the highlighted row on Space
	default:
		l.List.TypedKey(k)
	}
}
