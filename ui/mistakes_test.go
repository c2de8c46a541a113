package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// unexpectedSentence is what words.Sentence says of an error nobody has
// words for: no input a person can type may lead to it.
var unexpectedSentence = words.Sentence(errors.New("an error without words"))

// said checks that a form's message shows a sentence of its own for
// typed.
func said(t *testing.T, form, typed string, problem *widget.Label) {
	t.Helper()
	if !problem.Visible() || problem.Text == "" {
		t.Errorf("%s: got no message for %q", form, typed)
		return
	}
	if problem.Text == unexpectedSentence {
		t.Errorf("%s: got %q for %q, want what is wrong with it", form, problem.Text, typed)
	}
	wordstest.IsSentence(t, problem.Text)
	t.Logf("%s: %q: %s", form, typed, problem.Text)
}

// TestBadInputSaysWhatIsWrong types what people get wrong into every
// form of the window (Add URL, Settings with the token, Edit checksum,
// the Hub's search) and reads the message each shows: a sentence of its
// own for each, never the one for the unexpected; editing the field
// clears it.
func TestBadInputSaysWhatIsWrong(t *testing.T) {
	h, _, _ := hubWindow(t)
	base := h.srv.URL
	addURL := []struct{ url, title, sha string }{
		{"", "", ""}, {"   ", "", ""}, {"\t", "", ""},
		{"ftp://example.org/model.gguf", "", ""}, {"file:///etc/passwd", "", ""}, {"mailto:ada@example.org", "", ""},
		{"www.example.org/files/model.gguf", "", ""}, {"localhost:8080/model.gguf", "", ""}, {"https://", "", ""}, {"https:///model.gguf", "", ""},
		{"hello", "", ""}, {"http//example.org/model.gguf", "", ""}, {"://model.gguf", "", ""},
		{"https://exa mple.org/model.gguf", "", ""},
		{base + "/a.bin", "", "abc"}, {base + "/a.bin", "", strings.Repeat("a", 63)}, {base + "/a.bin", "", strings.Repeat("b", 65)},
		{base + "/a.bin", "", "g" + strings.Repeat("0", 63)}, {base + "/a.bin", "", strings.Repeat("c", 40)},
		{base + "/a.bin", "", "md5:d41d8cd98f00b204e9800998ecf8427e"}, {base + "/a.bin", "", "sha256:"},
		{base + "/a.bin\n" + base + "/b.bin", "Two files", ""},
	}
	for _, c := range addURL {
		h.u.showAddURL()
		f := h.u.add
		f.url.SetText(c.url)
		f.title.SetText(c.title)
		f.sha.SetText(c.sha)
		test.Tap(f.add)
		said(t, "Add URL", c.url+" "+c.sha, f.problem)
		test.Type(f.url, " ")
		if f.problem.Visible() {
			t.Errorf("Add URL: got the message for %q still shown after the field was edited", c.url)
		}
		f.dialog.Hide()
	}
	if ids := h.m.IDs(); len(ids) != 0 {
		t.Fatalf("got fetches %q from bad input, want none", ids)
	}

	file := filepath.Join(t.TempDir(), "a-file")
	noCert := filepath.Join(t.TempDir(), "ca.pem")
	for _, name := range []string{file, noCert} {
		if err := os.WriteFile(name, []byte("not a folder, not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	settingsInput := []struct{ folder, limit, proxy, ca, token string }{
		{folder: "models"}, {folder: "~models"}, {folder: "relative/path"}, {folder: file}, {folder: "/etc/modelfetch-models"},
		{limit: "fast"}, {limit: "20"}, {limit: "-5 MB"}, {limit: "5 B"}, {limit: "20 Mbps"}, {limit: "1e400 GB"},
		{proxy: "ftp://proxy:21"}, {proxy: "proxy host:3128"}, {proxy: "http://"},
		{ca: "/nonexistent/ca.pem"}, {ca: noCert},
		{token: "hf_wrong"}, {token: "hf_abc def"},
	}
	for _, c := range settingsInput {
		h.u.showSettings()
		f := h.u.setup
		if c.folder != "" {
			f.folder.SetText(c.folder)
		}
		f.limit.SetText(c.limit)
		f.proxy.SetText(c.proxy)
		f.caFile.SetText(c.ca)
		f.token.entry.SetText(c.token)
		typed := strings.Join([]string{c.folder, c.limit, c.proxy, c.ca, c.token}, "")
		test.Tap(f.save)
		h.waitFor("the message for "+typed, func() bool { return f.problem.Importance == widget.DangerImportance && f.problem.Visible() })
		said(t, "Settings", typed, f.problem)
		test.Type(f.limit, " ")
		if f.problem.Visible() {
			t.Errorf("Settings: got the message for %q still shown after a field was edited", typed)
		}
		f.dialog.Hide()
	}

	id, _ := h.mismatched()
	for _, typed := range []string{"", "  ", "abc", "sha256:xyz", strings.Repeat("d", 40), "not a digest", strings.Repeat("e", 64) + "f"} {
		h.u.editChecksum(id, h.srv.URL+"/model.bin")
		f := h.u.checksum
		f.entry.SetText(typed)
		test.Tap(f.check)
		said(t, "Edit checksum", typed, f.problem)
		test.Type(f.entry, " ")
		if f.problem.Visible() {
			t.Errorf("Edit checksum: got the message for %q still shown after the field was edited", typed)
		}
		f.dialog.Hide()
	}

	for _, typed := range []string{"hf.co/", "hf://", "hf.co/org", "https://huggingface.co/org/repo/tree"} {
		h.u.ShowHub(typed)
		h.waitFor("the search's message for "+typed, func() bool { return h.u.hub.note.Importance == widget.DangerImportance })
		said(t, "Hugging Face search", typed, h.u.hub.note)
		h.u.hub.note.Importance = widget.MediumImportance
	}
}

// TestPastedInputAccepted: what people paste (quotes, angle brackets,
// tabs, addresses a space apart, a digest with its name or in upper case)
// is read as they meant it.
func TestPastedInputAccepted(t *testing.T) {
	h := newHarness(t, false)
	base := h.srv.URL
	h.u.showAddURL()
	f := h.u.add
	f.url.SetText("  \"" + base + "/a.bin\"\t<" + base + "/b.bin>\n" + base + "/c.bin " + base + "/d.bin  \n")
	test.Tap(f.add)
	if h.u.add != nil || len(h.m.IDs()) != 4 {
		t.Fatalf("got the dialog open (%q) and fetches %q, want four started", f.problem.Text, h.m.IDs())
	}
	h.u.showAddURL()
	f = h.u.add
	sum := strings.Repeat("AB", 32)
	f.url.SetText(base + "/e.bin")
	f.sha.SetText(" SHA256:" + sum + "\t")
	test.Tap(f.add)
	id := fetch.IDForURLs([]string{base + "/e.bin"})
	if s, ok := h.m.Get(id); !ok || s.Records[0].SHA256 != strings.ToLower(sum) {
		t.Fatalf("got %+v for a pasted digest, want it read as %s", s.Records, strings.ToLower(sum))
	}
	h.u.showSettings()
	s := h.u.setup
	s.limit.SetText(" 20MB/s ")
	s.folder.SetText(`"` + h.cfg.ModelsDir + `" `)
	test.Tap(s.save)
	if h.u.setup != nil || h.u.prefs.limit != 20_000_000 || h.u.prefs.dir != h.cfg.ModelsDir {
		t.Errorf("got Settings open %v (%q), limit %d, folder %q", h.u.setup != nil, s.problem.Text, h.u.prefs.limit, h.u.prefs.dir)
	}
}
