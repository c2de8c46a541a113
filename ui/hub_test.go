package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// hubHarness is the Hugging Face view in a test window, on a fake Hub.
// UI work the app would run on its UI goroutine runs on the test
// goroutine instead, inside waitFor.
type hubHarness struct {
	t     *testing.T
	v     *HubView
	cache hf.Cache
	uiQueue
	asked []downloadAsk
}

type downloadAsk struct {
	plan  hf.Plan
	files []hf.File
}

func newHubHarness(t *testing.T, endpoint string, tok hf.Token) *hubHarness {
	t.Helper()
	test.NewTempApp(t)
	client, err := hf.New(hf.Config{Endpoint: endpoint, Token: tok, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := &hubHarness{t: t, cache: hf.Cache{Dir: t.TempDir()}, uiQueue: newUIQueue()}
	t.Cleanup(func() { close(h.closed) })
	h.v = NewHubView(client, h.cache, func(p hf.Plan, files []hf.File) { h.asked = append(h.asked, downloadAsk{p, files}) })
	h.v.do = h.do
	w := test.NewWindow(h.v)
	w.Resize(fyne.NewSize(900, 1400)) // tall enough for every row of the test repo
	t.Cleanup(w.Close)
	return h
}

// enter types text into the search field and presses Enter.
func (h *hubHarness) enter(text string) {
	h.v.query.SetText("")
	test.Type(h.v.query, text)
	h.v.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func (h *hubHarness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.uiQueue.waitFor(h.t, what, cond, nil)
}

// next is the next piece of UI work, not run.
func (h *hubHarness) next() func() {
	h.t.Helper()
	return h.uiQueue.next(h.t)
}

// fileRow is the laid-out row of the repo list whose name reads text.
func (h *hubHarness) fileRow(text string) (check *widget.Check, have *widget.Label) {
	h.t.Helper()
	for _, o := range test.LaidOutObjects(h.v.files) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 3 {
			continue
		}
		if name, ok := c.Objects[0].(*widget.Label); ok && strings.TrimSpace(name.Text) == text {
			return c.Objects[1].(*widget.Check), c.Objects[2].(*fyne.Container).Objects[1].(*widget.Label)
		}
	}
	h.t.Fatalf("no row %q in the file list", text)
	return nil, nil
}

// gatedBadges is the ids of the laid-out search results with the gated
// badge showing.
func (h *hubHarness) gatedBadges() []string {
	var ids []string
	for _, o := range test.LaidOutObjects(h.v.results) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 2 {
			continue
		}
		texts, ok := c.Objects[0].(*fyne.Container)
		if badge, isLabel := c.Objects[1].(*widget.Label); ok && isLabel && badge.Visible() {
			ids = append(ids, texts.Objects[0].(*widget.Label).Text)
		}
	}
	return ids
}

func tinyHub(t *testing.T, opts ...hftest.Option) *hftest.Hub {
	models := hftest.WithModels(
		map[string]any{"id": "org/Tiny-1B-GGUF", "downloads": 12345, "likes": 67, "lastModified": "2025-01-02T03:04:05.000Z", "gated": false},
		map[string]any{"id": "org/Gated-Tiny-GGUF", "downloads": 890, "likes": 12, "lastModified": "2024-11-30T00:00:00.000Z", "gated": "manual"},
	)
	return hftest.New(t, append([]hftest.Option{hftest.WithRepo(hftest.TinyGGUF()), models}, opts...)...)
}

func TestHubSearchOpenAndDownload(t *testing.T) {
	hub := tinyHub(t)
	h := newHubHarness(t, hub.URL(), hf.Token{})
	h.cacheQ8()

	h.enter("tiny")
	if h.v.note.Text != "Searching the Hub…" {
		t.Errorf("right after Enter the note is %q, want the search under way (no wait on the UI goroutine)", h.v.note.Text)
	}
	h.waitFor("two results", func() bool { return len(h.v.models) == 2 })
	if q := hub.Requests()[0].Query; !strings.Contains(q, "filter=gguf") || !strings.Contains(q, "sort=downloads") {
		t.Errorf("search query %q, want the GGUF filter on and sorted by downloads", q)
	}
	if got := h.gatedBadges(); !slices.Equal(got, []string{"org/Gated-Tiny-GGUF"}) {
		t.Errorf("gated badges on %q, want only the gated repo", got)
	}
	if got := modelDetails(h.v.models[0]); got != "12,345 downloads · 67 likes · updated 2 Jan 2025" {
		t.Errorf("details %q", got)
	}

	h.v.results.Select(0)
	if !h.v.repo.Visible() || h.v.search.Visible() {
		t.Fatal("opening a result did not show the repo page")
	}
	h.waitFor("the file list", func() bool { return len(h.v.rows) > 0 })
	h.checkTinyList()
	h.tickAndDownload()
}

// cacheQ8 puts Q8_0 in the cache, as another tool or an earlier download
// left it.
func (h *hubHarness) cacheQ8() {
	var q8 []byte
	for _, f := range hftest.TinyGGUF().Commits[hftest.CommitMain] {
		if f.Path == "Tiny-1B-Q8_0.gguf" {
			q8 = f.Data
		}
	}
	blob := filepath.Join(h.cache.RepoDir(hf.TypeModel, "org/Tiny-1B-GGUF"), "blobs", hftest.SHA256Hex(q8))
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(blob, q8, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// checkTinyList checks the groups of TinyGGUF's list, the cached mark and
// that nothing starts ticked.
func (h *hubHarness) checkTinyList() {
	t := h.t
	t.Helper()
	var groups []string
	for _, r := range h.v.rows {
		if r.group != nil {
			groups = append(groups, groupTitle(*r.group))
		}
	}
	want := []string{"Q4_K_M · 1 file", "Q8_0 · 1 file", "IQ2_XS · 1 file", "F16 · 3 files", "Other files · 3 files"}
	if !slices.Equal(groups, want) {
		t.Errorf("groups %q, want %q", groups, want)
	}
	if _, have := h.fileRow("Tiny-1B-Q8_0.gguf"); !have.Visible() {
		t.Error("the cached Q8_0 file is not marked downloaded")
	}
	if _, have := h.fileRow("Tiny-1B-Q4_K_M.gguf"); have.Visible() {
		t.Error("Q4_K_M is marked downloaded but is not in the cache")
	}
	if !h.v.get.Disabled() {
		t.Error("Download is enabled with nothing ticked")
	}
}

// tickAndDownload ticks the F16 group and Q4_K_M, unticks one F16 part,
// and taps Download.
func (h *hubHarness) tickAndDownload() {
	t := h.t
	t.Helper()
	group, _ := h.fileRow("F16 · 3 files")
	test.Tap(group)
	single, _ := h.fileRow("Tiny-1B-Q4_K_M.gguf")
	test.Tap(single)
	part2, _ := h.fileRow("Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf")
	test.Tap(part2) // untick one part of the group again
	if h.v.get.Disabled() || h.v.get.Text != "Download 3 files" {
		t.Errorf("button %q (disabled %v), want \"Download 3 files\"", h.v.get.Text, h.v.get.Disabled())
	}
	if group, _ = h.fileRow("F16 · 3 files"); group.Checked {
		t.Error("the F16 box stays ticked with one of its parts unticked")
	}
	test.Tap(h.v.get)
	if len(h.asked) != 1 {
		t.Fatalf("download asked %d times, want 1", len(h.asked))
	}
	var got []string
	for _, f := range h.asked[0].files {
		got = append(got, f.Path)
	}
	wantFiles := []string{"Tiny-1B-Q4_K_M.gguf", "Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf", "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}
	if !slices.Equal(got, wantFiles) || h.asked[0].plan.Commit != hftest.CommitMain {
		t.Errorf("download of %q at %s, want %q at the main commit", got, h.asked[0].plan.Commit, wantFiles)
	}
}

func TestHubPastedNameOpensRepo(t *testing.T) {
	hub := tinyHub(t)
	h := newHubHarness(t, hub.URL(), hf.Token{})
	tests := []struct {
		name string
		want []string
	}{
		{"hf.co/org/Tiny-1B-GGUF:f16", []string{"Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf", "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}},
		{"https://huggingface.co/org/Tiny-1B-GGUF/blob/v1/README.md", []string{"README.md"}},
		{"org/Tiny-1B-GGUF", nil}, // a whole repo ticks nothing by itself
	}
	for _, tt := range tests {
		h.enter(tt.name)
		if !h.v.repo.Visible() {
			t.Fatalf("%s: the repo page is not shown at once", tt.name)
		}
		h.waitFor("the file list of "+tt.name, func() bool { return len(h.v.rows) > 0 })
		var ticked []string
		for _, f := range h.v.plan.Files {
			if h.v.checked[f.Path] {
				ticked = append(ticked, f.Path)
			}
		}
		if !slices.Equal(ticked, tt.want) {
			t.Errorf("%s: ticked %q, want %q", tt.name, ticked, tt.want)
		}
	}
	if h.v.plan.Commit != hftest.CommitMain {
		t.Errorf("commit %s after opening the main branch", h.v.plan.Commit)
	}
}

func TestHubOfflineSaysSoAndDoesNotBlock(t *testing.T) {
	h := newHubHarness(t, origintest.ClosedURL(t), hf.Token{})
	offline := words.Sentence(&hf.Error{Kind: hf.KindOffline})

	h.enter("tiny")
	h.waitFor("the offline note", func() bool { return h.v.note.Text == offline })
	if h.v.note.Importance != widget.DangerImportance {
		t.Error("the offline note is not shown as a problem")
	}
	h.enter("hf.co/org/Tiny-1B-GGUF")
	h.waitFor("the offline note on the repo page", func() bool { return h.v.repoNote.Text == offline })
	if len(h.v.rows) != 0 || !h.v.get.Disabled() {
		t.Error("offline, the repo page lists files or offers Download")
	}
}

func TestHubGatedRepoListsFilesAndSaysHow(t *testing.T) {
	gated := hftest.TinyGGUF()
	gated.ID, gated.Gated = "org/Gated-Tiny-GGUF", true
	hub := tinyHub(t, hftest.WithRepo(gated))
	h := newHubHarness(t, hub.URL(), hf.Token{})
	h.enter("hf.co/org/Gated-Tiny-GGUF:Q4_K_M")
	h.waitFor("the file list", func() bool { return len(h.v.rows) > 0 })
	if !strings.Contains(h.v.repoNote.Text, "log in") || h.v.repoNote.Importance != widget.DangerImportance {
		t.Errorf("note %q, want the gated sentence telling to log in", h.v.repoNote.Text)
	}
}

// TestHubDropsStaleAnswers: a search answered before a repo was opened,
// but run on the UI goroutine after, must not take the window back to the
// results.
func TestHubDropsStaleAnswers(t *testing.T) {
	hub := tinyHub(t)
	h := newHubHarness(t, hub.URL(), hf.Token{})
	h.enter("tiny")
	stale := h.next() // the search's answer, queued but not run yet
	h.enter("hf.co/org/Tiny-1B-GGUF:Q8_0")
	stale()
	h.waitFor("the file list", func() bool { return len(h.v.rows) > 0 })
	if !h.v.repo.Visible() || h.v.search.Visible() || len(h.v.models) != 0 {
		t.Errorf("repo page shown %v, %d results; want the repo page only", h.v.repo.Visible(), len(h.v.models))
	}
}

func TestHubSaysWhichToken(t *testing.T) {
	hub := tinyHub(t, hftest.WithTokens("hf_secret"))
	h := newHubHarness(t, hub.URL(), hf.Token{})
	const none = "Not logged in to Hugging Face: gated and private models need a token (Settings, hf auth login, or HF_TOKEN)."
	if !slices.Contains(h.labels(), none) {
		t.Errorf("labels %q lack %q", h.labels(), none)
	}
	// A token saved in the settings: the window hands the view a new client.
	client, err := hf.New(hf.Config{Endpoint: hub.URL(), Token: hf.NewToken("hf_secret", "/home/me/.cache/huggingface/token")})
	if err != nil {
		t.Fatal(err)
	}
	h.v.SetClient(client, "")
	want := "Logged in to Hugging Face with the token from /home/me/.cache/huggingface/token."
	if !slices.Contains(h.labels(), want) {
		t.Errorf("labels %q lack %q", h.labels(), want)
	}
	if slices.ContainsFunc(h.labels(), func(s string) bool { return strings.Contains(s, "hf_secret") }) {
		t.Error("the token is shown")
	}
	h.enter("tiny")
	h.waitFor("results", func() bool { return len(h.v.models) > 0 })
	if got := hub.Requests()[0].Auth; got != "Bearer hf_secret" {
		t.Errorf("the search after SetClient sent Authorization %q, want the new token", got)
	}
}

// labels is the text of every label of the view.
func (h *hubHarness) labels() []string {
	var texts []string
	for _, o := range test.LaidOutObjects(h.v) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	return texts
}

// BenchmarkHubTick is a tick in a repo of 60 and of 600 files in 6
// groups: the list re-binds only its visible rows, so a tick costs about
// the same with hundreds of files as with tens.
func BenchmarkHubTick(b *testing.B) {
	for _, n := range []int{60, 600} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkTick(b, n) })
	}
}

func benchmarkTick(b *testing.B, n int) {
	test.NewTempApp(b)
	client, err := hf.New(hf.Config{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	v := NewHubView(client, hf.Cache{Dir: b.TempDir()}, func(hf.Plan, []hf.File) {})
	w := test.NewWindow(v)
	defer w.Close()
	w.Resize(fyne.NewSize(900, 700))
	plan := hf.Plan{Repo: "org/Big", Type: hf.TypeModel, Revision: "main", Commit: hftest.CommitMain}
	for i := range n {
		quant := []string{"Q2_K", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", ""}[i%6]
		plan.Files = append(plan.Files, hf.File{Path: fmt.Sprintf("part-%03d-%s.gguf", i, quant), Size: 1 << 30, Quant: quant})
	}
	v.showRepo(plan, map[string]bool{}, nil)
	b.ResetTimer()
	for i := range b.N {
		v.checkFile(plan.Files[i%n].Path, i%2 == 0)
	}
}

// A token the Hub refuses does not stop a public repo: it is listed
// without the token, and the tab says the token was refused. A gated
// repo still says the refusal.
func TestHubListsPublicRepoWithoutRefusedToken(t *testing.T) {
	gated := hftest.TinyGGUF()
	gated.ID, gated.Gated = "lab/Gated-GGUF", true
	hub := tinyHub(t, hftest.WithTokens("hf_good"), hftest.WithRepo(gated))
	h := newHubHarness(t, hub.URL(), hf.NewToken("hf_expired", settingsToken))
	h.v.Open("hf.co/org/Tiny-1B-GGUF")
	h.waitFor("the file list", func() bool { return len(h.v.rows) > 0 })
	if h.v.repoNote.Importance == widget.DangerImportance {
		t.Errorf("got the repo note %q as a problem, want the listing", h.v.repoNote.Text)
	}
	if h.v.login.Importance != widget.WarningImportance {
		t.Errorf("got %q, want the refusal said", h.v.login.Text)
	}
	wordstest.IsSentence(t, h.v.login.Text, "Settings")
	h.v.Open("hf.co/lab/Gated-GGUF")
	h.waitFor("the refusal", func() bool { return h.v.repoNote.Importance == widget.DangerImportance })
	wordstest.IsSentence(t, h.v.repoNote.Text, "Settings")
}
