package hush_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsPrintNoFyneLog builds the real modelfetch binary and runs
// commands under the locales Fyne cannot parse (and two it can): their
// output must hold no line of Fyne's start-up log.
func TestCommandsPrintNoFyneLog(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "modelfetch")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/modelfetch/modelfetch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	for _, locale := range []string{"C", "C.UTF-8", "POSIX", "xx_YY.UTF-8", "en_US.UTF-8"} {
		for _, args := range [][]string{{"catalog"}, {"list"}, {"help"}} {
			t.Run(locale+"/"+args[0], func(t *testing.T) {
				cmd := exec.Command(bin, args...)
				cmd.Env = []string{"LANG=" + locale, "HOME=" + home, "PATH=" + os.Getenv("PATH"),
					"XDG_STATE_HOME=" + filepath.Join(home, "state"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
					"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_RUNTIME_DIR=" + filepath.Join(home, "run")}
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
}
