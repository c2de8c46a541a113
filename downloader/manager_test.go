package downloader

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/journal"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

func TestFetchIDs(t *testing.T) {
	o := newOrigin(t, 2<<20, origintest.Throttle(4<<20))
	m := start(t, testConfig(t))
	req := []fetch.Request{{URL: o.FileURL(modelPath)}}
	if _, err := m.Fetch("bad/id", req, fetch.Options{}); !errors.Is(err, fetch.ErrInvalidID) {
		t.Errorf("bad id: got %v, want ErrInvalidID", err)
	}
	if _, err := m.Fetch("x", nil, fetch.Options{}); !errors.Is(err, fetch.ErrNoRequests) {
		t.Errorf("no requests: got %v, want ErrNoRequests", err)
	}
	var re *fetch.RequestError
	for _, u := range []string{"ftp://host/x", "not a url", "http:///nohost", "/relative"} {
		if _, err := m.Fetch("x", []fetch.Request{{URL: u}}, fetch.Options{}); !errors.As(err, &re) {
			t.Errorf("URL %q: got %v, want *RequestError", u, err)
		}
	}
	if _, err := m.Fetch("x", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: "abc"}}, fetch.Options{}); err == nil {
		t.Error("a short SHA-256 was accepted")
	}
	if _, err := m.Fetch("model", req, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fetch("model", req, fetch.Options{}); !errors.Is(err, fetch.ErrDuplicateID) {
		t.Errorf("second fetch of an active id: got %v, want ErrDuplicateID", err)
	}
	if got := m.IDs(); len(got) != 1 || got[0] != "model" {
		t.Errorf("IDs %v, want [model]", got)
	}
	if !m.Abort("model") {
		t.Error("Abort of an active fetch reported false")
	}
	if m.Abort("model") {
		t.Error("a second Abort reported true")
	}
	if s := settle(t, m, "model"); s.State != fetch.StateAborted || s.FailureReason != fetch.ReasonAborted {
		t.Errorf("after Abort: %s %s, want aborted", s.State, s.FailureReason)
	}
	if _, err := m.Fetch("model", req, fetch.Options{}); err != nil {
		t.Errorf("the id of a settled fetch is not free again: %v", err)
	}
}

