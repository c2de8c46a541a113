package hush_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// built is the real modelfetch binary, built once by TestMain; "" when
// the go command is not there to build it.
var built string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "modelfetch-bin")
	if err != nil {
		panic(err)
	}
	if goBin, err := exec.LookPath("go"); err == nil {
		built = filepath.Join(dir, "modelfetch")
		if out, err := exec.Command(goBin, "build", "-o", built, "github.com/modelfetch/modelfetch").CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary is the real binary, or skips the test without one.
func binary(t *testing.T) string {
	if built == "" {
		t.Skip("the go command is needed to build the binary")
	}
	return built
}

// userEnv is a user of its own under home, with the locale and the
// variables given.
func userEnv(home string, vars ...string) []string {
	return append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_RUNTIME_DIR=" + filepath.Join(home, "run")}, vars...)
}

// locales are those Fyne cannot parse, and two it can.
var locales = []string{"C", "C.UTF-8", "POSIX", "xx_YY.UTF-8", "en_US.UTF-8"}

// TestNoFyneLog runs the real binary under the locales Fyne cannot parse
// (and two it can): the commands' output holds no line of Fyne's log, and
// nor does the window's start when a display is there to start it on
// (Xvfb).
func TestNoFyneLog(t *testing.T) {
	bin := binary(t)
	home := t.TempDir()
	for _, locale := range locales {
		for _, args := range [][]string{{"catalog"}, {"list"}, {"help"}} {
			t.Run(locale+"/"+args[0], func(t *testing.T) {
				cmd := exec.Command(bin, args...)
				cmd.Env = userEnv(home, "LANG="+locale, "LC_ALL="+locale)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("modelfetch %s: %v\n%s", args[0], err, out)
				}
				if strings.Contains(string(out), "Fyne") {
					t.Errorf("got Fyne's log in the output of modelfetch %s under LANG=%s:\n%s", args[0], locale, out)
				}
			})
		}
	}
	xvfb, err := exec.LookPath("xvfb-run")
	if err == nil {
		_, err = exec.LookPath("dbus-run-session")
	}
	if err != nil {
		t.Log("xvfb-run or dbus-run-session is not installed: the window's start is not checked")
		return
	}
	for _, locale := range locales {
		t.Run(locale+"/window", func(t *testing.T) {
			home := t.TempDir()
			if err := os.Mkdir(filepath.Join(home, "run"), 0o700); err != nil {
				t.Fatal(err)
			}
			// The window runs for three seconds, then SIGTERM quits it.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, xvfb, "-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--", "timeout", "-s", "TERM", "3", bin)
			cmd.Env = userEnv(home, "LANG="+locale, "LC_ALL="+locale)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			_ = cmd.Run() // timeout's exit status says only that it stopped it
			if strings.Contains(stderr.String(), "Fyne") || strings.Contains(stderr.String(), "systray") {
				t.Errorf("the window's start under LANG=%s wrote to the terminal:\n%s", locale, stderr.String())
			}
		})
	}
}

// TestTypoOpensNoWindow: a mistyped command, with a display there to open
// a window on, is answered in the terminal with exit code 2, and no
// engine starts (nothing is written to the user's folders).
func TestTypoOpensNoWindow(t *testing.T) {
	bin := binary(t)
	home := t.TempDir()
	cmd := exec.Command(bin, "lst")
	cmd.Env = userEnv(home, "DISPLAY=:99")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("modelfetch lst: %v, want exit code 2; stderr:\n%s", err, stderr.String())
	}
	if got, want := stderr.String(), "modelfetch: unknown command \"lst\" (did you mean \"list\"?)\n"; got != want || stdout.Len() > 0 {
		t.Errorf("modelfetch lst: stdout %q, stderr %q; want stderr %q", stdout.String(), got, want)
	}
	if _, err := os.Stat(filepath.Join(home, "state")); err == nil {
		t.Error("modelfetch lst made the state folder: an engine or window started")
	}
}
