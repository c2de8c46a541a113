package ledger

import (
	"slices"
	"testing"
)

func TestSpans(t *testing.T) {
	tests := []struct {
		name   string
		adds   []Span
		want   Spans
		gaps10 Spans
	}{
		{name: "empty", gaps10: Spans{{0, 10}}},
		{name: "one", adds: []Span{{2, 4}}, want: Spans{{2, 4}}, gaps10: Spans{{0, 2}, {4, 10}}},
		{name: "touching merge", adds: []Span{{2, 4}, {4, 6}}, want: Spans{{2, 6}}, gaps10: Spans{{0, 2}, {6, 10}}},
		{name: "overlap merge", adds: []Span{{5, 8}, {2, 6}}, want: Spans{{2, 8}}, gaps10: Spans{{0, 2}, {8, 10}}},
		{name: "bridge", adds: []Span{{0, 2}, {8, 10}, {1, 9}}, want: Spans{{0, 10}}},
		{name: "apart", adds: []Span{{8, 9}, {0, 1}, {4, 5}}, want: Spans{{0, 1}, {4, 5}, {8, 9}}, gaps10: Spans{{1, 4}, {5, 8}, {9, 10}}},
		{name: "empty range", adds: []Span{{3, 3}}, gaps10: Spans{{0, 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Spans
			for _, a := range tc.adds {
				s = s.Add(a.From, a.To)
			}
			if !slices.Equal(s, tc.want) {
				t.Errorf("spans %v, want %v", s, tc.want)
			}
			if g := s.Gaps(10); !slices.Equal(g, tc.gaps10) {
				t.Errorf("gaps %v, want %v", g, tc.gaps10)
			}
			if s.Covers(10) != (len(tc.gaps10) == 0) {
				t.Errorf("covers(10) = %v with gaps %v", s.Covers(10), tc.gaps10)
			}
		})
	}
	if g := (Spans{{0, 5}}).Gaps(-1); !slices.Equal(g, Spans{{5, -1}}) {
		t.Errorf("unknown size gaps %v, want 5-", g)
	}
}

// TestLedgerSteal: an idle connection takes the far half of the busiest
// claim, never the part a read in progress may fill.
func TestLedgerSteal(t *testing.T) {
	l := New(100, nil, nil)
	a := l.Take(true, 100, 10)
	if a == nil || a.pos != 0 || a.end != 100 {
		t.Fatalf("first claim %+v, want 0-100", a)
	}
	l.Reserve(a, 40)
	b := l.Take(true, 100, 10)
	if b == nil || b.pos != 70 || a.end != 70 {
		t.Fatalf("stolen claim %+v (victim now ends at %d), want 70-100", b, a.end)
	}
	l.Release(a)
	c := l.Take(true, 100, 10)
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
		l := New(n, nil, nil)
		written, synced := make([]bool, n), make([]bool, n) // the model
		var live []*Claim
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, int64(ops[i+1])
			switch op {
			case 0: // take
				c := l.Take(arg%2 == 0, 1+arg%16, 1+arg%4)
				checkTake(t, written, c)
				if c != nil {
					live = append(live, c)
				}
			case 1: // a read arrives for a claim and is written
				if len(live) == 0 {
					continue
				}
				c := live[int(arg)%len(live)]
				want := l.Reserve(c, 1+arg%7)
				at, keep := l.Next(c, want)
				if at+keep > n || keep < 0 {
					t.Fatalf("write %d+%d past the end %d", at, keep, n)
				}
				for b := at; b < at+keep; b++ {
					written[b] = true
				}
				l.Wrote(c, keep)
			case 2: // a connection ends
				if len(live) == 0 {
					continue
				}
				k := int(arg) % len(live)
				l.Release(live[k])
				live = slices.Delete(live, k, k+1)
			case 3: // a checkpoint
				_, w, _ := l.State()
				l.MarkSynced(w)
				copy(synced, written)
			}
			checkLedger(t, l, n, written, synced)
		}
	})
}

// checkLedger compares the ledger's written and synced ranges with the
// model, and checks that live claims overlap neither each other nor
// written bytes.
func checkLedger(t *testing.T, l *Ledger, n int64, written, synced []bool) {
	t.Helper()
	_, w, s := l.State()
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
	if l.WrittenTotal() != total {
		t.Fatalf("written total %d, model %d", l.WrittenTotal(), total)
	}
	if w.Covers(n) != (total == n) {
		t.Fatalf("covers %v with %d of %d bytes", w.Covers(n), total, n)
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
func checkTake(t *testing.T, written []bool, c *Claim) {
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

func inSpans(s Spans, b int64) bool {
	for _, x := range s {
		if x.From <= b && b < x.To {
			return true
		}
	}
	return false
}
