package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/assets"
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// fileSize is small enough to download in a moment on 127.0.0.1 and large
// enough to need many reads.
const fileSize = 3 << 20

// server serves one generated model file at every path but /missing...,
// with the faults a test switches on: answering 404, or holding back the
// second half of the file until the test lets it go (Release).
type server struct {
	*origintest.Server
	data []byte
	fail atomic.Bool // answer 404 Not Found
}

func newServer(t *testing.T, gated bool) *server {
	t.Helper()
	s := &server{data: origintest.Named("mf", fileSize)}
	faults := []origintest.Fault{func(_ *origintest.Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if s.fail.Load() || strings.HasPrefix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return true
		}
		return false
	}}
	if gated {
		faults = append(faults, origintest.HoldFrom(fileSize/2))
	}
	s.Server = origintest.NewServer(faults...)
	s.setETag(`"v1"`)
	s.ServeEverywhere("/model.bin")
	t.Cleanup(s.Close)
	return s
}

// setETag serves the same bytes under etag: a new one says the file
// changed.
func (s *server) setETag(etag string) { s.PutBody("/model.bin", bytes.NewReader(s.data), etag) }

// harness is a window on a real engine that downloads from a local
// server. UI work that the app would run on its UI goroutine runs on the
// test goroutine instead, inside waitFor.
type harness struct {
	t   *testing.T
	srv *server
	m   *downloader.Manager
	u   *UI
	cfg downloader.Config
	uiQueue
	revealed []string
	notes    []fyne.Notification // sent, in order
	// settingsPath is where the settings every process follows are.
	settingsPath string
	noted        int // how many of notes waitNote checked
	// appsEnv is where the engine and the window look for apps: a home
	// of the test's own, with none until a test makes their folders.
	appsEnv apps.Env
}

// errNoBus stands for a desktop without a session bus.
var errNoBus = errors.New("no session bus in this test")

// noKeyring stands for a desktop without a secret store.
func noKeyring() (instance.Secrets, error) { return nil, errNoBus }

func newHarness(t *testing.T, gated bool) *harness {
	t.Helper()
	return newHarnessWith(t, gated, nil)
}

