//go:build !windows

package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/adrg/xdg"
)

// desktopID names ModelFetch's desktop entry, in the applications folder
// and in the autostart folder alike, so that the desktop knows them as
// one app.
const desktopID = "io.github.modelfetch.desktop"

// autostartEntry is what the desktop reads at login (the XDG Autostart
// specification). --hidden starts ModelFetch in the tray, where a
// background downloader belongs; %s is the command.
const autostartEntry = `[Desktop Entry]
Type=Application
Name=ModelFetch
Comment=Carry on downloads in the background from login
Exec=%s --hidden
Icon=io.github.modelfetch
Terminal=false
X-GNOME-Autostart-enabled=true
`

// autostartPath is the login entry's file.
func (u *UI) autostartPath() string {
	dir := u.opts.AutostartDir
	if dir == "" {
		dir = filepath.Join(xdg.ConfigHome, "autostart")
	}
	return filepath.Join(dir, desktopID)
}

// loginEntry is the XDG autostart file in Options.AutostartDir.
func (u *UI) loginEntry() loginEntry { return xdgEntry(u.autostartPath()) }

// xdgEntry is the path of a desktop entry in an autostart folder.
type xdgEntry string

func (p xdgEntry) exists() bool {
	_, err := os.Stat(string(p))
	return err == nil
}

func (p xdgEntry) remove() error {
	if err := os.Remove(string(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("could not remove the login entry %s: %w", p, err)
	}
	return nil
}

func (p xdgEntry) write() error {
	command, err := autostartCommand()
	if err != nil {
		return err
	}
	if err := writeFileReplacing(string(p), fmt.Sprintf(autostartEntry, command)); err != nil {
		return fmt.Errorf("could not write the login entry %s: %w", p, err)
	}
	return nil
}

// autostartCommand is the command the login entry runs: plain
// "modelfetch" when that finds this program on PATH (an installed
// ModelFetch, which then stays right when a package upgrade replaces the
// file), else this program's own path.
func autostartCommand() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("could not find where ModelFetch is installed: %w", err)
	}
	if found, err := exec.LookPath("modelfetch"); err == nil && sameFile(found, self) {
		return "modelfetch", nil
	}
	return quoteExec(self)
}

// execQuoter escapes an argument inside double quotes as the Desktop Entry
// specification's Exec key wants, and then once more for its string
// values (a backslash is written twice), and escapes % as a field code.
var execQuoter = strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", `$`, `\\$`, `%`, `%%`)

// quoteExec writes path as one argument of an Exec key, quoted when it
// holds characters the specification reserves.
func quoteExec(path string) (string, error) {
	if strings.ContainsFunc(path, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", &execPathError{path: path}
	}
	if !strings.ContainsAny(path, " \"'\\><~|&;$*?#()`%") {
		return path, nil
	}
	return `"` + execQuoter.Replace(path) + `"`, nil
}

// execPathError is a path of ModelFetch that no login entry can hold.
type execPathError struct{ path string }

func (e *execPathError) Error() string {
	return fmt.Sprintf("program path %q has control characters", e.path)
}

// Sentence says what to do about it.
func (e *execPathError) Sentence() string {
	return fmt.Sprintf("ModelFetch cannot start at login from %q; move it to a folder without control characters in its name.", e.path)
}

// writeFileReplacing writes data to name through a temporary file and a
// rename, so that the desktop never reads half an entry.
func writeFileReplacing(name, data string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".modelfetch-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
