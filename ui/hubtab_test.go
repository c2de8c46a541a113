package ui

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader/words/wordstest"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// hubWindow is the window with a Hugging Face tab on a fake Hub, its
// files going to a Hub cache of the test's; the Hub says the token
// hf_newtoken is ada's (whoAmIHub).
func hubWindow(t *testing.T) (*harness, hf.Cache, *engineHub) {
	endpoint := whoAmIHub(t, tinyHub(t).URL())
	cache := hf.Cache{Dir: t.TempDir()}
	engine := &engineHub{}
	h := newHarnessWith(t, false, func(o *Options) {
		c, err := hf.New(hf.Config{Endpoint: endpoint})
		if err != nil {
			t.Fatal(err)
		}
		o.Hub, o.HubLayout, o.HubTokenPath = c, cache, filepath.Join(t.TempDir(), "hf", "token")
		o.HubEngine = engine
	})
	return h, cache, engine
}

// engineHub stands in for the engine's Hub transport: it keeps the
// tokens it is given.
type engineHub struct {
	given   []hf.Token
	refused func(hf.Token)
}

func (e *engineHub) SetToken(tok hf.Token)      { e.given = append(e.given, tok) }
func (e *engineHub) OnRefused(f func(hf.Token)) { e.refused = f }

// whoAmIHub is the Hub at endpoint, which also answers /api/whoami-v2 as
// the Hub does: ada for the token hf_newtoken, 401 for any other.
func whoAmIHub(t *testing.T, endpoint string) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	hub := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/api/whoami-v2":
			hub.ServeHTTP(w, r)
		case r.Header.Get("Authorization") == "Bearer hf_newtoken":
			w.Write([]byte(`{"type":"user","name":"ada"}`))
		default:
			w.Header().Set("X-Error-Message", "Invalid credentials in Authorization header")
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A Hub name given to the window opens its repo in the Hugging Face tab,
// and its Download fetches the ticked files into the Hub cache.
func TestWindowHubTabDownloads(t *testing.T) {
	h, cache, _ := hubWindow(t)
	w := test.NewWindow(h.u.win.Content())
	w.Resize(fyne.NewSize(980, 1400))
	t.Cleanup(w.Close)
	if err := h.u.Open("hf.co/org/Tiny-1B-GGUF:Q4_K_M"); err != nil {
		t.Fatal(err)
	}
	if h.u.places.SelectedIndex() != 1 {
		t.Error("the Hugging Face tab is not shown")
	}
	h.waitFor("the repo's files", func() bool { return h.u.hub.plan.Commit != "" && !h.u.hub.get.Disabled() })
	test.Tap(h.u.hub.get)
	plan := h.u.hub.plan
	var f hf.File
	for _, f = range plan.Files {
		if f.Quant == "Q4_K_M" {
			break
		}
	}
	h.waitFor("the file in the cache", func() bool {
		for _, s := range h.m.Snapshots() {
			if s.State == fetch.StateSucceeded && s.Title == "Tiny-1B-GGUF Q4_K_M" {
				return true
			}
		}
		return false
	})
	if data, err := os.ReadFile(cache.SnapshotPath(plan, f)); err != nil || len(data) != 100 {
		t.Errorf("the snapshot path holds %d bytes, %v", len(data), err)
	}
	if min := h.u.win.Content().MinSize(); min.Width > 640 {
		t.Errorf("the window with the Hugging Face tab is at least %v px wide, want at most 640", min.Width)
	}
}

// typeToken types value into Settings' token field and saves.
func typeToken(h *harness, value string) *settingsForm {
	h.u.showSettings()
	f := h.u.setup
	f.token.entry.SetText("")
	test.Type(f.token.entry, value)
	test.Tap(f.save)
	return f
}

// A token the Hub refuses is said in the form, in the Hub's words naming
// Settings, and saves nothing; editing the field clears the message.
func TestSettingsRefusesAWrongToken(t *testing.T) {
	h, _, engine := hubWindow(t)
	f := typeToken(h, "hf_wrong")
	h.waitFor("the refusal", func() bool { return f.problem.Importance == widget.DangerImportance && f.problem.Visible() })
	wordstest.IsSentence(t, f.problem.Text, "Settings")
	if _, err := os.Stat(h.u.opts.HubTokenPath); err == nil || len(engine.given) != 0 {
		t.Fatalf("got a refused token saved (given to the engine %d times)", len(engine.given))
	}
	test.Type(f.token.entry, "x")
	if f.problem.Visible() {
		t.Error("got the refusal still shown after the field was edited")
	}
}