// newHarnessWith is newHarness with options changed by edit.
func newHarnessWith(t *testing.T, gated bool, edit func(*Options)) *harness {
	t.Helper()
	test.NewTempApp(t)
	srv := newServer(t, gated)
	h := &harness{t: t, srv: srv, uiQueue: newUIQueue()}

	// A user catalog laid over the built-in one points Gemma 2B at the
	// local server, as a person's catalog.json would.
	userCatalog := filepath.Join(t.TempDir(), "catalog.json")
	entry := []catalog.Model{{ID: "gemma-2b", Title: "Gemma 2B", Files: []catalog.ModelFile{
		{URL: srv.URL + "/g-2b-it-gpu-int4.bin", Name: "g-2b-it-gpu-int4.bin"},
	}}}
	data, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(userCatalog, data, 0o600); err != nil {
		t.Fatal(err)
	}
	catalog, err := catalog.Load(assets.Catalog, userCatalog)
	if err != nil {
		t.Fatal(err)
	}

	h.appsEnv = apps.Env{GOOS: "linux", Home: t.TempDir(), Getenv: func(string) string { return "" }}
	h.cfg = downloader.Config{
		StateDir: t.TempDir(), PartialDir: t.TempDir(), ModelsDir: t.TempDir(),
		Roots:        []string{filepath.Dir(t.TempDir())}, // the test's folders, a Hub cache and chosen ones among them
		StallTimeout: 10 * time.Second, CheckpointInterval: 20 * time.Millisecond,
		ProgressInterval: 20 * time.Millisecond, BackoffBase: 10 * time.Millisecond,
		BackoffMax: 20 * time.Millisecond, MaxRetries: 1, Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
		Apps: h.findApp,
	}
	h.m, err = downloader.New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- h.m.Run(ctx) }()
	h.settingsPath = filepath.Join(t.TempDir(), "settings.json")
	store, err := instance.OpenStore(h.settingsPath, noKeyring)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Settings:  store,
		Catalog:   catalog,
		Icon:      assets.Icon,
		ModelsDir: h.cfg.ModelsDir,
		Interval:  10 * time.Millisecond,
		Do:        h.do,
		Reveal:    func(p string) error { h.revealed = append(h.revealed, p); return nil },
		// Sent as the UI goroutine (here the test goroutine) applies a poll.
		Notify: func(n *fyne.Notification) { h.notes = append(h.notes, *n) },
		Bus:    func() (*dbus.Conn, error) { return nil, errNoBus },
		Apps:   func() []apps.App { return apps.Find(h.appsEnv) },
	}
	if edit != nil {
		edit(&opts)
	}
	h.u = New(fyne.CurrentApp(), h.m, opts)
	t.Cleanup(func() {
		close(h.closed)
		h.u.Stop()
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := h.m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// findApp is the engine's Config.Apps: the app key, among those the
// window finds (Options.Apps). The engine asks only once the window is
// made.
func (h *harness) findApp(key string) (apps.App, bool) {
	return appFor(h.u.opts.Apps(), key)
}

// waitFor runs the window's queued work until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.uiQueue.waitFor(h.t, what, cond, func() string { return fmt.Sprintf("the fetches are %+v", h.m.Snapshots()) })
}

// waitNote waits for the next notification the test has not checked yet
// (it may have come while the test waited for something else), and
// checks it is want.
func (h *harness) waitNote(want fyne.Notification) {
	h.t.Helper()
	seen := h.noted
	h.waitFor("a notification", func() bool { return len(h.notes) > seen })
	h.noted++
	if got := h.notes[seen]; got != want {
		h.t.Errorf("got notification %+v, want %+v", got, want)
	}
}

// row is the list row that shows fetch id now, or nil. The list reuses
// row widgets as it lays out, so look the row up again before each tap.
func (h *harness) row(id string) *fetchRow {
	for _, o := range test.LaidOutObjects(h.u.list) {
		if r, ok := o.(*fetchRow); ok && r.Visible() && r.data.id == id {
			return r
		}
	}
	return nil
}

// rowState is the state words the row of fetch id shows, "" while none:
// the line's first part, or Downloading for a moving bar whose line is
// all progress.
func (h *harness) rowState(id string) string {
	r := h.row(id)
	if r == nil {
		return ""
	}
	state, _, _ := strings.Cut(r.line.Text, " · ")
	if r.bar.kind == barRunning && (state == "" || state[0] >= '0' && state[0] <= '9') {
		return "Downloading"
	}
	return state
}

func (h *harness) gemmaCard() *modelCard {
	for _, c := range h.u.cards {
		if c.model.ID == "gemma-2b" {
			return c
		}
	}
	h.t.Fatal("no Gemma 2B card")
	return nil
}

func (h *harness) partials(id string) []string {
	names, err := filepath.Glob(filepath.Join(h.cfg.PartialDir, id, "*.part"))
	if err != nil {
		h.t.Fatal(err)
	}
	return names
}

func TestDownloadModelUntilReady(t *testing.T) {
	h := newHarness(t, false)
	card := h.gemmaCard()
	if card != h.u.cards[0] {
		t.Errorf("got %s first in the models panel, want Gemma 2B", h.u.cards[0].model.Title)
	}
	if card.button.Text != "Download" {
		t.Fatalf("got button %q on the Gemma 2B card, want Download", card.button.Text)
	}
	want := filepath.Join(h.cfg.ModelsDir, "gemma-2b", "g-2b-it-gpu-int4.bin")
	test.Tap(card.button)
	h.waitNote(fyne.Notification{Title: "Gemma 2B ready", Content: "g-2b-it-gpu-int4.bin in " + shortPath(filepath.Dir(want))})
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
	checkReadyRow(t, h.row("gemma-2b"))
	got, err := os.ReadFile(want)
	if err != nil || !bytes.Equal(got, h.srv.data) {
		t.Fatalf("got %d bytes at %s (err %v), want the server's %d", len(got), want, err, len(h.srv.data))
	}

	h.waitFor("the card to offer Open folder", func() bool { return card.button.Text == "Open folder" })
	test.Tap(card.button)
	h.u.list.Select(0) // Background Fetch's click: the details, with Open folder
	h.waitFor("the details to offer Open folder", func() bool {
		return h.u.details.snap.State == fetch.StateSucceeded && h.u.details.buttons.open.Visible()
	})
	test.Tap(h.u.details.buttons.open)
	if len(h.revealed) != 2 || h.revealed[0] != want || h.revealed[1] != want {
		t.Errorf("got revealed %q, want %s twice", h.revealed, want)
	}
	if ids := h.m.IDs(); len(ids) != 1 {
		t.Errorf("got fetches %q after Open folder, want only gemma-2b: a ready model is never downloaded again", ids)
	}
}

// checkReadyRow checks that r shows Gemma 2B ready.
func checkReadyRow(t *testing.T, r *fetchRow) {
	t.Helper()
	if r.bar.fraction != 1 || r.bar.kind != barDone {
		t.Errorf("got bar at %v (kind %v), want it full and done", r.bar.fraction, r.bar.kind)
	}
	if got := r.title.Text; got != "Gemma 2B ready" {
		t.Errorf("got title %q, want %q", got, "Gemma 2B ready")
	}
	if !r.open.Visible() || r.pause.Visible() || r.cancel.Visible() {
		t.Errorf("got Open folder %v, Pause %v, Cancel %v visible; want only Open folder", r.open.Visible(), r.pause.Visible(), r.cancel.Visible())
	}
}

func TestCancelRemovesPartialFile(t *testing.T) {
	h := newHarness(t, true)
	test.Tap(h.gemmaCard().button)
	h.waitFor("half the file on disk", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return h.rowState("gemma-2b") == "Downloading" && s.Downloaded > 0 && len(h.partials("gemma-2b")) == 1
	})
	test.Tap(h.row("gemma-2b").cancel)
	h.waitFor("the row to read Cancelled", func() bool { return h.rowState("gemma-2b") == "Cancelled" })
	if p := h.partials("gemma-2b"); len(p) != 0 {
		t.Errorf("got partial files %q after Cancel, want none", p)
	}
	r := h.row("gemma-2b")
	if !r.remove.Visible() || r.cancel.Visible() || r.pause.Visible() {
		t.Errorf("got Remove %v, Cancel %v, Pause %v visible; want only Remove", r.remove.Visible(), r.cancel.Visible(), r.pause.Visible())
	}
	test.Tap(r.remove)
	h.waitFor("the list to be empty", func() bool { return len(h.u.rows) == 0 })
	if h.gemmaCard().button.Text != "Download" {
		t.Errorf("got card button %q after Remove, want Download", h.gemmaCard().button.Text)
	}
}

