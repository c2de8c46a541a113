//go:build linux || freebsd || openbsd || netbsd || dragonfly

package ui

import (
	"os/exec"
	"time"

	"fyne.io/fyne/v2"
)

// openerWait is how long xdg-open has to say it failed; one still running
// after it is taken to have opened the target.
const openerWait = 5 * time.Second

// openExternal opens target (a folder's file:// address or a web page)
// with the desktop's application for it, as Fyne's OpenURL does, but
// waits for xdg-open's answer: OpenURL only starts it, so a desktop with
// no file manager or browser failed in silence.
func openExternal(_ fyne.App, target string) error {
	cmd := exec.Command("xdg-open", target)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(openerWait):
		return nil // the goroutine above reaps it when it ends
	}
}
