package downloader

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

var (
	chaosSeed = flag.Int64("seed", -1, "run only this chaos seed (go test -run Chaos -seed N)")
	chaosN    = flag.Int("chaos.n", 400, "how many chaos seeds to run, from 1")
	chaosPar  = flag.Int("chaos.par", 8, "how many chaos runs at once")
)

// TestChaos runs one download per seed against an origin whose every
// answer may be cut (at random, at a piece end, at a checkpoint boundary,
// with no byte of a read), stall, crawl, refuse with 503 or 429 (with and
// without Retry-After), ignore ranges or serve changed content, while the
// test pauses and resumes, stops and restarts the engine, and crashes it
// (the journal as of before the stop, the bytes it does not claim
// scrambled). Every run must end with the server's file byte for byte, or
// with a failure that has a reason; and the server must have sent at most
// the bound chaosRun.bound states.
func TestChaos(t *testing.T) {
	t.Parallel() // beside the kill storm, which mostly waits
	seeds := make([]uint64, 0, *chaosN)
	if *chaosSeed >= 0 {
		seeds = append(seeds, uint64(*chaosSeed))
	} else {
		for s := range *chaosN {
			seeds = append(seeds, uint64(s+1))
		}
	}
	sem := make(chan struct{}, max(1, *chaosPar))
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, seed := range seeds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { newChaosRun(t, seed).run() })
			if !ok {
				failed.Add(1)
				t.Logf("chaos seed %d failed; replay with: go test -run Chaos -seed %d ./downloader", seed, seed)
			}
		})
	}
	wg.Wait()
	t.Logf("chaos: %d seeds, %d failed", len(seeds), failed.Load())
}

// chaosRun is one seed's download and its schedule of faults.
type chaosRun struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand // the test's own choices (engine operations, sizes)
	cfg   Config
	o     *origin
	v1    []byte
	v2    []byte
	sha   bool // the request carries v1's SHA-256
	chunk bool // the server sends no Content-Length

	changed   atomic.Bool
	fresh     atomic.Int64 // answers that force a download from zero: ignored ranges, changes
	crashes   int
	headCount atomic.Int64
}

