package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
)

const wrongSHA = "abababababababababababababababababababababababababababababababab"

// mismatched adds the server's file with a wrong SHA-256 and waits for its
// row to fail; it returns the fetch's id and the right digest.
func (h *harness) mismatched() (id, right string) {
	h.t.Helper()
	id, err := h.u.fetchURL(h.srv.URL+"/model.bin", "", wrongSHA)
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitFor("the row to fail its check", func() bool {
		r := h.row(id)
		return r != nil && r.data.mismatch != ""
	})
	sum := sha256.Sum256(h.srv.data)
	return id, hex.EncodeToString(sum[:])
}

// TestAddURLAsksToReplaceDigest: adding a URL known with another digest
// asks, and Replace verifies the kept file against the new one.
func TestAddURLAsksToReplaceDigest(t *testing.T) {
	h := newHarness(t, false)
	id, right := h.mismatched()
	h.u.showAddURL()
	test.Type(h.u.add.url, h.srv.URL+"/model.bin")
	test.Type(h.u.add.sha, right)
	test.Tap(h.u.add.add)
	confirm, ok := h.u.dialog.(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("got dialog %T, want the question whether to replace", h.u.dialog)
	}
	if s, _ := h.m.Get(id); s.State != fetch.StateFailed {
		t.Fatalf("got %s before the answer, want the fetch left failed", s.State)
	}
	confirm.Confirm()
	h.waitFor("the row to read Ready", func() bool { return h.rowState(id) == "Ready" })
	if s, _ := h.m.Get(id); !strings.EqualFold(s.Records[0].SHA256, right) || len(h.m.IDs()) != 1 {
		t.Errorf("got digest %s in %d fetches, want %s in one", s.Records[0].SHA256, len(h.m.IDs()), right)
	}
}

// TestEditChecksum: a row that failed its check offers Edit checksum (not
// Retry), here and in its details; a wrong entry is said in the dialog,
// the right one makes the kept file Ready.
func TestEditChecksum(t *testing.T) {
	h := newHarness(t, false)
	id, right := h.mismatched()
	r := h.row(id)
	if !r.editSum.Visible() || !r.keep.Visible() || r.retry.Visible() {
		t.Fatalf("got Edit checksum %v, Keep %v, Retry %v, want the first two only", r.editSum.Visible(), r.keep.Visible(), r.retry.Visible())
	}
	h.u.list.Select(0)
	v := h.u.details
	h.waitFor("the details of the failed fetch", func() bool { return v.snap.State == fetch.StateFailed })
	if !v.buttons.editSum.Visible() || !v.buttons.keep.Visible() || v.buttons.retry.Visible() {
		t.Errorf("got Edit checksum %v, Keep %v, Retry %v in the details, want the first two only",
			v.buttons.editSum.Visible(), v.buttons.keep.Visible(), v.buttons.retry.Visible())
	}
	if sha := v.views[0].sha.Text; !strings.Contains(sha, wrongSHA) || !strings.Contains(sha, right) {
		t.Errorf("got %q in the file's details, want the expected and the actual SHA-256", sha)
	}
	test.Tap(v.buttons.editSum)
	f := h.u.checksum
	test.Type(f.entry, "abc")
	test.Tap(f.check)
	if !f.problem.Visible() {
		t.Error("got no message for a short SHA-256")
	}
	f.entry.SetText(right)
	f.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter submits, as Check the file

	h.waitFor("the row to read Ready", func() bool { return h.rowState(id) == "Ready" })
}

// TestKeepFileAnyway: Keep file anyway commits the file and the row says
// it is not verified.
func TestKeepFileAnyway(t *testing.T) {
	h := newHarness(t, false)
	id, _ := h.mismatched()
	test.Tap(h.row(id).keep)
	h.waitFor("the row to read Ready · not verified", func() bool {
		r := h.row(id)
		return r != nil && strings.HasPrefix(r.line.Text, "Ready · not verified")
	})
	if got := shaText(mustGet(t, h, id).Records[0]); !strings.Contains(got, "not checked") {
		t.Errorf("got %q in the file's details, want it said the file was not checked", got)
	}
	s, _ := h.m.Get(id)
	if p := s.Paths(); len(p) != 1 || !s.Records[0].Unverified {
		t.Errorf("got paths %q, unverified %v, want one file, unverified", p, s.Records[0].Unverified)
	}
}
