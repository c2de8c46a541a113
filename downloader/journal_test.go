package downloader

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"
)

// TestJournalV1Loads: a journal written before the ledger (version 1,
// segments partly done) loads with exactly the done parts as written and
// synced ranges, and is written back as version 2.
func TestJournalV1Loads(t *testing.T) {
	cfg := testConfig(t)
	os.MkdirAll(cfg.StateDir, 0o700)
	path := filepath.Join(cfg.StateDir, "journal.json")
	v1 := `{"version": 1, "fetches": [{"id": "x", "state": "running", "records": [{"request": {"url": "http://127.0.0.1:1/m"}, "size": 100,
		"segments": [{"start": 0, "end": 40, "done": 30}, {"start": 40, "end": 100, "done": 60}], "state": "running"}]}]}`
	os.WriteFile(path, []byte(v1), 0o600)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	size, written, synced := m.fetches["x"].records[0].ledger.State()
	if want := (ledger.Spans{{From: 0, To: 30}, {From: 40, To: 60}}); size != 100 || !slices.Equal(written, want) || !slices.Equal(synced, want) {
		t.Errorf("size %d written %v synced %v, want 100 and %v", size, written, synced, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Read(path, time.Time{})
	if err != nil || j.Version != journal.Version || len(j.Fetches[0].Records[0].Segments) != 2 {
		t.Errorf("rewritten journal: %v %+v", err, j)
	}
}

// TestJournalKeepsNoSignedURL: the journal keeps the URL a person gave,
// never the signed address a server redirected to (its query is a
// secret that grants the file).
func TestJournalKeepsNoSignedURL(t *testing.T) {
	o := newOrigin(t, 64<<10)
	signed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("X-Amz-Signature") == "" {
			http.Redirect(w, r, r.URL.Path+"?X-Amz-Signature=s3cret", http.StatusFound)
			return
		}
		o.ServeHTTP(w, r)
	}))
	t.Cleanup(signed.Close)
	cfg := testConfig(t)
	m := start(t, cfg)
	mustFetch(t, m, "model", fetch.Request{URL: signed.URL + modelPath})
	settleWhole(t, m, "model", o.Bytes(modelPath))
	m.stop()
	data, err := os.ReadFile(filepath.Join(cfg.StateDir, "journal.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cret") {
		t.Errorf("the journal keeps the signed address:\n%s", data)
	}
}