func newChaosRun(t *testing.T, seed uint64) *chaosRun {
	c := &chaosRun{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
	var size int
	switch p := c.rng.IntN(20); {
	case p == 0:
		size = c.rng.IntN(3) // 0, 1 or 2 bytes
	case p < 3:
		size = 1 + c.rng.IntN(8<<10)
	default:
		size = 64<<10 + c.rng.IntN(1<<20)
	}
	c.v1, c.v2 = origintest.Content(size, seed), origintest.Content(size, seed+1<<32)
	c.sha = c.rng.IntN(2) == 0
	c.chunk = c.rng.IntN(10) == 0
	dir := t.TempDir()
	c.cfg = Config{
		StateDir:           filepath.Join(dir, "state"),
		PartialDir:         filepath.Join(dir, "cache", "partial"),
		ModelsDir:          filepath.Join(dir, "cache", "models"),
		MaxConnections:     1 + c.rng.IntN(8),
		StallTimeout:       150 * time.Millisecond,
		CheckpointInterval: time.Duration(5+c.rng.IntN(30)) * time.Millisecond,
		CheckpointBytes:    int64(16<<10 + c.rng.IntN(256<<10)),
		ProgressInterval:   20 * time.Millisecond,
		ScaleInterval:      10 * time.Millisecond,
		BackoffBase:        time.Millisecond,
		BackoffMax:         20 * time.Millisecond,
		MaxRetries:         10,
		MinSegment:         int64(8<<10 + c.rng.IntN(32<<10)),
		Logger:             slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
		// A Retry-After of a second is waited as the longest back-off.
		Clock: &fakeClock{cap: 20 * time.Millisecond},
	}
	c.o = newOriginOf(t, c.v1, c.fault)
	return c
}

// fault is the seeded schedule: request n's fate depends only on the
// seed and n.
func (c *chaosRun) fault(o *origin, w http.ResponseWriter, r *http.Request, n int64) bool {
	if r.Method == http.MethodHead {
		n = -c.headCount.Add(1)
	}
	rng := rand.New(rand.NewPCG(c.seed, uint64(n)))
	p := rng.IntN(100)
	c.t.Logf("request %d: %s %s If-Range %s, fate %d", n, r.Method, r.Header.Get("Range"), r.Header.Get("If-Range"), p)
	if r.Method == http.MethodHead {
		return p < 10 && origintest.Status(http.StatusServiceUnavailable, "")(o, w, r, n) || c.chunk && origintest.Chunked(o, w, r, n)
	}
	if c.startsAgain(o, r) {
		c.fresh.Add(1)
	}
	if p < 34 {
		return c.failGet(o, w, r, n, p, rng)
	}
	switch {
	case p < 36 && r.Header.Get("Range") != "" && r.Header.Get("If-Range") == o.ETag(modelPath):
		c.fresh.Add(1)
		origintest.IgnoreRanges(o, w, r, n)
	case p == 36 && !c.changed.Swap(true):
		c.fresh.Add(1)
		o.Put(modelPath, c.v2)
	}
	return c.chunk && origintest.Chunked(o, w, r, n)
}

// failGet answers a GET whose fate p is below 34 with a fault that
// breaks it: a cut, a stall, a crawl, a 503 or a 429.
func (c *chaosRun) failGet(o *origin, w http.ResponseWriter, r *http.Request, n int64, p int, rng *rand.Rand) bool {
	switch {
	case p < 16:
		return c.cut(o, w, r, rng)
	case p < 20:
		// A stall that sent the whole body is no stall: the client has
		// what it asked for, so it waits a while and ends.
		o.ServePrefix(w, r, rng.IntN(64<<10))
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
		return true
	case p < 26:
		return origintest.Throttle(256<<10+rng.IntN(1<<20))(o, w, r, n)
	case p < 31:
		return origintest.Status(http.StatusServiceUnavailable, retryAfterValue(rng))(o, w, r, n)
	}
	return origintest.Status(http.StatusTooManyRequests, retryAfterValue(rng))(o, w, r, n)
}

// startsAgain reports whether the answer to r starts the file again: the
// whole file for a range of another version.
func (c *chaosRun) startsAgain(o *origin, r *http.Request) bool {
	return r.Header.Get("Range") != "" && r.Header.Get("If-Range") != o.ETag(modelPath)
}

// retryAfterValue is mostly no Retry-After, sometimes one second (the
// least a server can ask for).
func retryAfterValue(rng *rand.Rand) string {
	if rng.IntN(8) == 0 {
		return "1"
	}
	return ""
}

// cut sends part of the answer and drops the connection: at a random
// byte, at no byte, at the end of a piece, or at a checkpoint boundary,
// sometimes pausing first so that the client's read returns the bytes and
// the next one only the error.
func (c *chaosRun) cut(o *origin, w http.ResponseWriter, r *http.Request, rng *rand.Rand) bool {
	var from int64
	fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
	piece := 4 * c.cfg.MinSegment
	var k int64
	switch rng.IntN(5) {
	case 0:
		k = 0
	case 1:
		k = piece - from%piece
	case 2:
		k = c.cfg.CheckpointBytes - from%c.cfg.CheckpointBytes
	default:
		k = rng.Int64N(int64(len(c.v1)) + 1)
	}
	o.ServePrefix(w, r, int(k))
	if rng.IntN(2) == 0 {
		time.Sleep(time.Millisecond)
	}
	origintest.Drop(w)
	return true
}

// run downloads the file while the test acts on the engine, then checks
// the outcome.
func (c *chaosRun) run() {
	t := c.t
	t.Logf("size %d, sha %v, origintest.Chunked %v, connections %d, piece %d, checkpoint bytes %d",
		len(c.v1), c.sha, c.chunk, c.cfg.MaxConnections, 4*c.cfg.MinSegment, c.cfg.CheckpointBytes)
	c.fillJournal()
	m := start(t, c.cfg)
	req := fetch.Request{URL: c.o.FileURL(modelPath)}
	if c.sha {
		req.SHA256 = c.o.SHA256(modelPath)
	}
	if _, err := m.Fetch("model", []fetch.Request{req}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
	for range c.rng.IntN(4) {
		time.Sleep(time.Duration(c.rng.IntN(60)) * time.Millisecond)
		op := c.rng.IntN(3)
		t.Logf("chaos op %d", op)
		switch op {
		case 0:
			m.Pause("model")
			time.Sleep(time.Duration(c.rng.IntN(30)) * time.Millisecond)
			m.Resume("model")
		case 1:
			m.stop()
			c.audit("after a stop")
			m = start(t, c.cfg)
		case 2:
			m = c.crash(m)
		}
	}
	// A crash may lose a Resume the journal had not yet recorded: the
	// person presses it again.
	m.Resume("model")
	s := settle(t, m, "model")
	c.check(s)
}

// crash stops the engine and puts back the journal and the partial file
// as they were at one moment before the stop, as if the process had died
// then. Half the crashes are a power cut: the journal is of an earlier
// boot, and every byte of the partial file it does not claim as synced is
// scrambled.
//
// The moment is taken under the engine's journal lock, so that no journal
// is written between reading it and copying the file: a crash leaves the
// last journal written and the file as it is, never a journal older than
// one the engine had already written (after a discard the engine writes
// the journal before it makes the file again, and a journal of before
// that would claim the old file's bytes in the new one).
func (c *chaosRun) crash(m *running) *running {
	path := filepath.Join(c.cfg.StateDir, "journal.json")
	part := filepath.Join(c.cfg.PartialDir, "model", "0.part")
	m.journalMu.Lock()
	m.js.writtenMu.Lock()
	before, err := readJournalFiles(path)
	data, partErr := os.ReadFile(part)
	m.js.writtenMu.Unlock()
	m.journalMu.Unlock()
	if err != nil {
		c.t.Fatal(err)
	}
	if j, _ := journalOf(c.t, before, path); !hasModel(j) {
		m.stop() // nothing journalled yet: a crash now is a stop
		return start(c.t, c.cfg)
	}
	m.stop()
	powerCut := c.rng.IntN(2) == 0
	if powerCut {
		// The written ranges are of an earlier boot.
		w := before[journal.WrittenPath(path)]
		if w != nil {
			w = bytes.ReplaceAll(w, []byte(disk.BootID()), []byte("an earlier boot"))
			before[journal.WrittenPath(path)] = w
		}
	}
	putJournalFiles(c.t, path, before)
	c.putBack(part, data, partErr)
	c.crashes++
	c.t.Logf("chaos crash, power cut %v", powerCut)
	c.audit("at a crash")
	if powerCut {
		j, err := journal.Read(path, time.Time{})
		if err != nil {
			c.t.Fatalf("journal: %v", err)
		}
		c.scramble(j)
	}
	return start(c.t, c.cfg)
}

// readJournalFiles reads every file of the journal at path (its snapshot,
// log and written file), by name.
func readJournalFiles(path string) (map[string][]byte, error) {
	names, err := filepath.Glob(path + "*")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, name := range names {
		if strings.Contains(name, ".tmp-") || strings.Contains(name, ".corrupt-") {
			continue
		}
		data, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

// putJournalFiles makes the journal at path exactly files.
func putJournalFiles(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	names, err := filepath.Glob(path + "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// journalOf is the journal that files hold, read in a folder of its own.
func journalOf(t *testing.T, files map[string][]byte, path string) (journal.File, error) {
	t.Helper()
	dir := t.TempDir()
	at := filepath.Join(dir, filepath.Base(path))
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return journal.Read(at, time.Time{})
}

// hasModel reports whether journal j holds the fetch of the run.
func hasModel(j journal.File) bool {
	return slices.ContainsFunc(j.Fetches, func(f journal.Fetch) bool { return f.ID == "model" })
}

// modelRecord is the record of the run's fetch in journal j.
func modelRecord(j journal.File) journal.Record {
	for _, f := range j.Fetches {
		if f.ID == "model" {
			return f.Records[0]
		}
	}
	return journal.Record{}
}

// fillJournal starts half the runs (a choice of their own, which leaves
// the seed's other choices as they were) with a journal large enough that
// the engine saves it by appending changes to its log, not whole: a
// finished fetch of many records before the run's.
func (c *chaosRun) fillJournal() {
	if rand.New(rand.NewPCG(c.seed, 0xb16)).IntN(2) == 0 {
		return
	}
	filler := journal.Fetch{ID: "filler", State: fetch.StateSucceeded}
	for i := range 2000 {
		filler.Records = append(filler.Records, journal.Record{Request: fetch.Request{URL: fmt.Sprintf("http://127.0.0.1:1/f%d", i)},
			Size: 1, State: fetch.StateSucceeded, Path: fmt.Sprintf("/nowhere/f%d", i)})
	}
	st, _, err := journal.Open(filepath.Join(c.cfg.StateDir, "journal.json"), time.Time{})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := st.Snapshot(journal.File{Fetches: []journal.Fetch{filler}}); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("a journal of %d bytes before the run", st.SnapshotSize())
}

// putBack makes the partial file what it was at the crash: data, or no
// file when reading it failed then.
func (c *chaosRun) putBack(part string, data []byte, readErr error) {
	if readErr != nil {
		if err := os.Remove(part); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(part), 0o700); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(part, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// audit checks that every byte the journal on disk claims as synced, or
// as written in this boot, is in the partial file: the journal never
// claims a byte the file does not hold.
func (c *chaosRun) audit(when string) {
	j, err := journal.Read(filepath.Join(c.cfg.StateDir, "journal.json"), time.Time{})
	if err != nil || !hasModel(j) || modelRecord(j).State.Settled() {
		return
	}
	got, err := os.ReadFile(filepath.Join(c.cfg.PartialDir, "model", "0.part"))
	if err != nil {
		return // a missing file is noticed and downloaded again
	}
	want := c.v1 // the version the record holds
	r := modelRecord(j)
	if r.Validator == origintest.ETagOf(c.v2) {
		want = c.v2
	}
	segs := r.Segments
	if j.Boot == disk.BootID() {
		segs = append(segs, r.Written...)
	}
	for _, s := range segs {
		if s.Done > int64(len(got)) || !bytes.Equal(got[s.Start:s.Done], want[s.Start:s.Done]) {
			c.t.Fatalf("seed %d: %s the journal claims bytes %d-%d synced, which the partial file does not hold: %s",
				c.seed, when, s.Start, s.Done-1, c.diff(got))
		}
	}
}

// scramble overwrites the bytes of the partial file that journal does not
// hold as synced.
func (c *chaosRun) scramble(j journal.File) {
	part := filepath.Join(c.cfg.PartialDir, "model", "0.part")
	f, err := os.OpenFile(part, os.O_RDWR, 0)
	if err != nil {
		return // no partial file (yet, or any more)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, g := range journal.Spans(modelRecord(j).Segments).Gaps(st.Size()) {
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, int(g.To-g.From)), g.From); err != nil {
			c.t.Fatal(err)
		}
	}
}

// check asserts the outcome: a file called done is the server's, byte
// for byte; a fetch not done says why; the bytes sent stay in bound.
func (c *chaosRun) check(s fetch.Snapshot) {
	t := c.t
	switch s.State {
	case fetch.StateSucceeded:
		got, err := os.ReadFile(s.Records[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, c.v1) && !(c.changed.Load() && bytes.Equal(got, c.v2)) {
			t.Fatalf("seed %d: the file called done is not the server's: %s", c.seed, c.diff(got))
		}
	case fetch.StateFailed:
		if s.FailureReason == "" || s.Message == "" {
			t.Fatalf("seed %d: failed without a reason (%q, %q)", c.seed, s.FailureReason, s.Message)
		}
		if !c.explained(s) {
			t.Fatalf("seed %d: failed with %s (%s), which no fault explains", c.seed, s.FailureReason, s.Message)
		}
	default:
		t.Fatalf("seed %d: settled as %s", c.seed, s.State)
	}
	if sent, bound := c.o.Sent.Load(), c.bound(); sent > bound {
		t.Errorf("seed %d: the server sent %d bytes, over the bound %d (%d requests, %d fresh starts, %d crashes)",
			c.seed, sent, bound, c.o.GETs.Load(), c.fresh.Load(), c.crashes)
	}
}

// explained reports whether a failure is one the faults may cause: the
// digest of a file that changed, or a server that kept changing the file.
func (c *chaosRun) explained(s fetch.Snapshot) bool {
	switch {
	case s.FailureReason == fetch.ReasonIntegrity:
		return c.changed.Load()
	case s.FailureReason == fetch.ReasonFetchError && strings.Contains(s.Message, "kept changing"):
		return c.fresh.Load() >= transfer.MaxRestarts
	}
	return false
}

// bound is the most the server may send: the file twice over, once more
// for each answer that sent the whole file to a ranged request (ignored
// ranges, a changed file), for the download once more after a digest
// mismatch and for each crash (its unsynced bytes are fetched again), plus
// what one read in flight, the socket buffers and an error page hold for
// every request.
func (c *chaosRun) bound() int64 {
	size := int64(len(c.v1))
	again := c.fresh.Load() + int64(c.crashes)
	if c.sha && c.changed.Load() {
		again++
	}
	return size*(2+again) + (c.o.GETs.Load()+c.headCount.Load())*(256<<10)
}

// diff describes where got differs from the server's versions.
func (c *chaosRun) diff(got []byte) string {
	if len(got) != len(c.v1) {
		return fmt.Sprintf("%d bytes, want %d", len(got), len(c.v1))
	}
	var out []string
	for i := 0; i < len(got) && len(out) < 6; {
		if got[i] == c.v1[i] {
			i++
			continue
		}
		j := i
		for j < len(got) && got[j] != c.v1[j] {
			j++
		}
		kind := "other"
		switch {
		case bytes.Equal(got[i:j], c.v2[i:j]):
			kind = "v2"
		case bytes.Count(got[i:j], []byte{0xA5}) == j-i:
			kind = "scrambled"
		case bytes.Count(got[i:j], []byte{0}) == j-i:
			kind = "zero"
		}
		out = append(out, fmt.Sprintf("%d-%d %s", i, j-1, kind))
		i = j
	}
	return fmt.Sprintf("changed %v, differs at %s", c.changed.Load(), strings.Join(out, ", "))
}