func TestPauseAndResume(t *testing.T) {
	h := newHarness(t, true)
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return h.rowState("gemma-2b") == "Downloading" && s.Downloaded > 0
	})
	test.Tap(h.row("gemma-2b").pause)
	h.waitFor("the row to read Paused", func() bool { return h.rowState("gemma-2b") == "Paused" })
	r := h.row("gemma-2b")
	if r.pause.tip != "Resume (Space)" {
		t.Errorf("got button %q on a paused row, want Resume", r.pause.tip)
	}
	if r.bar.kind != barPaused {
		t.Errorf("got bar kind %v on a paused row, want paused", r.bar.kind)
	}
	if s, _ := h.m.Get("gemma-2b"); !s.Paused {
		t.Errorf("got engine state %s, want paused", s.State)
	}
	if card := h.gemmaCard(); card.button.Text != "Resume" {
		t.Errorf("got card button %q while paused, want Resume", card.button.Text)
	}
	if h.u.status.Text != "1 paused" {
		t.Errorf("got status %q, want %q", h.u.status.Text, "1 paused")
	}
	if p := h.partials("gemma-2b"); len(p) != 1 {
		t.Errorf("got partial files %q while paused, want the one kept", p)
	}

	h.srv.Release()
	test.Tap(h.row("gemma-2b").pause)
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
	got, err := os.ReadFile(filepath.Join(h.cfg.ModelsDir, "gemma-2b", "g-2b-it-gpu-int4.bin"))
	if err != nil || !bytes.Equal(got, h.srv.data) {
		t.Fatalf("got %d bytes (err %v), want the server's %d", len(got), err, len(h.srv.data))
	}
}

