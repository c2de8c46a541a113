package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// runKey is where Windows keeps what to start at the user's login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// runValue names ModelFetch's entry there; the uninstaller deletes this
// name (packaging/windows/installer.nsi, RUN_KEY).
const runValue = "ModelFetch"

// loginEntry is the ModelFetch value of the user's Run key.
// (Options.AutostartDir is an XDG desktop's folder; Windows has none.)
func (u *UI) loginEntry() loginEntry { return runEntry{key: runKey, name: runValue} }

// runEntry is a value of a key of HKEY_CURRENT_USER, a command line.
type runEntry struct{ key, name string }

func (e runEntry) exists() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, e.key, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue(e.name)
	return err == nil
}

func (e runEntry) write() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("could not find where ModelFetch is installed: %w", err)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, e.key, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("could not open the login key HKEY_CURRENT_USER\\%s: %w", e.key, err)
	}
	defer k.Close()
	if err := k.SetStringValue(e.name, runCommand(self)); err != nil {
		return fmt.Errorf("could not write the login entry %s in HKEY_CURRENT_USER\\%s: %w", e.name, e.key, err)
	}
	return nil
}

func (e runEntry) remove() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, e.key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err == nil {
		defer k.Close()
		err = k.DeleteValue(e.name)
	}
	if err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("could not remove the login entry %s from HKEY_CURRENT_USER\\%s: %w", e.name, e.key, err)
	}
	return nil
}

// runCommand is the command line that starts the program at self in the
// tray: the window program modelfetch.exe even when self is the console
// one beside it (modelfetch.com, run from a terminal), which would open a
// console window at every login; quoted, as paths hold spaces.
func runCommand(self string) string {
	if ext := filepath.Ext(self); strings.EqualFold(ext, ".com") {
		if exe := strings.TrimSuffix(self, ext) + ".exe"; fileExists(exe) {
			self = exe
		}
	}
	return `"` + self + `" --hidden`
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
