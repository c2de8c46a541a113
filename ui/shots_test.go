package ui

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// TestDesktopShots takes the screenshots a person reads the window by:
// the sentence of bad input in Add URL, Settings and Edit checksum, the
// captive portal's row with its button, and running rows above a queue
// of twenty, on the real binary at 1280×800 with openbox, typed into with
// the keyboard as a person does (xdotool). It runs only with -shots:
//
//	go test ./ui -run DesktopShots -args -shots ui/testdata
func TestDesktopShots(t *testing.T) {
	if *shots == "" {
		t.Skip("takes screenshots only with -shots DIR")
	}
	t.Run("forms", shootForms)
	t.Run("checksum", shootChecksum)
	t.Run("portal", shootPortal)
	t.Run("queue", shootQueue)
	t.Run("share", shootShare)
}

// maximized starts the binary with args, its window filling the screen.
func maximized(t *testing.T, d *xDesktop, args ...string) *desktopApp {
	t.Helper()
	a := d.start(args...)
	a.run("wmctrl", "-r", "ModelFetch", "-b", "add,maximized_vert,maximized_horz")
	time.Sleep(time.Second)
	return a
}

// typeText types text into the window's focused field.
func (a *desktopApp) typeText(text string) {
	a.d.t.Helper()
	a.run("xdotool", "type", "--delay", "15", "--window", a.window(), text)
}

// keys presses each key in turn, a moment apart, as a person does.
func (a *desktopApp) keys(keys ...string) {
	a.d.t.Helper()
	for _, k := range keys {
		a.key(k)
		time.Sleep(150 * time.Millisecond)
	}
}

// click clicks at x, y of the window.
func (a *desktopApp) click(x, y int) {
	a.d.t.Helper()
	a.run("xdotool", "mousemove", "--window", a.window(), strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	time.Sleep(500 * time.Millisecond)
}

// shootAfter waits for the window to draw, and saves the screen as name.
func (d *xDesktop) shootAfter(name string) {
	d.t.Helper()
	time.Sleep(800 * time.Millisecond)
	d.shoot(name)
}

// shootForms: Add URL and Settings, each with bad input and its sentence.
func shootForms(t *testing.T) {
	d := newDesktop(t, true)
	a := maximized(t, d)
	for i, c := range []struct {
		name string
		keys []string // after the addresses are typed: to the field, and its text
		url  string
		sha  string
	}{
		{name: "addurl-ftp.png", url: "ftp://example.org/model.gguf"},
		{name: "addurl-no-scheme.png", url: "www.example.org/files/model.gguf"},
		{name: "addurl-word.png", url: "hello"},
		{name: "addurl-sha256.png", url: "https://example.org/model.gguf", sha: "sha256:xyz"},
		{name: "addurl-sha1.png", url: "https://example.org/model.gguf", sha: strings.Repeat("c", 40)},
	} {
		a.keys("ctrl+l")
		a.typeText(c.url)
		if c.sha != "" {
			a.keys("Tab", "Tab")
			a.typeText(c.sha)
		}
		a.keys("Return")
		d.shootAfter(fmt.Sprintf("shot-%d-%s", i+1, c.name))
		a.keys("Escape")
	}
	for i, c := range []struct {
		name  string
		tabs  int // from the folder field
		value string
	}{
		{"settings-folder.png", 0, "models"},
		{"settings-limit.png", 4, "fast"},
		{"settings-limit-unit.png", 4, "20"},
		{"settings-proxy.png", 7, "ftp://proxy:21"},
	} {
		a.keys("ctrl+comma")
		for range c.tabs {
			a.keys("Tab")
		}
		a.keys("ctrl+a")
		a.typeText(c.value)
		a.keys("Return")
		d.shootAfter(fmt.Sprintf("shot-%d-%s", i+6, c.name))
		a.keys("Escape")
	}
	a.quit()
}

// shootChecksum: a file that failed its SHA-256, and Edit checksum with a
// digest that is not one.
func shootChecksum(t *testing.T) {
	d := newDesktop(t, true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "model.gguf", time.Time{}, bytes.NewReader(bytes.Repeat([]byte("gguf"), 1<<18)))
	}))
	t.Cleanup(srv.Close)
	a := maximized(t, d)
	a.keys("ctrl+l")
	a.typeText(srv.URL + "/tiny-model.gguf")
	a.keys("Tab", "Tab")
	a.typeText(strings.Repeat("ab", 32))
	a.keys("Return")
	time.Sleep(3 * time.Second) // downloaded and checked: it fails its SHA-256
	d.shootAfter("shot-10-checksum-failed.png")
	w, _ := a.size()
	a.click(w-64, 118) // the row's Edit checksum…
	for _, typed := range []string{"sha256:xyz", strings.Repeat("d", 63)} {
		a.keys("ctrl+a")
		a.typeText(typed)
		a.keys("Return")
		d.shootAfter(fmt.Sprintf("shot-1%d-checksum-%d.png", 1+len(typed)%2, len(typed)))
	}
	a.keys("Escape")
	a.quit()
}