func TestRestartSaysWhy(t *testing.T) {
	h := newHarness(t, true)
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return h.rowState("gemma-2b") == "Downloading" && s.Downloaded > 0
	})
	test.Tap(h.row("gemma-2b").pause)
	h.waitFor("the row to read Paused", func() bool { return h.rowState("gemma-2b") == "Paused" })
	if got := h.row("gemma-2b").line.Text; strings.Contains(got, "again") {
		t.Errorf("got %q before any restart, want no reason", got)
	}
	h.srv.setETag(`"v2"`) // the file changed on the server while paused
	test.Tap(h.row("gemma-2b").pause)
	h.waitFor("the row to say why it started again", func() bool {
		s, _ := h.m.Get("gemma-2b")
		r := h.row("gemma-2b")
		return s.Records[0].Restarted != "" && strings.HasPrefix(r.line.Text, "Started again · ") && strings.HasSuffix(r.line.tip, s.Records[0].Restarted)
	})
	h.srv.Release()
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
	if got := h.row("gemma-2b").line.Text; strings.Contains(got, "again") {
		t.Errorf("got %q on a ready row, want no restart reason", got)
	}
}

func TestFailureShowsReasonAndRetryRecovers(t *testing.T) {
	h := newHarness(t, false)
	h.srv.fail.Store(true)
	var failed fetch.Snapshot
	test.Tap(h.gemmaCard().button)
	h.waitFor("the row to read Failed", func() bool {
		failed, _ = h.m.Get("gemma-2b")
		return failed.State == fetch.StateFailed && strings.HasPrefix(h.rowState("gemma-2b"), "Failed")
	})
	r := h.row("gemma-2b")
	if want := "Failed: the server refused the file (HTTP 404 Not Found)"; r.line.Text != want {
		t.Errorf("got line %q, want %q", r.line.Text, want)
	}
	if r.line.tip != failed.Message || failed.Message == "" {
		t.Errorf("got tooltip %q on the line, want the engine's sentence %q", r.line.tip, failed.Message)
	}
	if r.bar.kind != barFailed {
		t.Errorf("got bar kind %v on a failed row, want failed", r.bar.kind)
	}
	if !r.retry.Visible() {
		t.Fatal("got no Retry button on a failed row")
	}

	h.waitNote(fyne.Notification{Title: "Gemma 2B failed", Content: failed.Message})
	h.srv.fail.Store(false)
	test.Tap(h.row("gemma-2b").retry)
	h.waitNote(fyne.Notification{Title: "Gemma 2B ready", Content: "g-2b-it-gpu-int4.bin in " + shortPath(filepath.Join(h.cfg.ModelsDir, "gemma-2b"))})
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
}

func TestFailureNotifies(t *testing.T) {
	h := newHarness(t, false)
	h.srv.fail.Store(true)
	h.waitFor("the first poll", func() bool { return h.u.status.Text == "Nothing downloading" })
	test.Tap(h.gemmaCard().button)
	h.waitFor("the fetch to fail", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return s.State == fetch.StateFailed
	})
	failed, _ := h.m.Get("gemma-2b")
	h.waitNote(fyne.Notification{Title: "Gemma 2B failed", Content: failed.Message})
	h.waitFor("the row to read Failed", func() bool {
		return h.rowState("gemma-2b") == "Failed: the server refused the file (HTTP 404 Not Found)"
	})
	if len(h.notes) != 1 {
		t.Errorf("got notifications %+v, want one", h.notes)
	}
}

