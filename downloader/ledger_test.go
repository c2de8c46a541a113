package downloader

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestSpans(t *testing.T) {
	tests := []struct {
		name   string
		adds   []span
		want   spans
		gaps10 spans
	}{
		{name: "empty", gaps10: spans{{0, 10}}},
		{name: "one", adds: []span{{2, 4}}, want: spans{{2, 4}}, gaps10: spans{{0, 2}, {4, 10}}},
		{name: "touching merge", adds: []span{{2, 4}, {4, 6}}, want: spans{{2, 6}}, gaps10: spans{{0, 2}, {6, 10}}},
		{name: "overlap merge", adds: []span{{5, 8}, {2, 6}}, want: spans{{2, 8}}, gaps10: spans{{0, 2}, {8, 10}}},
		{name: "bridge", adds: []span{{0, 2}, {8, 10}, {1, 9}}, want: spans{{0, 10}}},
		{name: "apart", adds: []span{{8, 9}, {0, 1}, {4, 5}}, want: spans{{0, 1}, {4, 5}, {8, 9}}, gaps10: spans{{1, 4}, {5, 8}, {9, 10}}},
		{name: "empty range", adds: []span{{3, 3}}, gaps10: spans{{0, 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s spans
			for _, a := range tc.adds {
				s = s.add(a.from, a.to)
			}
			if !slices.Equal(s, tc.want) {
				t.Errorf("spans %v, want %v", s, tc.want)
			}
			if g := s.gaps(10); !slices.Equal(g, tc.gaps10) {
				t.Errorf("gaps %v, want %v", g, tc.gaps10)
			}
			if s.covers(10) != (len(tc.gaps10) == 0) {
				t.Errorf("covers(10) = %v with gaps %v", s.covers(10), tc.gaps10)
			}
		})
	}
	if g := (spans{{0, 5}}).gaps(-1); !slices.Equal(g, spans{{5, -1}}) {
		t.Errorf("unknown size gaps %v, want 5-", g)
	}
}

// TestLedgerSteal: an idle connection takes the far half of the busiest
// claim, never the part a read in progress may fill.
func TestLedgerSteal(t *testing.T) {
	l := newLedger(100, nil)
	a := l.take(true, 100, 10)
	if a == nil || a.pos != 0 || a.end != 100 {
		t.Fatalf("first claim %+v, want 0-100", a)
	}
	l.reserve(a, 40)
	b := l.take(true, 100, 10)
	if b == nil || b.pos != 70 || a.end != 70 {
		t.Fatalf("stolen claim %+v (victim now ends at %d), want 70-100", b, a.end)
	}
	l.release(a)
	c := l.take(true, 100, 10)
	if c == nil || c.pos != 0 || c.end != 70 {
		t.Fatalf("after release %+v, want 0-70 missing again", c)
	}
}

// FuzzLedger drives a ledger with random operations and checks it against
// a byte array that says, per byte, whether it is written, synced and by
// which claim it is taken.
func FuzzLedger(f *testing.F) {
	f.Add(uint8(64), []byte{0, 1, 5, 0, 1, 9, 3, 2, 0, 0})
	f.Add(uint8(200), []byte{0, 0, 0, 0, 1, 255, 1, 17, 2, 3, 0, 4, 3})
	f.Fuzz(func(t *testing.T, size uint8, ops []byte) {
		n := int64(size)
		l := newLedger(n, nil)
		written, synced := make([]bool, n), make([]bool, n) // the model
		var live []*claim
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, int64(ops[i+1])
			switch op {
			case 0: // take
				c := l.take(arg%2 == 0, 1+arg%16, 1+arg%4)
				checkTake(t, written, c)
				if c != nil {
					live = append(live, c)
				}
			case 1: // a read arrives for a claim and is written
				if len(live) == 0 {
					continue
				}
				c := live[int(arg)%len(live)]
				want := l.reserve(c, 1+arg%7)
				at, keep := l.next(c, want)
				if at+keep > n || keep < 0 {
					t.Fatalf("write %d+%d past the end %d", at, keep, n)
				}
				for b := at; b < at+keep; b++ {
					written[b] = true
				}
				l.wrote(c, keep)
			case 2: // a connection ends
				if len(live) == 0 {
					continue
				}
				k := int(arg) % len(live)
				l.release(live[k])
				live = slices.Delete(live, k, k+1)
			case 3: // a checkpoint
				_, w, _ := l.state()
				l.markSynced(w)
				copy(synced, written)
			}
			checkLedger(t, l, n, written, synced)
		}
	})
}

// checkLedger compares the ledger's written and synced ranges with the
// model, and checks that live claims overlap neither each other nor
// written bytes.
func checkLedger(t *testing.T, l *ledger, n int64, written, synced []bool) {
	t.Helper()
	_, w, s := l.state()
	var total int64
	for b := range n {
		if inSpans(w, b) != written[b] {
			t.Fatalf("byte %d: ledger written %v, model %v (ledger %v)", b, inSpans(w, b), written[b], w)
		}
		if inSpans(s, b) != synced[b] {
			t.Fatalf("byte %d: ledger synced %v, model %v", b, inSpans(s, b), synced[b])
		}
		if written[b] {
			total++
		}
	}
	if l.writtenTotal() != total {
		t.Fatalf("written total %d, model %d", l.writtenTotal(), total)
	}
	if w.covers(n) != (total == n) {
		t.Fatalf("covers %v with %d of %d bytes", w.covers(n), total, n)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	taken := map[int64]bool{}
	for _, c := range l.claims {
		for b := c.pos; b < c.end; b++ {
			if taken[b] || written[b] {
				t.Fatalf("byte %d claimed twice or claimed though written (claim %+v)", b, *c)
			}
			taken[b] = true
		}
	}
}

// checkTake checks that a new claim is not empty and takes no written
// byte (checkLedger then checks it overlaps no other claim).
func checkTake(t *testing.T, written []bool, c *claim) {
	t.Helper()
	if c == nil || c.pos >= c.end {
		if c != nil {
			t.Fatalf("empty claim %+v", *c)
		}
		return
	}
	for b := c.pos; b < c.end; b++ {
		if written[b] {
			t.Fatalf("claim %+v takes written byte %d", *c, b)
		}
	}
}

func inSpans(s spans, b int64) bool {
	for _, x := range s {
		if x.from <= b && b < x.to {
			return true
		}
	}
	return false
}

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
	size, written, synced := m.fetches["x"].records[0].ledger.state()
	if want := (spans{{0, 30}, {40, 60}}); size != 100 || !slices.Equal(written, want) || !slices.Equal(synced, want) {
		t.Errorf("size %d written %v synced %v, want 100 and %v", size, written, synced, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := readJournal(path, time.Time{})
	if err != nil || j.Version != journalVersion || len(j.Fetches[0].Records[0].Segments) != 2 {
		t.Errorf("rewritten journal: %v %+v", err, j)
	}
}
