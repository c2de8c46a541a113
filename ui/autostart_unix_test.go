//go:build !windows

package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// toggleLogin opens Settings, checks that the login box shows want
// before the tap, taps it and saves.
func (h *harness) toggleLogin(want bool) *settingsForm {
	h.t.Helper()
	h.u.showSettings()
	f := h.u.setup
	if f.login.Checked != want {
		h.t.Fatalf("got the login box ticked %v, want %v", f.login.Checked, want)
	}
	test.Tap(f.login)
	test.Tap(f.save)
	return f
}

func TestStartAtLoginWritesAndRemovesEntry(t *testing.T) {
	validate, _ := exec.LookPath("desktop-file-validate")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	installed := t.TempDir() // a PATH folder where "modelfetch" is this program
	if err := os.Symlink(self, filepath.Join(installed, "modelfetch")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, exec string
	}{
		{"installed", installed, "Exec=modelfetch --hidden\n"},
		{"run from its folder", t.TempDir(), "Exec=" + self + " --hidden\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, false)
			h.u.opts.AutostartDir = filepath.Join(t.TempDir(), "autostart") // not there yet
			entry := filepath.Join(h.u.opts.AutostartDir, "io.github.modelfetch.desktop")
			t.Setenv("PATH", tc.path)

			h.toggleLogin(false)
			if h.u.setup != nil {
				t.Fatalf("got the dialog still open: %q", h.u.setup.problem.Text)
			}
			data, err := os.ReadFile(entry)
			if err != nil {
				t.Fatalf("got no login entry: %v", err)
			}
			if !strings.Contains(string(data), tc.exec) {
				t.Errorf("got entry\n%s\nwant the line %q", data, tc.exec)
			}
			if validate != "" {
				if out, err := exec.Command(validate, entry).CombinedOutput(); err != nil || len(out) > 0 {
					t.Errorf("desktop-file-validate: %v: %s", err, out)
				}
			}

			h.toggleLogin(true)
			if _, err := os.Stat(entry); !os.IsNotExist(err) {
				t.Errorf("got the login entry still there after unticking (%v)", err)
			}
			h.u.showSettings()
			if h.u.setup.login.Checked {
				t.Error("got the login box ticked with no entry")
			}
		})
	}
}

func TestStartAtLoginFailureKeepsDialog(t *testing.T) {
	h := newHarness(t, false)
	notDir := filepath.Join(t.TempDir(), "autostart")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.u.opts.AutostartDir = notDir // a file where the folder should be
	f := h.toggleLogin(false)
	if h.u.setup == nil || !f.problem.Visible() {
		t.Fatal("got the dialog closed although the login entry could not be written")
	}
	if !f.login.Checked {
		t.Error("got the box unticked: the person's choice was lost")
	}
}

func TestQuoteExec(t *testing.T) {
	for _, tc := range []struct {
		path, want string
	}{
		{"/usr/bin/modelfetch", "/usr/bin/modelfetch"},
		{"/home/a b/modelfetch", `"/home/a b/modelfetch"`},
		{`/x/$HOME"q\m`, `"/x/\\$HOME\\"q\\\\m"`},
		{"/x/100%/m`", "\"/x/100%%/m\\\\`\""},
	} {
		got, err := quoteExec(tc.path)
		if err != nil || got != tc.want {
			t.Errorf("quoteExec(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	if got, err := quoteExec("/x/a\nb"); err == nil {
		t.Errorf("got %q for a path with a newline, want an error", got)
	}
}