// TestDownloadOnce: the same file asked for twice, under any id, is
// downloaded once.
func TestDownloadOnce(t *testing.T) {
	o := newOrigin(t, 1<<20)
	m := start(t, testConfig(t))
	m.Fetch("first", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	first := settle(t, m, "first")
	sent := o.Sent.Load()
	if p, ok := m.Match(t.Context(), o.FileURL(modelPath)); !ok || p != first.Records[0].Path {
		t.Fatalf("Match = %q, %v; want %q", p, ok, first.Records[0].Path)
	}
	for _, id := range []string{"first", "second"} {
		if _, err := m.Fetch(id, []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{}); err != nil {
			t.Fatal(err)
		}
		s := settle(t, m, id)
		if s.State != fetch.StateSucceeded || s.Records[0].Path != first.Records[0].Path {
			t.Errorf("%s: %s at %q, want succeeded at %q", id, s.State, s.Records[0].Path, first.Records[0].Path)
		}
	}
	if got := o.Sent.Load(); got != sent {
		t.Errorf("the server sent %d more bytes for a file already here", got-sent)
	}
	if err := m.Remove("second"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Match(t.Context(), o.FileURL(modelPath)); !ok {
		t.Error("removing a fetch from the list forgot its completed file")
	}
	os.Remove(first.Records[0].Path)
	if _, ok := m.Match(t.Context(), o.FileURL(modelPath)); ok {
		t.Error("Match returned a file that was deleted")
	}
}

// TestAbortRemovesPartial: aborting mid-way removes the partial file.
func TestAbortRemovesPartial(t *testing.T) {
	o := newOrigin(t, 4<<20, origintest.Throttle(2<<20))
	cfg := testConfig(t)
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	until(t, "bytes arrive", func() bool { s, _ := m.Get("model"); return s.Downloaded > 0 })
	m.Abort("model")
	settle(t, m, "model")
	noPartials(t, cfg)
	if _, err := os.Stat(filepath.Join(cfg.PartialDir, "model")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial folder left: %v", err)
	}
}

// TestPauseResume: a paused fetch stops, keeps its bytes, stays paused
// across a restart of the engine, and resumes where it stopped.
func TestPauseResume(t *testing.T) {
	const size = 4 << 20
	o := newOrigin(t, size, origintest.Throttle(4<<20))
	cfg := testConfig(t)
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{})
	until(t, "bytes arrive", func() bool { s, _ := m.Get("model"); return s.Downloaded > 512<<10 })
	if err := m.Pause("model"); err != nil {
		t.Fatal(err)
	}
	until(t, "connections stop", func() bool { s, _ := m.Get("model"); return s.Records[0].Connections == 0 })
	s, _ := m.Get("model")
	if s.State != fetch.StatePaused || !s.Paused {
		t.Fatalf("state %s, want paused", s.State)
	}
	m.stop()

	m = start(t, cfg)
	s, ok := m.Get("model")
	if !ok || s.State != fetch.StatePaused {
		t.Fatalf("after restart: %v %s, want paused", ok, s.State)
	}
	if s.Downloaded == 0 {
		t.Error("the restarted engine does not know the bytes already there")
	}
	if err := m.Resume("model"); err != nil {
		t.Fatal(err)
	}
	s = settle(t, m, "model")
	if s.State != fetch.StateSucceeded {
		t.Fatalf("state %s (%s)", s.State, s.Message)
	}
	checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
	// Bytes synced before the pause are not fetched again; in-flight data
	// and socket buffers at the pause are.
	if got := o.Sent.Load(); got > size+size/2 {
		t.Errorf("server sent %d bytes for a %d-byte file", got, size)
	}
}

// TestResumeAfterStop: stopping the engine mid-download (as Quit does)
// and starting a new one resumes from the journal.
func TestResumeAfterStop(t *testing.T) {
	const size = 4 << 20
	o := newOrigin(t, size, origintest.Throttle(8<<20))
	cfg := testConfig(t)
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{Title: "Model"})
	until(t, "a durable megabyte", func() bool {
		j, err := journal.Read(filepath.Join(cfg.StateDir, "journal.json"), time.Time{})
		return err == nil && len(j.Fetches) == 1 && durableBytes(j.Fetches[0]) > 1<<20
	})
	m.stop()
	m = start(t, cfg)
	s := settle(t, m, "model")
	if s.State != fetch.StateSucceeded || s.Title != "Model" {
		t.Fatalf("state %s title %q", s.State, s.Title)
	}
	checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
	if got := o.Sent.Load(); got > size+size/2 {
		t.Errorf("server sent %d bytes for a %d-byte file (restarted: %q)", got, size, s.Records[0].Restarted)
	}
}

func durableBytes(f journal.Fetch) int64 {
	var n int64
	for _, r := range f.Records {
		for _, s := range r.Segments {
			n += s.Done - s.Start
		}
	}
	return n
}

func TestCorruptJournal(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON":       "{\"version\": 1, \"fetches\": [",
		"wrong version":  `{"version": 99, "fetches": []}`,
		"bad id":         `{"version": 1, "fetches": [{"id": "../x", "records": [{}]}]}`,
		"bad segment":    `{"version": 1, "fetches": [{"id": "x", "records": [{"segments": [{"start": 10, "end": 5, "done": 20}]}]}]}`,
		"binary garbage": "\x00\x01\x02",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			os.MkdirAll(cfg.StateDir, 0o700)
			path := filepath.Join(cfg.StateDir, "journal.json")
			os.WriteFile(path, []byte(data), 0o600)
			m, err := New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer m.Close()
			var ce *fetch.CorruptJournalError
			if !errors.As(m.JournalError(), &ce) {
				t.Fatalf("JournalError = %v, want *CorruptJournalError", m.JournalError())
			}
			kept, err := os.ReadFile(ce.MovedTo)
			if err != nil || string(kept) != data {
				t.Errorf("the unreadable journal was not kept at %s: %v", ce.MovedTo, err)
			}
			if len(m.IDs()) != 0 {
				t.Errorf("IDs %v from a corrupt journal", m.IDs())
			}
		})
	}
}

