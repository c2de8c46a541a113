package ui

import "os"

// loginEntry is what makes the desktop start ModelFetch at login, one per
// system: an XDG autostart file (autostart_unix.go), the user's Run key
// (autostart_windows.go). The entry is the setting, so removing it by hand
// unticks the box.
type loginEntry interface {
	exists() bool
	// write makes the entry start this program, in the tray (--hidden).
	write() error
	remove() error
}

// newLoginCheck is the settings' "start at login" box, ticked when the
// login entry is there.
func (u *UI) newLoginCheck() *formCheck {
	c := newFormCheck(u, "Start ModelFetch when I log in")
	c.SetChecked(u.loginEntry().exists())
	return c
}

// setStartAtLogin writes or removes the login entry. Only a change is
// applied, so that saving other settings leaves an entry written by hand
// (or by another ModelFetch) alone.
func (u *UI) setStartAtLogin(on bool) error {
	e := u.loginEntry()
	switch {
	case on == e.exists():
		return nil
	case on:
		return e.write()
	default:
		return e.remove()
	}
}

// sameFile reports whether the paths a and b name one file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