func TestAddURLRejectsMalformedURL(t *testing.T) {
	h := newHarness(t, false)
	for _, bad := range []string{"", "not a url", "ftp://example.org/model.bin", "http://", "mailto:someone@example.org"} {
		t.Run(bad, func(t *testing.T) {
			h.u.showAddURL()
			f := h.u.add
			test.Type(f.url, bad)
			test.Tap(f.add)
			if !f.problem.Visible() || f.problem.Text == "" {
				t.Errorf("got no message in the dialog for %q", bad)
			}
			if h.u.add != f {
				t.Errorf("the dialog closed on %q, want it open", bad)
			}
			if ids := h.m.IDs(); len(ids) != 0 {
				t.Errorf("got fetches %q, want none", ids)
			}
			f.dialog.Hide()
		})
	}

	h.u.showAddURL()
	f := h.u.add
	test.Type(f.url, "http://127.0.0.1:1/model.bin")
	test.Type(f.sha, "abc")
	test.Tap(f.add)
	if !f.problem.Visible() || len(h.m.IDs()) != 0 {
		t.Errorf("got a bad SHA-256 accepted (message shown %v, fetches %q)", f.problem.Visible(), h.m.IDs())
	}
	f.sha.SetText("")
	test.Tap(f.add)
	if h.u.add != nil || len(h.m.IDs()) != 1 {
		t.Errorf("got dialog open %v and fetches %q for a good address, want it closed and one fetch", h.u.add != nil, h.m.IDs())
	}
	s, _ := h.m.Get(h.m.IDs()[0])
	if s.Title != "model.bin" {
		t.Errorf("got title %q, want the file name model.bin", s.Title)
	}
	// Nothing listens on 127.0.0.1:1: with the machine online, a refused
	// connection is the server not answering, which fails after a few
	// tries, saying so (waiting for the network is for a machine offline).
	h.waitFor("the fetch to fail, saying why", func() bool {
		s, _ := h.m.Get(s.ID)
		return s.State == fetch.StateFailed && strings.Contains(s.Message, "Nothing answers at 127.0.0.1:1")
	})
}

func TestOpenArguments(t *testing.T) {
	h := newHarness(t, false)
	if err := h.u.Open("no-such-model"); err == nil {
		t.Error("got no error for an argument that is neither a model id nor a URL")
	}
	if ids := h.m.IDs(); len(ids) != 0 {
		t.Errorf("got fetches %q for a bad argument, want none", ids)
	}
	if err := h.u.Open("gemma-2b"); err != nil {
		t.Fatalf("Open(gemma-2b): %v", err)
	}
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
}

func TestSettingsAppliedAndKept(t *testing.T) {
	h := newHarness(t, false)
	h.u.showSettings()
	f := h.u.setup
	dir := t.TempDir()
	f.folder.SetText(dir)
	f.parallel.SetSelected("5")
	f.conns.SetSelected("4")
	f.limit.SetText("not a size")
	test.Tap(f.save)
	if !f.problem.Visible() || h.u.setup == nil {
		t.Fatal("got a bad bandwidth limit accepted")
	}
	f.limit.SetText("20 MB")
	test.Tap(f.save)
	if h.u.setup != nil {
		t.Fatalf("got the dialog still open: %q", f.problem.Text)
	}
	want := settings{dir: dir, parallel: 5, conns: 4, limit: 20_000_000}
	if got := loadSettings(fyne.CurrentApp().Preferences(), h.u.opts.Settings, h.cfg.ModelsDir); !reflect.DeepEqual(got, want) {
		t.Errorf("got saved settings %+v, want %+v", got, want)
	}
	test.Tap(h.gemmaCard().button)
	h.waitFor("the row to read Ready", func() bool { return h.rowState("gemma-2b") == "Ready" })
	if _, err := os.Stat(filepath.Join(dir, "gemma-2b", "g-2b-it-gpu-int4.bin")); err != nil {
		t.Errorf("got no file in the chosen folder: %v", err)
	}
}

