package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/modelfetch/modelfetch/ui/term"
)

// longTitle is a catalog title far wider than any window.
const longTitle = "Meta Llama 3.1 8B Instruct, quantised to 4 bits (Q4_K_M) in GGUF for llama.cpp, Ollama and LM Studio, with the long names some catalogs give their models"

func TestWindowFitsHalfASmallScreen(t *testing.T) {
	h := newHarnessWith(t, true, func(o *Options) {
		o.Catalog = append([]catalog.Model{{ID: "llama-long", Title: longTitle,
			Files: []catalog.ModelFile{{URL: "http://127.0.0.1:1/llama.gguf"}}}}, o.Catalog...)
	})
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return h.rowState("gemma-2b") == "Downloading" && s.Downloaded > 0
	})
	min := h.u.win.Content().MinSize()
	if min.Width > 640 {
		t.Fatalf("got a minimum width of %v px with a long title in the catalog, want at most 640", min.Width)
	}
	h.u.win.Resize(fyne.NewSize(640, 480))
	h.waitFor("the layout at 640 px", func() bool { return h.row("gemma-2b") != nil && h.row("gemma-2b").line.Size().Width > 0 })
	r := h.row("gemma-2b")
	// A line as long as a running row's gets must fit uncut.
	need := fyne.MeasureText(widestLine, theme.CaptionTextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding()
	if r.line.Size().Width < need {
		t.Errorf("got %v px for the row's line at 640 px, want %v for %q", r.line.Size().Width, need, widestLine)
	}
	if got := h.u.status.Size().Width; got < h.u.status.MinSize().Width {
		t.Errorf("got the status line %v px wide, want its %v", got, h.u.status.MinSize().Width)
	}
	card := h.u.cards[0]
	if card.title.Text != longTitle || card.title.Truncation != fyne.TextTruncateEllipsis {
		t.Errorf("got the long title %q cut %v, want it whole in the label and cut with an ellipsis", card.title.Text, card.title.Truncation)
	}
	if w := card.button.Size().Width; w < card.button.MinSize().Width {
		t.Errorf("got the card's button %v px wide, want at least %v", w, card.button.MinSize().Width)
	}
	// Its tooltip says the whole title.
	card.title.MouseIn(hoverAt(card.title))
	if !h.u.tips.bubble.Visible() || !strings.Contains(tipText(h.u.tips), "Ollama") {
		t.Errorf("got tooltip %q (shown %v), want the whole title", tipText(h.u.tips), h.u.tips.bubble.Visible())
	}
	card.title.MouseOut()
	if h.u.tips.bubble.Visible() {
		t.Error("got the tooltip still shown after the pointer left")
	}
	h.srv.Release()
}

func TestSplitRemembered(t *testing.T) {
	h := newHarness(t, false)
	h.u.split.SetOffset(0.5)
	h.u.saveLayout()
	if got := fyne.CurrentApp().Preferences().Float(prefSplit); got != 0.5 {
		t.Errorf("got split %v saved, want 0.5", got)
	}
	h2 := New(fyne.CurrentApp(), h.m, Options{Do: h.do, Bus: h.u.opts.Bus, Notify: func(*fyne.Notification) {}})
	defer h2.Stop()
	if h2.split.Offset != 0.5 {
		t.Errorf("got split %v in a new window, want 0.5", h2.split.Offset)
	}
}

func hoverAt(o fyne.CanvasObject) *desktop.MouseEvent {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return &desktop.MouseEvent{PointEvent: fyne.PointEvent{AbsolutePosition: pos}}
}

// tipText is what the tooltip says.
func tipText(t *tooltips) string {
	var lines []string
	for _, o := range t.lines.Objects {
		lines = append(lines, o.(*canvas.Text).Text)
	}
	return strings.Join(lines, " ")
}

