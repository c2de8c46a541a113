package ui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// TestRetryThatFailsAgainShows: every failure and Retry is a line of the
// details' history, and a Retry that fails again changes the row.
func TestRetryThatFailsAgainShows(t *testing.T) {
	h := newHarness(t, false)
	h.srv.fail.Store(true)
	ids := h.fetchURLs("model.bin")
	h.waitFor("the first failure", func() bool { return strings.HasPrefix(h.rowState(ids[0]), "Failed") })
	first := h.row(ids[0]).line.Text
	test.Tap(h.row(ids[0]).retry)
	h.waitFor("the second failure", func() bool {
		r := h.row(ids[0])
		return r != nil && r.data.failed && r.line.Text != first
	})
	h.u.list.Select(0)
	h.waitFor("the details", func() bool { return h.u.details.snap.State == fetch.StateFailed })
	lines := strings.Split(h.u.details.history.Text, "\n")
	var failures, retries int
	for _, l := range lines {
		failures += strings.Count(l, "Failed: ")
		retries += strings.Count(l, "Retried")
	}
	if failures != 2 || retries != 1 {
		t.Errorf("got history %q, want two failures and a Retry between", lines)
	}
}

// portalServer answers every path with a sign-in page until signedIn,
// then with the harness's file, as a captive portal does.
func portalServer(t *testing.T, h *harness, signedIn *atomic.Bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !signedIn.Load() {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Sign in to the café's Wi-Fi</body></html>"))
			return
		}
		http.Redirect(w, r, h.srv.URL+"/model.bin", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCaptivePortalRow: a fetch behind a captive portal says where to sign
// in, offers the page, counts as waiting (not downloading), and goes on
// once signed in.
func TestCaptivePortalRow(t *testing.T) {
	h := newHarness(t, false)
	var signedIn atomic.Bool
	portal := portalServer(t, h, &signedIn)
	id, err := h.u.fetchURL(portal+"/gemma.gguf", "", "")
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the row to say sign in", func() bool {
		r := h.row(id)
		return r != nil && r.signIn.Visible()
	})
	r := h.row(id)
	if r.data.signIn != portal+"/gemma.gguf" || !strings.Contains(r.line.Text, r.data.signIn) || r.pause.Visible() {
		t.Errorf("got sign-in page %q, line %q, Pause shown %v; want the portal's page in the line and its button", r.data.signIn, r.line.Text, r.pause.Visible())
	}
	if got := h.u.status.Text; strings.Contains(got, "downloading") || !strings.Contains(got, "waiting") {
		t.Errorf("got status %q, want the fetch counted as waiting", got)
	}
	h.u.list.Select(0)
	h.waitFor("the details to offer the sign-in page", func() bool { return h.u.details.buttons.signIn.Visible() })
	signedIn.Store(true)
	h.waitFor("the download to finish once signed in", func() bool { return h.rowState(id) == "Ready" })
}

// TestCancelledRowDownloadsAgain: a cancelled row offers Download again,
// which downloads it.
func TestCancelledRowDownloadsAgain(t *testing.T) {
	h := newHarness(t, true)
	ids := h.fetchURLs("model.bin")
	h.waitFor("bytes to arrive", func() bool { return h.rowState(ids[0]) == "Downloading" })
	test.Tap(h.row(ids[0]).cancel)
	h.waitFor("the row to read Cancelled", func() bool { return h.rowState(ids[0]) == "Cancelled" })
	r := h.row(ids[0])
	if !r.again.Visible() || r.retry.Visible() {
		t.Fatalf("got Download again %v, Retry %v on a cancelled row", r.again.Visible(), r.retry.Visible())
	}
	h.srv.Release()
	test.Tap(r.again)
	h.waitFor("the row to read Ready", func() bool { return h.rowState(ids[0]) == "Ready" })
	// The engine downloads the same fetch again (Retry), as it was asked for.
	if lines := h.u.history.lines(ids[0]); !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "Downloading again") }) {
		t.Errorf("got the history %q, want the download started again", lines)
	}
}