func TestStatusLine(t *testing.T) {
	running := func(done, total int64) fetch.Snapshot {
		return fetch.Snapshot{State: fetch.StateRunning, Downloaded: done, DownloadTotal: total}
	}
	queued := fetch.Snapshot{State: fetch.StateQueued}
	for _, c := range []struct {
		name  string
		snaps []fetch.Snapshot
		want  string
	}{
		{"none", nil, "Nothing downloading"},
		{"settled", []fetch.Snapshot{{State: fetch.StateSucceeded}}, "Nothing downloading"},
		{"two", []fetch.Snapshot{running(30, 100), running(60, 100)}, "2 downloading · 45 %"},
		{"unknown total", []fetch.Snapshot{running(30, 100), running(5, -1)}, "2 downloading"},
		{"paused", []fetch.Snapshot{{State: fetch.StatePaused}}, "1 paused"},
		{"queued apart", []fetch.Snapshot{running(1, 4), queued, queued, {State: fetch.StatePaused}}, "1 downloading · 25 % · 2 queued · 1 paused"},
		{"waiting apart", []fetch.Snapshot{running(1, 4), {State: fetch.StateWaitingNetwork}, queued}, "1 downloading · 25 % · 1 waiting for the network · 1 queued"},
	} {
		t.Run(c.name, func(t *testing.T) {
			byID := map[string]fetch.Snapshot{}
			for i, s := range c.snaps {
				byID[fmt.Sprint(i)] = s
			}
			if got := countStates(byID).line(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestDiffRowsRefreshesOnlyChangedRows(t *testing.T) {
	prev := make([]rowData, 200)
	for i := range prev {
		prev[i] = rowData{id: fmt.Sprintf("fetch-%03d", i), line: "1 of 2 MB · 50 %", fraction: 0.5}
	}
	next := slices.Clone(prev)
	next[137].line, next[137].fraction = "1.5 of 2 MB · 75 %", 0.75
	changed, reordered := diffRows(prev, next)
	if reordered || len(changed) != 1 || changed[0].index != 137 || changed[0].row != next[137] {
		t.Errorf("got changed %v (reordered %v), want row 137 alone", changed, reordered)
	}
	if changed, reordered := diffRows(prev, slices.Clone(prev)); reordered || len(changed) != 0 {
		t.Errorf("got changed %v (reordered %v) for an unchanged list, want nothing", changed, reordered)
	}
	if _, reordered := diffRows(prev, next[1:]); !reordered {
		t.Error("got no rebuild for a list that lost a fetch")
	}
	swapped := slices.Clone(prev)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	if _, reordered := diffRows(prev, swapped); !reordered {
		t.Error("got no rebuild for a list in another order")
	}
}

func TestFetchIcon(t *testing.T) {
	icon := filepath.Join(t.TempDir(), "gemma.png")
	if err := os.WriteFile(icon, assets.Icon.Content(), 0o600); err != nil {
		t.Fatal(err)
	}
	fallback := fyne.NewStaticResource("app.png", []byte("app"))
	d := newDiffer(nil, nil, fallback, time.Second)
	for _, c := range []struct {
		spec string
		want []byte
	}{
		{icon, smallIcon(assets.Icon).Content()},
		{"", fallback.Content()},
		{"https://example.org/icon.png", fallback.Content()},
		{filepath.Join(t.TempDir(), "missing.png"), fallback.Content()},
	} {
		if got := d.row(fetch.Snapshot{Icon: c.spec}, "").icon; !bytes.Equal(got.Content(), c.want) {
			t.Errorf("got icon %s for %q, want %d bytes", got.Name(), c.spec, len(c.want))
		}
	}
}

// TestSmallIcon: an icon is kept at the size rows show it, in its
// proportions; one that is small already, or not a picture Go reads, is
// kept as it is.
func TestSmallIcon(t *testing.T) {
	small := smallIcon(assets.Icon)
	img, _, err := image.Decode(bytes.NewReader(small.Content()))
	if err != nil || img.Bounds().Dx() != rowIconSize || img.Bounds().Dy() != rowIconSize {
		t.Fatalf("got %v (%v), want %d pixels square", img.Bounds(), err, rowIconSize)
	}
	if again := smallIcon(small); again != small {
		t.Error("got a small icon scaled again")
	}
	svg := fyne.NewStaticResource("icon.svg", []byte("<svg/>"))
	if got := smallIcon(svg); got != svg {
		t.Error("got an SVG changed")
	}
}

func TestShortPath(t *testing.T) {
	t.Setenv("HOME", "/home/ada")
	for _, c := range []struct{ in, want string }{
		{"/home/ada/.cache/modelfetch/models/gemma-2b", "~/.cache/modelfetch/models/gemma-2b"},
		{"/home/adam/models", "/home/adam/models"},
		{"/srv/models", "/srv/models"},
	} {
		if got := shortPath(c.in); got != c.want {
			t.Errorf("shortPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://example.org/model.gguf", true},
		{"http://127.0.0.1:8080/x", true},
		{"", false},
		{"example.org/model.gguf", false},
		{"https://", false},
		{"file:///etc/passwd", false},
		{"https://exa mple.org/", false},
	} {
		err := checkAddress(c.url)
		if (err == nil) != c.ok {
			t.Errorf("checkAddress(%q) = %v, want ok %v", c.url, err, c.ok)
		}
	}
}

// BenchmarkPollStep200 is what one showing costs the poller goroutine
// with 200 fetches in the list and one fetch's progress changed: the
// event taken, and the one row worked out again.
func BenchmarkPollStep200(b *testing.B) {
	m, err := downloader.New(downloader.Config{StateDir: b.TempDir(), PartialDir: b.TempDir(), ModelsDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := m.Close(); err != nil {
			b.Error(err)
		}
	})
	// The engine is not run, so these stay queued and nothing is fetched.
	for i := range 200 {
		req := fetch.Request{URL: fmt.Sprintf("http://127.0.0.1:1/model-%03d.bin", i)}
		if _, err := m.Fetch(fmt.Sprintf("model-%03d", i), []fetch.Request{req}, fetch.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	d := newDiffer(m, nil, nil, time.Second)
	d.reload(m.Snapshots(), time.Now())
	d.step(time.Now(), true)
	s, _ := m.Get("model-100")
	s.DownloadTotal = 1 << 30
	b.ReportAllocs()
	for b.Loop() {
		s.Downloaded += 1 << 20
		d.take(fetch.Event{Kind: fetch.EventProgress, Fetch: s}, time.Now())
		if batch, _ := d.step(time.Now(), true); len(batch.changed) != 1 || batch.rows != nil {
			b.Fatalf("got changes %+v for one fetch's progress, want its row alone", batch)
		}
	}
}

// fakeTray is the desktop's tray as SetupTray sees it.
type fakeTray struct {
	menu     *fyne.Menu
	icon     fyne.Resource
	window   fyne.Window
	sets     int      // how often the menu was (re)set
	tooltips []string // the icon's tooltip at each change
}

// setupFakeTray sets up the window's tray on a fake desktop.
func (h *harness) setupFakeTray() *fakeTray {
	f := &fakeTray{}
	h.u.opts.TrayTooltip = func(text string) { f.tooltips = append(f.tooltips, text) }
	h.u.SetupTray(f)
	return f
}

// tooltip is the icon's tooltip now.
func (f *fakeTray) tooltip() string {
	if len(f.tooltips) == 0 {
		return ""
	}
	return f.tooltips[len(f.tooltips)-1]
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu) {
	f.menu = m
	f.sets++
}
func (f *fakeTray) SetSystemTrayIcon(r fyne.Resource) { f.icon = r }
func (f *fakeTray) SetSystemTrayWindow(w fyne.Window) { f.window = w }
func (f *fakeTray) item(label string) *fyne.MenuItem {
	for _, it := range f.menu.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

func TestTrayMenuFollowsAndControlsDownloads(t *testing.T) {
	h := newHarness(t, true)
	tray := h.setupFakeTray()
	if tray.window != h.u.Window() || tray.icon == nil {
		t.Errorf("got tray window %v and icon %v, want the main window and the app icon", tray.window, tray.icon)
	}
	var labels []string
	for _, it := range tray.menu.Items {
		if !it.IsSeparator {
			labels = append(labels, it.Label)
		}
	}
	if want := []string{"Show ModelFetch", "Pause all", "Resume all", "Quit"}; !slices.Equal(labels, want) {
		t.Errorf("got tray menu %q, want %q", labels, want)
	}
	h.waitFor("the first poll to set the tooltip", func() bool { return tray.tooltip() == "ModelFetch: Nothing downloading" })

	test.Tap(h.gemmaCard().button)
	h.waitFor("the tray to count the download", func() bool { return strings.HasPrefix(tray.tooltip(), "ModelFetch: 1 downloading") })
	tray.item("Pause all").Action()
	h.waitFor("the tray to say paused", func() bool { return tray.tooltip() == "ModelFetch: 1 paused" && h.rowState("gemma-2b") == "Paused" })
	tray.item("Resume all").Action()
	h.srv.Release()
	h.waitFor("the download to finish", func() bool {
		return tray.tooltip() == "ModelFetch: Nothing downloading" && h.rowState("gemma-2b") == "Ready"
	})
}
