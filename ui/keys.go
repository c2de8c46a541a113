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
	_ fyne.Tabbable   = (*formEntry)(nil)
	_ fyne.Focusable  = (*formCheck)(nil)
	_ fyne.Focusable  = (*formSelect)(nil)
)

// The window's shortcuts.
var (
	shortcutAddURL   = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutSettings = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
)

// addShortcuts binds Ctrl+L (Add URL) and Ctrl+, (Settings), and the keys
// that act on the selected download when nothing else has the focus:
// Space pauses or resumes it, Delete cancels or removes it, Escape
// closes what is open. The window's text fields pass the two shortcuts
// on (formEntry), so that they work from every field.
func (u *UI) addShortcuts() {
	c := u.win.Canvas()
	c.AddShortcut(shortcutAddURL, func(fyne.Shortcut) { u.showAddURL() })
	c.AddShortcut(shortcutSettings, func(fyne.Shortcut) { u.showSettings() })
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { u.typedKey(e.Name) })
}

// shortcut does what the window's shortcut s does, and reports whether s
// is one.
func (u *UI) shortcut(s fyne.Shortcut) bool {
	switch s.ShortcutName() {
	case shortcutAddURL.ShortcutName():
		u.showAddURL()
	case shortcutSettings.ShortcutName():
		u.showSettings()
	default:
		return false
	}
	return true
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
	return ok && u.rowKey(r, key)
}