func TestLock(t *testing.T) {
	cfg := testConfig(t)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); !errors.Is(err, fetch.ErrLocked) {
		t.Errorf("second engine on one journal: got %v, want ErrLocked", err)
	}
	m.Close()
	m2, err := New(cfg)
	if err != nil {
		t.Fatalf("after Close the journal is still locked: %v", err)
	}
	m2.Close()
}

// TestWorkStealing: one connection is very slow; the others take over
// its range, so that it sends little of the megabyte it was first given.
// How soon the file is done behind it is BenchmarkWorkStealing's to
// measure.
func TestWorkStealing(t *testing.T) {
	slowSent, _ := stealingDownload(t)
	t.Logf("the slow connection sent %d bytes", slowSent)
	if slowSent == 0 || slowSent > 256<<10 {
		t.Errorf("the slow connection sent %d bytes of its megabyte, want some and at most 256 KiB: its range was not stolen", slowSent)
	}
}

// BenchmarkWorkStealing reports how long 4 MiB take when one of four
// connections runs at 128 KiB/s, 8 s for its megabyte alone:
//
//	go test -run '^$' -bench WorkStealing ./downloader/
func BenchmarkWorkStealing(b *testing.B) {
	var took time.Duration
	for b.Loop() {
		_, d := stealingDownload(b)
		took += d
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/file")
	if took/time.Duration(b.N) > 4*time.Second {
		b.Errorf("%v a file: the slow connection's range was not stolen", took/time.Duration(b.N))
	}
}

// stealingDownload downloads 4 MiB over four connections, the first of
// which runs at 128 KiB/s; it returns the bytes that one sent and how long
// the file took.
func stealingDownload(tb testing.TB) (slowSent int64, took time.Duration) {
	const size = 4 << 20
	var slowOnce = make(chan struct{}, 1)
	slowOnce <- struct{}{}
	var sent atomic.Int64
	throttled := origintest.Count(&sent, origintest.Throttle(128<<10))
	oneSlow := func(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Header.Get("Range"), "bytes=0-") {
			return false
		}
		select {
		case <-slowOnce:
			return throttled(o, w, r, n)
		default:
			return false
		}
	}
	o := newOrigin(tb, size, oneSlow)
	cfg := testConfig(tb)
	cfg.MaxConnections = 4
	cfg.MinSegment = 16 << 10 // a piece of 64 KiB: what the slow connection keeps at least
	cfg.StallTimeout = time.Minute
	m := start(tb, cfg)
	began := time.Now()
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}}, fetch.Options{})
	settleWhole(tb, m, "model", o.Bytes(modelPath))
	return sent.Load(), time.Since(began)
}