// shootPortal: a download behind a captive portal, its row saying where
// to sign in and offering the page.
func shootPortal(t *testing.T) {
	d := newDesktop(t, true)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Sign in to the café's Wi-Fi</body></html>")
	}))
	t.Cleanup(portal.Close)
	a := maximized(t, d, portal.URL+"/gemma-2-2b-it-Q4_K_M.gguf")
	time.Sleep(3 * time.Second)
	w, _ := a.size()
	a.run("xdotool", "mousemove", "--window", a.window(), strconv.Itoa(w-64), "118") // the sign-in button says where
	d.shootAfter("shot-13-captive-portal.png")
	a.quit()
}

// shootQueue: three downloads running above twenty queued.
func shootQueue(t *testing.T) {
	d := newDesktop(t, true)
	srv := origintest.NewServer(origintest.ThrottleAll(12 << 20))
	t.Cleanup(srv.Close)
	srv.PutBody("/model.gguf", origintest.NewPattern().Sized(1_350_000_000), `"model"`)
	srv.ServeEverywhere("/model.gguf")
	var args []string
	for i := range 23 {
		args = append(args, fmt.Sprintf("%s/models/model-%02d-Q4_K_M.gguf", srv.URL, i+1))
	}
	a := maximized(t, d, args...)
	time.Sleep(6 * time.Second) // three started, the others queued behind
	d.shootAfter("shot-14-running-first.png")
	a.quit()
}

// size is the window's size in pixels.
func (a *desktopApp) size() (w, h int) {
	a.d.t.Helper()
	cmd := exec.Command("xdotool", "getwindowgeometry", "--shell", a.window())
	cmd.Env = a.d.env
	out, err := cmd.Output()
	if err != nil {
		a.d.t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "WIDTH="); ok {
			w, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(line, "HEIGHT="); ok {
			h, _ = strconv.Atoi(v)
		}
	}
	return w, h
}

// shootShare: a finished Hugging Face download's details with "Use in…"
// open on the apps of a home of the test's (Ollama's folder on another
// disk, LM Studio and Jan beside the download, no GPT4All), LM Studio
// given the model; the question before a copy to Ollama; and Settings
// with "Make new models available to", saved with Enter; and the
// question Remove asks while LM Studio has the model.
func shootShare(t *testing.T) {
	d := newDesktop(t, true)
	repo := &hftest.Repo{ID: "bartowski/Qwen2.5-0.5B-Instruct-GGUF", Type: "model", Refs: map[string]string{"main": hftest.CommitMain},
		Commits: map[string][]hftest.File{hftest.CommitMain: {
			{Path: "README.md", Data: []byte("# Qwen2.5 0.5B Instruct\n")},
			{Path: "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", Data: appstest.GGUF("qwen2", 12<<20), LFS: true},
		}}}
	hub := hftest.New(t, hftest.WithRepo(repo))
	home := envValue(d.env, "HOME")
	data := envValue(d.env, "XDG_DATA_HOME")
	// Ollama on another file system (tmpfs): it needs a copy.
	ollama, err := os.MkdirTemp("/dev/shm", "modelfetch-ollama-")
	if err != nil {
		t.Skip("no /dev/shm for a store on another disk")
	}
	t.Cleanup(func() { os.RemoveAll(ollama) })
	for _, dir := range []string{filepath.Join(home, ".lmstudio", "models"), filepath.Join(data, "Jan", "data")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d.env = append(d.env, "HF_HUB_OFFLINE=", "HF_ENDPOINT="+hub.URL(), "OLLAMA_MODELS="+ollama)
	get := exec.Command(d.bin, "get", "hf.co/"+repo.ID+":Q4_K_M")
	get.Env = d.env
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("modelfetch get: %v: %s", err, out)
	}
	a := maximized(t, d)
	w, _ := a.size()
	a.click(w/2+40, 118) // the finished row: its details
	a.click(490, 185)    // Use in…
	a.click(852, 429)    // Use in LM Studio
	d.shootAfter("shot-15-use-in.png")
	const file = "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
	ours := filepath.Join(envValue(d.env, "XDG_CACHE_HOME"), "huggingface", "hub", "models--bartowski--Qwen2.5-0.5B-Instruct-GGUF", "snapshots", hftest.CommitMain, file)
	if lms := filepath.Join(home, ".lmstudio", "models", repo.ID, file); !sameFile(lms, ours) {
		t.Errorf("LM Studio's %s is not the downloaded %s (the same inode)", lms, ours)
	}
	a.click(861, 315) // Use in Ollama, on another disk: the question
	d.shootAfter("shot-16-use-in-copy.png")
	a.keys("Escape", "Escape")
	a.keys("ctrl+comma")
	a.click(772, 581) // LM Studio
	d.shootAfter("shot-17-settings-share-new.png")
	a.keys("Return") // saves, with the focus on the check box
	settings, err := os.ReadFile(filepath.Join(envValue(d.env, "XDG_CONFIG_HOME"), "modelfetch", "settings.json"))
	if err != nil || !strings.Contains(string(settings), `"lmstudio"`) {
		t.Errorf("got the settings file %s (%v), want LM Studio saved by Enter", settings, err)
	}
	a.click(715, 185) // Remove, while LM Studio has the model
	d.shootAfter("shot-18-remove-asks.png")
	a.keys("Escape")
	a.quit()
}

// envValue is the value of key in env, the last one set.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if rest, ok := strings.CutPrefix(kv, key+"="); ok {
			v = rest
		}
	}
	return v
}