// rowKey is what Space and Delete do to the download of row r.
func (u *UI) rowKey(r rowData, key fyne.KeyName) bool {
	switch {
	case key == fyne.KeySpace && r.active:
		u.pauseOrResume(r.id, r.paused)
	case key == fyne.KeyDelete && r.active:
		u.cancelFetch(r)
	case key == fyne.KeyDelete:
		u.remove(r.id)
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

// submitDialog does what Enter does in the dialog on top: Download,
// Save, Check the file, or a question's safe answer.
func (u *UI) submitDialog() bool {
	switch {
	case u.dialog == nil:
		return false
	case u.add != nil && u.dialog == u.add.dialog:
		u.submitAddURL(u.add)
	case u.setup != nil && u.dialog == u.setup.dialog:
		u.submitSettings(u.setup)
	case u.checksum != nil && u.dialog == u.checksum.dialog:
		u.checksum.check.OnTapped()
	case u.enter != nil:
		u.enter()
	default:
		return false
	}
	return true
}

// showDialog shows d and keeps it as the one Escape closes.
func (u *UI) showDialog(d dialog.Dialog) { u.showQuestion(d, nil) }

// showQuestion shows d, whose safe answer (the one that loses nothing)
// enter gives: Enter presses it.
func (u *UI) showQuestion(d dialog.Dialog, enter func()) {
	prev, prevEnter := u.dialog, u.enter
	u.dialog, u.enter = d, enter
	d.SetOnClosed(func() {
		if u.dialog == d {
			u.dialog, u.enter = prev, prevEnter
		}
		if u.add != nil && u.add.dialog == d {
			u.add = nil
		}
		if u.setup != nil && u.setup.dialog == d {
			u.setup.stop()
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

// formEntry is a text field of the window: Escape closes the dialog it
// is in and Enter submits it, as in the desktop's other dialogs; in a
// multi-line field Shift+Enter starts a new line, and Tab moves the focus
// as in every other field. The window's shortcuts work from it.
type formEntry struct {
	widget.Entry
	keys  windowKeys // nil: the field's own keys only
	shift bool
}

// windowKeys are the keys a window's fields pass on to it.
type windowKeys interface {
	escape() bool
	submitDialog() bool
	shortcut(s fyne.Shortcut) bool
}

func newFormEntry(keys windowKeys, multiLine bool) *formEntry {
	e := &formEntry{keys: keys}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab is false: a tab is never part of what is typed here, and
// Tab moves to the next field.
func (e *formEntry) AcceptsTab() bool { return false }

func (e *formEntry) TypedKey(k *fyne.KeyEvent) {
	newLine := e.MultiLine && e.shift && (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter)
	if newLine || !formKey(e.keys, k) {
		e.Entry.TypedKey(k)
	}
}

// formKey passes Escape and Enter on to the window (nil: to no one), as
// the desktop's dialogs take them from any field, and reports whether the
// window did something with it.
func formKey(keys windowKeys, k *fyne.KeyEvent) bool {
	switch {
	case keys == nil:
		return false
	case k.Name == fyne.KeyEscape:
		return keys.escape()
	case k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter:
		return keys.submitDialog()
	}
	return false
}

// formCheck is a check box of the window's forms: Enter submits the form
// and Escape closes it, as from its text fields (Fyne's check box keeps
// every key it is given while it has the focus).
type formCheck struct {
	widget.Check
	keys windowKeys
}

func newFormCheck(keys windowKeys, text string) *formCheck {
	c := &formCheck{keys: keys}
	c.Text = text
	c.ExtendBaseWidget(c)
	return c
}

func (c *formCheck) TypedKey(k *fyne.KeyEvent) {
	if !formKey(c.keys, k) {
		c.Check.TypedKey(k)
	}
}

// formSelect is a drop-down of the window's forms: Enter submits the
// form and Escape closes it, as from its text fields.
type formSelect struct {
	widget.Select
	keys windowKeys
}

func newFormSelect(keys windowKeys, options []string) *formSelect {
	s := &formSelect{keys: keys}
	s.Options = options
	s.PlaceHolder = "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

func (s *formSelect) TypedKey(k *fyne.KeyEvent) {
	if !formKey(s.keys, k) {
		s.Select.TypedKey(k)
	}
}

func (e *formEntry) TypedShortcut(s fyne.Shortcut) {
	if e.keys == nil || !e.keys.shortcut(s) {
		e.Entry.TypedShortcut(s)
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
// Delete act on the highlighted download (the one the arrow keys move
// to), Enter opens its details, and Escape closes them.
type fetchList struct {
	widget.List
	u *UI
	// highlight is the row the list highlights: Fyne keeps it to itself,
	// so it is followed here as the list moves it (arrow keys, taps).
	highlight widget.ListItemID
	// shown is the row widget that shows each fetch, as the list last
	// bound them; a widget the list no longer shows may stay here until
	// it is bound again.
	shown map[string]*fetchRow
	// quiet is set while the list is told which row is selected, so that
	// it does not open the details again.
	quiet bool
}

func newFetchList(u *UI) *fetchList {
	l := &fetchList{u: u, shown: map[string]*fetchRow{}}
	l.Length = func() int { return len(u.rows) }
	l.CreateItem = func() fyne.CanvasObject { return newFetchRow(u) }
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) { l.show(o.(*fetchRow), u.rows[i]) }
	l.OnSelected = func(i widget.ListItemID) {
		if !l.quiet {
			l.highlight = i
			u.selectRow(i)
		}
	}
	l.ExtendBaseWidget(l)
	return l
}

// show binds row widget r to d, and remembers that r shows d's fetch.
func (l *fetchList) show(r *fetchRow, d rowData) {
	if r.bound && l.shown[r.data.id] == r {
		delete(l.shown, r.data.id)
	}
	r.bind(d)
	l.shown[d.id] = r
}

// refreshRow shows d in the row widget that shows its fetch, if one does.
// Fyne's List.RefreshItem would bind every visible row again for one.
func (l *fetchList) refreshRow(d rowData) {
	if r, ok := l.shown[d.id]; ok && r.data.id == d.id {
		r.bind(d)
	}
}

func (l *fetchList) selectQuietly(i widget.ListItemID) {
	l.quiet = true
	l.Select(i)
	l.quiet = false
}

func (l *fetchList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeySpace, fyne.KeyDelete:
		if l.highlight >= 0 && l.highlight < len(l.u.rows) && l.u.dialog == nil {
			l.u.rowKey(l.u.rows[l.highlight], k.Name)
		}
	case fyne.KeyEscape:
		l.u.typedKey(k.Name)
	case fyne.KeyReturn, fyne.KeyEnter:
		l.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // the list selects the highlighted row on Space
	case fyne.KeyDown:
		l.highlight = min(l.highlight+1, max(len(l.u.rows)-1, 0))
		l.List.TypedKey(k)
	case fyne.KeyUp:
		l.highlight = max(l.highlight-1, 0)
		l.List.TypedKey(k)
	default:
		l.List.TypedKey(k)
	}
}

// TypedShortcut lets the window's shortcuts work with the focus on the
// list.
func (l *fetchList) TypedShortcut(s fyne.Shortcut) { l.u.shortcut(s) }