// fetchURLs starts downloads of the server's file under the given names.
func (h *harness) fetchURLs(names ...string) []string {
	h.t.Helper()
	var ids []string
	for _, name := range names {
		id, err := h.u.fetchURL(h.srv.URL+"/"+name, "", "")
		if err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestRowsRunningFirstThenQueue: what downloads comes first, then the
// queue in the order it starts, each saying its place; finished rows go
// below, the newest first.
func TestRowsRunningFirstThenQueue(t *testing.T) {
	h := newHarness(t, true)
	h.u.applySettings(settings{dir: h.cfg.ModelsDir, parallel: 1})
	ids := h.fetchURLs("a.bin")
	h.waitFor("the first to download", func() bool { return h.rowState(ids[0]) == "Downloading" })
	ids = append(ids, h.fetchURLs("b.bin", "c.bin")...)
	h.waitFor("two queued", func() bool {
		return h.row(ids[1]) != nil && h.row(ids[1]).line.Text == "Queued · 1st in line" &&
			h.row(ids[2]) != nil && h.row(ids[2]).line.Text == "Queued · 2nd in line"
	})
	if got := []string{h.u.rows[0].id, h.u.rows[1].id, h.u.rows[2].id}; !slices.Equal(got, ids) {
		t.Errorf("got rows %q, want the running one first, then the queue in order %q", got, ids)
	}
	if r := h.row(ids[1]); r.bar.kind != barIdle || !r.pause.Visible() {
		t.Errorf("got a queued row with bar kind %v and Pause shown %v, want a still track and Pause", r.bar.kind, r.pause.Visible())
	}
	if got := h.u.status.Text; !strings.HasPrefix(got, "1 downloading") || !strings.HasSuffix(got, " · 2 queued") {
		t.Errorf("got status %q, want 1 downloading and 2 queued told apart", got)
	}
	h.srv.Release()
	h.waitFor("all three ready", func() bool {
		return h.rowState(ids[0]) == "Ready" && h.rowState(ids[1]) == "Ready" && h.rowState(ids[2]) == "Ready"
	})
	if got := h.row(ids[0]).title.Text; got != "a.bin ready" {
		t.Errorf("got title %q for a URL, want its file name", got)
	}
	if got := []string{h.u.rows[0].id, h.u.rows[1].id, h.u.rows[2].id}; !slices.Equal(got, []string{ids[2], ids[1], ids[0]}) {
		t.Errorf("got finished rows %q, want the newest first", got)
	}
}

func TestDetailsOfThreeFilesWithAFailure(t *testing.T) {
	h := newHarness(t, false)
	reqs := []fetch.Request{{URL: h.srv.URL + "/weights.bin"}, {URL: h.srv.URL + "/tokenizer.json"}, {URL: h.srv.URL + "/missing/config.json"}}
	if _, err := h.m.Fetch("three", reqs, fetch.Options{Title: "Three files"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the row", func() bool { return len(h.u.rows) == 1 })
	h.u.list.Select(0)
	v := h.u.details
	h.waitFor("the details of the failed fetch", func() bool { // the history follows the events, a tick apart
		return v.snap.State == fetch.StateFailed && len(v.views) == 3 && v.failure.Visible() && strings.Contains(v.history.Text, "Failed")
	})
	if !v.root.Visible() || v.id != "three" {
		t.Fatalf("got details shown %v for %q, want shown for three", v.root.Visible(), v.id)
	}
	if !strings.Contains(v.reason.Text, "404 Not Found") || v.advice.Text != term.Advice(fetch.ReasonBadStatus, 404) {
		t.Errorf("got reason %q and advice %q, want the status and what to do", v.reason.Text, v.advice.Text)
	}
	checkFileViews(t, v.views, reqs)
	test.Tap(v.views[0].source.copy)
	if got := fyne.CurrentApp().Clipboard().Content(); got != reqs[0].URL {
		t.Errorf("got %q on the clipboard, want the address", got)
	}
	if !v.buttons.retry.Visible() || v.buttons.pause.Visible() {
		t.Errorf("got Retry %v and Pause %v on a failed fetch, want Retry only", v.buttons.retry.Visible(), v.buttons.pause.Visible())
	}
	if !strings.Contains(v.history.Text, "Added ") || !strings.Contains(v.history.Text, "Failed") {
		t.Errorf("got history %q, want when it was added and how it ended", v.history.Text)
	}
	h.u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if v.root.Visible() || h.u.detailID() != "" {
		t.Error("got the details still open after Escape")
	}
}

// checkFileViews checks the details' files: the first ones done, the
// last one failed.
func checkFileViews(t *testing.T, views []*fileView, reqs []fetch.Request) {
	t.Helper()
	for i, f := range views {
		wantDone := i < len(views)-1
		if f.source.value.Text != reqs[i].URL {
			t.Errorf("file %d: got source %q, want %q", i, f.source.value.Text, reqs[i].URL)
		}
		if done := f.bar.kind == barDone; done != wantDone || f.dest.root.Visible() != wantDone || f.open.Visible() != wantDone {
			t.Errorf("file %d: got bar %v, destination shown %v, Open folder %v; want done %v", i, f.bar.kind, f.dest.root.Visible(), f.open.Visible(), wantDone)
		}
	}
	if bad := views[len(views)-1]; bad.bar.kind != barFailed || !strings.Contains(bad.line.Text, "Failed") {
		t.Errorf("got the missing file's bar %v and line %q, want it failed", bad.bar.kind, bad.line.Text)
	}
}

func TestSpeedHistoryKeepsOneSampleASecond(t *testing.T) {
	var h speedHistory
	t0 := time.Unix(1000, 0)
	for i := range 2 * speedWindow {
		h.add(float64(i), t0.Add(time.Duration(i)*500*time.Millisecond))
	}
	got := h.values()
	if len(got) != speedWindow || got[len(got)-1] != 2*speedWindow-2 {
		t.Errorf("got %d samples ending %v, want %d ending %d", len(got), got[len(got)-1], speedWindow, 2*speedWindow-2)
	}
	if b := bucket([]float64{1, 5, 2, 0, 3}, 2); !slices.Equal(b, []float64{5, 2, 3}) {
		t.Errorf("got buckets %v, want the peaks [5 2 3]", b)
	}
}

func TestNotificationsCoalesce(t *testing.T) {
	h := newHarnessWith(t, true, func(o *Options) { o.Interval = 250 * time.Millisecond }) // a quiet while of 1 s, as in the app
	ids := h.fetchURLs("a.bin", "b.bin", "c.bin")
	h.waitFor("all three halfway", func() bool {
		for _, id := range ids {
			if s, _ := h.m.Get(id); s.Downloaded == 0 {
				return false
			}
		}
		return true
	})
	h.srv.Release()
	h.waitFor("a notification", func() bool { return len(h.notes) > 0 })
	for _, id := range ids {
		if s, _ := h.m.Get(id); s.State != fetch.StateSucceeded {
			t.Fatalf("got a notification before %s finished: %+v", id, h.notes)
		}
	}
	if len(h.notes) != 1 || h.notes[0].Title != "3 downloads finished" {
		t.Fatalf("got notifications %+v, want one saying 3 downloads finished", h.notes)
	}
	for _, name := range []string{"a.bin", "b.bin", "c.bin"} {
		if !strings.Contains(h.notes[0].Content, name) {
			t.Errorf("got body %q, want %s named", h.notes[0].Content, name)
		}
	}
}

func TestCoalescerWaitsForQuiet(t *testing.T) {
	c := coalescer{quiet: 400 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	c.add(fetch.Snapshot{ID: "a"}, t0)
	c.add(fetch.Snapshot{ID: "b"}, t0.Add(300*time.Millisecond))
	if got := c.flush(t0.Add(600 * time.Millisecond)); got != nil || !c.waiting() {
		t.Errorf("got %v flushed 300 ms after the last, want them held", got)
	}
	if got := c.flush(t0.Add(700 * time.Millisecond)); len(got) != 2 || c.waiting() {
		t.Errorf("got %v flushed after the quiet while, want both", got)
	}
}

func TestNotificationWords(t *testing.T) {
	ok := func(title string) fetch.Snapshot {
		return fetch.Snapshot{Title: title, State: fetch.StateSucceeded, Records: []fetch.RecordSnapshot{{Path: "/srv/models/" + title + "/f.bin"}}}
	}
	failed := fetch.Snapshot{Title: "Broken", State: fetch.StateFailed, Message: "The server answered 404 Not Found."}
	for _, c := range []struct {
		in          []fetch.Snapshot
		title, body string
	}{
		{[]fetch.Snapshot{ok("A")}, "A ready", "f.bin in /srv/models/A"},
		{[]fetch.Snapshot{failed}, "Broken failed", "The server answered 404 Not Found."},
		{[]fetch.Snapshot{ok("A"), ok("B"), ok("C"), ok("D")}, "4 downloads finished", "A, B and 2 more"},
		{[]fetch.Snapshot{ok("A"), ok("B"), failed}, "2 downloads finished, 1 failed", "A and B. Failed: Broken"},
	} {
		n := summarize(c.in, hubNames{})
		if n.title != c.title || n.body != c.body || n.reveal != firstPath(c.in[0]) {
			t.Errorf("got %q / %q revealing %q, want %q / %q revealing %q", n.title, n.body, n.reveal, c.title, c.body, firstPath(c.in[0]))
		}
	}
}

func TestTrayItemsKeepTheirIDs(t *testing.T) {
	h := newHarness(t, true)
	tray := h.setupFakeTray()
	menu, items := tray.menu, slices.Clone(tray.menu.Items)
	labels := make([]string, len(items))
	for i, it := range items {
		labels[i] = it.Label
	}
	ids := h.fetchURLs("a.bin", "b.bin")
	h.waitFor("the tray to count the downloads", func() bool { return strings.HasPrefix(tray.tooltip(), "ModelFetch: 2 downloading") })
	tray.item("Pause all").Action()
	h.waitFor("the tray to say paused", func() bool { return tray.tooltip() == "ModelFetch: 2 paused" })
	tray.item("Resume all").Action()
	h.srv.Release()
	h.waitFor("both ready", func() bool { return h.rowState(ids[0]) == "Ready" && h.rowState(ids[1]) == "Ready" })
	h.waitFor("the tray to say so", func() bool { return tray.tooltip() == "ModelFetch: Nothing downloading" })
	// The menu is set once and never changes, so the desktop never gives
	// its items new ids: a click on a menu opened long ago still works.
	if tray.sets != 1 || tray.menu != menu || !slices.Equal(tray.menu.Items, items) {
		t.Errorf("got the menu set %d times, want once with the same items", tray.sets)
	}
	for i, it := range tray.menu.Items {
		if it.Label != labels[i] {
			t.Errorf("got item %d reading %q, want %q as at the start", i, it.Label, labels[i])
		}
	}
	// The tooltip changes only when its words do (how often is
	// TestThrottle's: here the changes are applied when the test runs the
	// UI's queue, not when the poller made them).
	for i := 1; i < len(tray.tooltips); i++ {
		if tray.tooltips[i] == tray.tooltips[i-1] {
			t.Errorf("got the tooltip set again with the same words %q", tray.tooltips[i])
		}
	}
}

func TestThrottle(t *testing.T) {
	th := throttle{every: time.Second}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		text  string
		at    time.Duration
		shown string
	}{
		{"a", 0, "a"}, {"a", 100 * time.Millisecond, ""}, {"b", 200 * time.Millisecond, ""},
		{"c", 900 * time.Millisecond, ""}, {"c", time.Second, "c"}, {"c", 3 * time.Second, ""}, {"d", 3 * time.Second, "d"},
	}
	for _, s := range steps {
		if got := th.offer(s.text, t0.Add(s.at)); got != s.shown {
			t.Errorf("offer(%q) at %v = %q, want %q", s.text, s.at, got, s.shown)
		}
	}
	if th.waiting() {
		t.Error("got something waiting after all was shown")
	}
}

func TestKeyboard(t *testing.T) {
	h := newHarness(t, true)
	shortcuts := h.u.win.Canvas().(fyne.Shortcutable)
	shortcuts.TypedShortcut(shortcutAddURL)
	f := h.u.add
	if f == nil || h.u.dialog == nil {
		t.Fatal("got no Add URL dialog from Ctrl+L")
	}
	f.url.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.u.add != nil || h.u.dialog != nil {
		t.Fatal("got the Add URL dialog still open after Escape")
	}

	shortcuts.TypedShortcut(shortcutSettings)
	s := h.u.setup
	if s == nil {
		t.Fatal("got no Settings from Ctrl+,")
	}
	s.limit.SetText("5 MB")
	s.limit.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.u.setup != nil || h.u.prefs.limit != 5_000_000 {
		t.Fatalf("got Settings open %v with limit %d after Enter, want them saved", h.u.setup != nil, h.u.prefs.limit)
	}
	h.u.applySettings(settings{dir: h.cfg.ModelsDir, parallel: 3})

	shortcuts.TypedShortcut(shortcutAddURL)
	f = h.u.add
	f.url.SetText(h.srv.URL + "/a.bin\n\n  " + h.srv.URL + "/b.bin  ")
	f.url.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.u.add != nil || len(h.m.IDs()) != 2 {
		t.Fatalf("got dialog open %v and fetches %q for two addresses, want both started", h.u.add != nil, h.m.IDs())
	}
	h.waitFor("two rows downloading", func() bool { return len(h.u.rows) == 2 && h.rowState(h.u.rows[1].id) == "Downloading" })
	if h.u.rows[0].title != "a.bin" {
		t.Errorf("got %q on top, want the first to start, a.bin", h.u.rows[0].title)
	}
	key := h.u.win.Canvas().OnTypedKey()
	h.u.list.Select(1)
	id := h.u.rows[1].id
	key(&fyne.KeyEvent{Name: fyne.KeySpace})
	h.waitFor("Space to pause the selected", func() bool { return h.rowState(id) == "Paused" })
	key(&fyne.KeyEvent{Name: fyne.KeySpace})
	h.waitFor("Space to resume it", func() bool { return h.rowState(id) != "Paused" })
	key(&fyne.KeyEvent{Name: fyne.KeyDelete}) // little downloaded: cancelled without asking
	h.waitFor("Delete to cancel it", func() bool { return h.rowState(id) == "Cancelled" })
	key(&fyne.KeyEvent{Name: fyne.KeyDelete})
	h.waitFor("Delete to remove it", func() bool { return len(h.u.rows) == 1 })
	h.srv.Release()
}

func TestCancelAsksBeforeDeletingMuch(t *testing.T) {
	h := newHarness(t, true)
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool { return h.rowState("gemma-2b") == "Downloading" })
	r := h.row("gemma-2b").data
	r.partial = 1 << 30 // as if a gigabyte were downloaded
	h.u.cancelFetch(r)
	confirm, ok := h.u.dialog.(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("got dialog %T, want a question", h.u.dialog)
	}
	if s, _ := h.m.Get("gemma-2b"); !s.Active() {
		t.Fatal("got the download cancelled before the answer")
	}
	confirm.Confirm()
	h.waitFor("the row to read Cancelled", func() bool { return h.rowState("gemma-2b") == "Cancelled" })
}

func TestClearFinished(t *testing.T) {
	h := newHarness(t, false)
	ids := h.fetchURLs("a.bin", "missing/b.bin")
	h.waitFor("one ready, one failed", func() bool {
		return h.rowState(ids[0]) == "Ready" && strings.HasPrefix(h.rowState(ids[1]), "Failed")
	})
	if !h.u.clear.Visible() {
		t.Fatal("got no Clear finished with a finished download")
	}
	test.Tap(h.u.clear)
	h.waitFor("the ready one to go", func() bool { return len(h.u.rows) == 1 })
	if h.u.rows[0].id != ids[1] || h.u.clear.Visible() {
		t.Errorf("got rows %v (Clear finished shown %v), want the failed one kept", h.u.rows, h.u.clear.Visible())
	}
}