func TestSubscribe(t *testing.T) {
	o := newOrigin(t, 1<<20)
	m := start(t, testConfig(t))
	all := m.Subscribe("", 1024)
	defer all.Close()
	stuck := m.Subscribe("", 1) // never read: must be dropped, not waited for
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	var last fetch.Event
	events := 0
	for ev := range all.C {
		last, events = ev, events+1
		if ev.Fetch.State.Settled() {
			break
		}
	}
	if last.Kind != fetch.EventSuccess || last.Fetch.Records[0].Path == "" {
		t.Errorf("last event %s with path %q, want success with a path", last.Kind, last.Fetch.Records[0].Path)
	}
	if events < 2 {
		t.Fatalf("%d events, want at least a progress and a success", events)
	}
	// Two events were published to a buffer of one: the stuck subscriber
	// was dropped rather than waited for.
	m.mu.Lock()
	_, subscribed := m.subs[stuck]
	buffered := len(stuck.c)
	m.mu.Unlock()
	if subscribed || buffered != 1 {
		t.Errorf("stuck subscriber: subscribed %v with %d events, want dropped with 1", subscribed, buffered)
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"model.bin":                        "model.bin",
		"../../etc/passwd":                 "passwd",
		`..\..\win.ini`:                    "win.ini",
		"..":                               "download",
		"":                                 "download",
		".bashrc":                          "bashrc",
		"a\x00b\nc.gguf":                   "a_b_c.gguf",
		"x..y":                             "x_y",
		strings.Repeat("é", 150):           strings.Repeat("é", 100),
		strings.Repeat("a", 300) + ".gguf": strings.Repeat("a", 195) + ".gguf",
		strings.Repeat("é", 150) + ".bin":  strings.Repeat("é", 98) + ".bin",
	} {
		if got := fetch.SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIDForURLs(t *testing.T) {
	a := fetch.IDForURLs([]string{"https://h/a/Model Q4.gguf?x=1"})
	b := fetch.IDForURLs([]string{"https://other/b/Model Q4.gguf"})
	if !fetch.ValidID(a) || !fetch.ValidID(b) || a == b {
		t.Errorf("ids %q and %q: want two different valid ids", a, b)
	}
	if !strings.HasPrefix(a, "model-q4-") {
		t.Errorf("id %q does not start with the file name", a)
	}
}

// TestAbortWhilePauseWindsDown: Pause, Resume and Abort in a row, before
// the paused transfer has stopped, end aborted. The Abort's cancel comes
// second to the Pause's, so the context's cause still says paused.
func TestAbortWhilePauseWindsDown(t *testing.T) {
	for i := range 20 {
		o := newOrigin(t, 1<<20, origintest.Stall(0))
		m := start(t, testConfig(t))
		id := fmt.Sprint("model", i)
		m.Fetch(id, []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
		until(t, "the request is held", func() bool { return o.GETs.Load() > 0 })
		m.Pause(id)
		m.Resume(id)
		m.Abort(id)
		if s := settle(t, m, id); s.State != fetch.StateAborted {
			t.Fatalf("run %d: state %s, want aborted", i, s.State)
		}
	}
}

// TestRunOnly: an engine told to run one fetch leaves the others queued,
// with no request made for them, until it is told to run them all.
func TestRunOnly(t *testing.T) {
	o := newOrigin(t, 256<<10)
	o.Put("/other.bin", origintest.Content(256<<10, 2))
	m := start(t, testConfig(t))
	m.RunOnly("mine")
	mustFetch(t, m, "theirs", fetch.Request{URL: o.FileURL("/other.bin")})
	mustFetch(t, m, "mine", fetch.Request{URL: o.FileURL(modelPath)})
	settleWhole(t, m, "mine", o.Bytes(modelPath))
	if s, _ := m.Get("theirs"); s.State != fetch.StateQueued || s.Downloaded != 0 {
		t.Fatalf("the other fetch is %s with %d bytes, want queued and untouched", s.State, s.Downloaded)
	}
	m.RunOnly("")
	settleWhole(t, m, "theirs", o.Bytes("/other.bin"))
}

// TestRetryCancelled: a cancelled download can be downloaded again.
func TestRetryCancelled(t *testing.T) {
	o := newOrigin(t, 256<<10, origintest.Throttle(256<<10))
	m := start(t, testConfig(t))
	mustFetch(t, m, "model", fetch.Request{URL: o.FileURL(modelPath)})
	if !m.Abort("model") {
		t.Fatal("Abort of an active fetch reported false")
	}
	if s := settle(t, m, "model"); s.State != fetch.StateAborted {
		t.Fatalf("got %s, want aborted", s.State)
	}
	o.SetFaults()
	if err := m.Retry("model"); err != nil {
		t.Fatalf("Retry of a cancelled fetch: %v", err)
	}
	settleWhole(t, m, "model", o.Bytes(modelPath))
}
