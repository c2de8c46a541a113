//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
)

// openExternal opens target (a folder's file:// address or a web page)
// with the desktop's application for it: the system's own call, which
// says when it fails.
func openExternal(a fyne.App, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	return a.OpenURL(u)
}