// The token typed in Settings is checked with the Hub, then goes to the
// token file (0600), the Hub tab, the engine and the local API's
// resolves; the field never shows it; Remove takes it away again.
func TestSettingsSavesHubToken(t *testing.T) {
	h, _, engine := hubWindow(t)
	if c := h.u.HubClient(); c == nil || c.Token().Set() {
		t.Fatal("before Settings, the local API's Hub client is missing or has a token")
	}
	f := typeToken(h, " hf_newtoken\n")
	if !f.token.entry.Password {
		t.Error("got the token field showing what is typed")
	}
	h.waitFor("the settings to close", func() bool { return h.u.setup == nil })
	fi, err := os.Stat(h.u.opts.HubTokenPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", fi, err)
	}
	if data, _ := os.ReadFile(h.u.opts.HubTokenPath); string(data) != "hf_newtoken" {
		t.Errorf("the token file holds %q", data)
	}
	if len(engine.given) != 1 || !engine.given[0].Set() || !h.u.opts.Hub.Token().Set() {
		t.Errorf("the engine got %d tokens, the Hub tab's client has one: %v", len(engine.given), h.u.opts.Hub.Token().Set())
	}
	// The local API resolves Hub names with the window's client (see Run).
	if c := h.u.HubClient(); c != h.u.opts.Hub || !c.Token().Set() {
		t.Error("the local API's Hub client did not get the saved token")
	}
	if !strings.Contains(h.u.hub.login.Text, "ada") {
		t.Errorf("got the Hub tab saying %q, want whose the token is", h.u.hub.login.Text)
	}
	checkRemoveToken(t, h, engine)
}

// checkRemoveToken checks that Settings say whose the saved token is and
// that Remove takes it away.
func checkRemoveToken(t *testing.T, h *harness, engine *engineHub) {
	t.Helper()
	h.u.showSettings()
	f := h.u.setup
	if !f.token.remove.Visible() || !strings.Contains(f.token.state.Text, "ada") {
		t.Fatalf("got Remove shown %v and %q, want Remove and whose the token is", f.token.remove.Visible(), f.token.state.Text)
	}
	test.Tap(f.token.remove)
	if _, err := os.Stat(h.u.opts.HubTokenPath); err == nil || h.u.opts.Hub.Token().Set() || engine.given[1].Set() {
		t.Error("got the token still there after Remove")
	}
	if f.token.remove.Visible() {
		t.Error("got Remove still offered with no token")
	}
}

// A Hub name typed into Add URL opens its repo in the Hugging Face tab
// instead of being fetched as a plain address.
func TestAddURLOpensHubName(t *testing.T) {
	h, _, _ := hubWindow(t)
	h.u.showAddURL()
	f := h.u.add
	test.Type(f.url, "https://huggingface.co/org/Tiny-1B-GGUF")
	test.Tap(f.add)
	if h.u.places.SelectedIndex() != 1 {
		t.Fatal("the Hugging Face tab is not shown")
	}
	h.waitFor("the repo's files", func() bool { return h.u.hub.plan.Repo == "org/Tiny-1B-GGUF" })
	if n := len(h.m.Snapshots()); n != 0 {
		t.Errorf("%d fetches started, want none until Download", n)
	}
}

// TestHubCatalogCardIsNotReady: a catalog model named by a Hub repo has
// no URL files to match, so its card offers Download, not Open folder.
func TestHubCatalogCardIsNotReady(t *testing.T) {
	h := newHarness(t, false)
	h.waitFor("the first poll", func() bool { return h.u.status.Text == "Nothing downloading" })
	for _, c := range h.u.cards {
		if c.model.HF == "" {
			continue
		}
		h.waitFor("the card of "+c.model.ID+" to be drawn", func() bool { return c.button.Text != "" })
		if c.state.ready || c.button.Text == "Open folder" {
			t.Errorf("got the card of %s ready (%q), want Download", c.model.ID, c.button.Text)
		}
		return
	}
	t.Fatal("the built-in catalog has no Hub model")
}

// A Hub download from the window is finished as `modelfetch get` finishes
// it: into a plain folder, the hf CLI's metadata is written beside the
// file once it has succeeded.
func TestWindowHubDownloadIntoDirIsFinished(t *testing.T) {
	hub := tinyHub(t)
	dir := hf.Dir{Dir: t.TempDir()}
	h := newHarnessWith(t, false, func(o *Options) {
		c, err := hf.New(hf.Config{Endpoint: hub.URL()})
		if err != nil {
			t.Fatal(err)
		}
		o.Hub, o.HubLayout = c, dir
	})
	if err := h.u.Open("hf.co/org/Tiny-1B-GGUF:Q4_K_M"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the repo's files", func() bool { return h.u.hub.plan.Commit != "" && !h.u.hub.get.Disabled() })
	test.Tap(h.u.hub.get)
	meta := filepath.Join(dir.Dir, ".cache", "huggingface", "download", "Tiny-1B-Q4_K_M.gguf.metadata")
	h.waitFor("the download metadata", func() bool { _, err := os.Stat(meta); return err == nil })
	data, _ := os.ReadFile(meta)
	if lines := strings.Split(string(data), "\n"); len(lines) != 4 || lines[0] != h.u.hub.plan.Commit {
		t.Errorf("%s holds %q, want the commit, the blob id and a time", meta, data)
	}
}