// TestOpenFolderThatCannotOpenSaysSo: when the folder cannot be opened,
// a dialog says so and offers its path.
func TestOpenFolderThatCannotOpenSaysSo(t *testing.T) {
	h := newHarnessWith(t, false, func(o *Options) {
		o.Reveal = func(string) error { return errors.New("no file manager") }
	})
	ids := h.fetchURLs("model.bin")
	h.waitFor("the row to read Ready", func() bool { return h.rowState(ids[0]) == "Ready" })
	test.Tap(h.row(ids[0]).open)
	d, ok := h.u.dialog.(*dialog.CustomDialog)
	if !ok {
		t.Fatalf("got dialog %T, want the problem said", h.u.dialog)
	}
	want := filepath.Join(h.cfg.ModelsDir, ids[0])
	found := slices.ContainsFunc(test.LaidOutObjects(h.u.win.Canvas().Overlays().Top()), func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && l.Text == want
	})
	if !found {
		t.Errorf("got no %s offered in the dialog", want)
	}
	d.Hide()
}

// TestHubRowsAndCards: a Hub fetch is titled ORG/REPO · QUANT, and a
// catalog model of the Hub whose files are in the cache says Ready with
// its size and opens its folder.
func TestHubRowsAndCards(t *testing.T) {
	h, cache, _ := hubWindow(t)
	snapshot := filepath.Join(cache.Dir, "models--ggerganov--whisper.cpp", "snapshots", hftest.CommitMain)
	if err := os.MkdirAll(snapshot, 0o755); err != nil {
		t.Fatal(err)
	}
	refs := filepath.Join(cache.Dir, "models--ggerganov--whisper.cpp", "refs")
	if err := os.MkdirAll(refs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(refs, "main"), []byte(hftest.CommitMain), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(snapshot, "ggml-base.en.bin"), make([]byte, 147_000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.u.Open("hf.co/org/Tiny-1B-GGUF:Q4_K_M"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the repo's files", func() bool { return !h.u.hub.get.Disabled() })
	test.Tap(h.u.hub.get)
	h.waitFor("the Hub row", func() bool {
		return slices.ContainsFunc(h.u.rows, func(r rowData) bool { return strings.HasPrefix(r.title, "org/Tiny-1B-GGUF · Q4_K_M") })
	})
	var card *modelCard
	for _, c := range h.u.cards {
		if c.model.HF == "ggerganov/whisper.cpp" {
			card = c
		}
	}
	if card == nil {
		t.Fatal("no Whisper card in the built-in catalog")
	}
	h.waitFor("the Whisper card to be ready", func() bool { return card.state.ready })
	if card.button.Text != "Open folder" || !strings.Contains(card.detail.Text, "147 kB") {
		t.Errorf("got %q and %q on the card, want Open folder and the size", card.button.Text, card.detail.Text)
	}
	test.Tap(card.button)
	if len(h.revealed) != 1 || filepath.Base(h.revealed[0]) != "ggml-base.en.bin" {
		t.Errorf("got revealed %q, want the model's file", h.revealed)
	}
}

// TestKeysFromEverywhere: the shortcuts work from a text field; Space and
// Delete act on the row the list highlights; Enter gives a question its
// safe answer.
func TestKeysFromEverywhere(t *testing.T) {
	h := newHarness(t, true)
	h.u.showAddURL()
	add := h.u.add
	add.url.TypedShortcut(shortcutSettings)
	if h.u.setup == nil {
		t.Fatal("got no Settings from Ctrl+, in the Add URL field")
	}
	h.u.setup.dialog.Hide()
	add.dialog.Hide()
	if add.url.AcceptsTab() {
		t.Error("got Tab typed into the addresses, want it to move the focus")
	}

	ids := h.fetchURLs("a.bin", "b.bin")
	h.waitFor("both downloading", func() bool { return h.rowState(ids[0]) == "Downloading" && h.rowState(ids[1]) == "Downloading" })
	h.u.win.Canvas().Focus(h.u.list)
	h.u.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	h.u.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	h.waitFor("Space to pause the highlighted row", func() bool { return h.rowState(ids[1]) == "Paused" })
	if h.rowState(ids[0]) != "Downloading" {
		t.Errorf("got %q for the row not highlighted, want it left alone", h.rowState(ids[0]))
	}

	r := h.row(ids[0]).data
	r.partial = 1 << 30 // as if a gigabyte were downloaded: Cancel asks
	h.u.cancelFetch(r)
	if _, ok := h.u.dialog.(*dialog.ConfirmDialog); !ok {
		t.Fatalf("got dialog %T, want the question", h.u.dialog)
	}
	h.u.typedKey(fyne.KeyReturn)
	if h.u.dialog != nil {
		t.Fatal("got the question still open after Enter")
	}
	if s, _ := h.m.Get(ids[0]); !s.Active() {
		t.Error("got the download cancelled by Enter, want Keep downloading")
	}
	h.srv.Release()
}
