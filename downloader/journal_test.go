package downloader

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/origintest"

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
	files, err := filepath.Glob(filepath.Join(cfg.StateDir, "journal.json*")) // the snapshot, its log, the written ranges
	if err != nil || len(files) == 0 {
		t.Fatalf("no journal: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "s3cret") {
			t.Errorf("%s keeps the signed address", filepath.Base(f))
		}
	}
}

var (
	manyFiles = flag.Int("journal.files", 0, "TestManySmallFiles: how many tiny files one fetch holds (0 skips it)")
	manyFor   = flag.Duration("journal.for", time.Minute, "TestManySmallFiles: how long it runs at most")
	// The progress of a fetch of 100,000 records is a snapshot of them all
	// under the engine's lock, every ProgressInterval: on a busy machine
	// it holds the lock most of the time. A long interval leaves the
	// journal's and the transfers' own costs.
	manyProgress = flag.Duration("journal.progress", 0, "TestManySmallFiles: the engine's ProgressInterval (0: its default)")
)

// TestManySmallFiles fetches -journal.files tiny files from a local
// origin as one fetch, with the engine's default settings, for at most
// -journal.for, and reports the files done per second and what the
// journal cost: the bytes this process sent to the disk (nearly all of
// them the journal's, the files being a few bytes) per file done, and
// the journal's size. It measures, so it asserts only that files got done:
//
//	go test -run ManySmallFiles -journal.files 100000 -v ./downloader/
func TestManySmallFiles(t *testing.T) {
	if *manyFiles <= 0 {
		t.Skip("set -journal.files to run it")
	}
	o := origintest.NewServer()
	t.Cleanup(o.Close)
	reqs := make([]fetch.Request, *manyFiles)
	for i := range reqs {
		path := fmt.Sprintf("/repo/f%06d.txt", i)
		o.Put(path, []byte(strconv.Itoa(i)))
		reqs[i] = fetch.Request{URL: o.FileURL(path)}
	}
	dir := t.TempDir()
	cfg := Config{StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "partial"), ModelsDir: filepath.Join(dir, "models"),
		ProgressInterval: *manyProgress}
	before := diskWrites(t)
	began := time.Now()
	m := start(t, cfg)
	if _, err := m.Fetch("many", reqs, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	done := 0
	for done < len(reqs) && time.Since(began) < *manyFor {
		time.Sleep(time.Second)
		done = succeeded(m.Manager)
	}
	elapsed := time.Since(began)
	wrote := diskWrites(t) - before
	size := int64(0)
	names, _ := filepath.Glob(filepath.Join(cfg.StateDir, "journal.json*"))
	for _, name := range names {
		if st, err := os.Stat(name); err == nil {
			size += st.Size()
		}
	}
	t.Logf("%d of %d files in %v: %.1f files/s; %.0f bytes to disk per file (%.1f MB in all); journal %.1f MB",
		done, len(reqs), elapsed.Round(time.Millisecond), float64(done)/elapsed.Seconds(), float64(wrote)/float64(max(done, 1)),
		float64(wrote)/1e6, float64(size)/1e6)
	if done == 0 {
		t.Error("no file was done")
	}
}

// succeeded counts the records of every fetch that succeeded.
func succeeded(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, f := range m.order {
		for _, r := range f.records {
			if r.state == fetch.StateSucceeded {
				n++
			}
		}
	}
	return n
}

// diskWrites is how many bytes this process has sent to the disk so far
// (its write_bytes in /proc/self/io).
func diskWrites(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io here")
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Skip("no write_bytes in /proc/self/io")
	return 0
}

// TestJournalChangeCostsItsSize: in a journal of thousands of records, a
// download of one more file appends its own changes to the log, a few
// KiB, and leaves the snapshot as it was; the next engine reads them back.
func TestJournalChangeCostsItsSize(t *testing.T) {
	cfg := testConfig(t)
	path := filepath.Join(cfg.StateDir, "journal.json")
	filler := journal.Fetch{ID: "filler", State: fetch.StateSucceeded}
	for i := range 3000 {
		filler.Records = append(filler.Records, journal.Record{Request: fetch.Request{URL: fmt.Sprintf("http://127.0.0.1:1/f%d", i)},
			Size: 1, State: fetch.StateSucceeded, Path: fmt.Sprintf("/nowhere/f%d", i)})
	}
	st, _, err := journal.Open(path, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Snapshot(journal.File{Fetches: []journal.Fetch{filler}}); err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t, 1<<20)
	m := start(t, cfg)
	m.Fetch("a", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	settleWhole(t, m, "a", o.Bytes(modelPath))
	m.stop() // the first save of an engine is a snapshot; the saves after it append

	first, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	o.Put("/other.bin", origintest.Content(1<<20, 2))
	m = start(t, cfg)
	m.Fetch("b", []fetch.Request{{URL: o.FileURL("/other.bin")}}, fetch.Options{})
	until(t, "the second engine's first save, a snapshot", func() bool {
		st, err := os.Stat(path)
		return err == nil && !os.SameFile(first, st)
	})
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	settleWhole(t, m, "b", o.Bytes("/other.bin"))
	m.stop()
	after, err := os.Stat(path)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the snapshot of %d bytes was written again for one file (%v)", before.Size(), err)
	}
	// The log holds what the engine saved after its snapshot: the rest of
	// the download.
	log := journalLog(t, path)
	if log == nil {
		t.Fatal("no log beside the snapshot")
	}
	t.Logf("a snapshot of %d bytes; one file's download appended %d bytes to the log", before.Size(), log.Size())
	if log.Size() == 0 || log.Size() > 32<<10 {
		t.Errorf("the log holds %d bytes for one file, want some and at most 32 KiB", log.Size())
	}
	m = start(t, cfg)
	if s, ok := m.Get("b"); !ok || s.State != fetch.StateSucceeded || len(m.IDs()) != 3 {
		t.Errorf("read back: %v %+v, fetches %v", ok, s, m.IDs())
	}
}

// journalLog is the log beside the journal at path, nil when there is
// none.
func journalLog(t *testing.T, path string) os.FileInfo {
	names, err := filepath.Glob(path + ".*.log")
	if err != nil || len(names) != 1 {
		return nil
	}
	st, err := os.Stat(names[0])
	if err != nil {
		return nil
	}
	return st
}
