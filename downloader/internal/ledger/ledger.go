// Package ledger is the one account of a record's bytes: which ranges of a
// partial file are written, which are synced, and which live connections
// are filling. Scheduling, progress, the journal, the hasher and the
// final check all read it.
package ledger

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Span is the byte range [from, to) of a file; to is -1 for "to the end,
// wherever that is" (a body of unknown length).
type Span struct{ From, To int64 }

func (s Span) String() string {
	if s.To < 0 {
		return fmt.Sprintf("%d-", s.From)
	}
	return fmt.Sprintf("%d-%d", s.From, s.To-1)
}

// far stands for the end of a file of unknown length.
const far = 1 << 62

// Spans is a set of bytes as sorted, disjoint, non-touching finite ranges.
// Its methods return new slices; a Spans value is never changed in place
// once shared.
type Spans []Span

// Add returns s with [from, to) added.
func (s Spans) Add(from, to int64) Spans {
	if from >= to {
		return s
	}
	out := make(Spans, 0, len(s)+1)
	i := 0
	for ; i < len(s) && s[i].To < from; i++ {
		out = append(out, s[i])
	}
	for ; i < len(s) && s[i].From <= to; i++ {
		from, to = min(from, s[i].From), max(to, s[i].To)
	}
	out = append(out, Span{from, to})
	return append(out, s[i:]...)
}

// Union returns every byte of s or t.
func (s Spans) Union(t Spans) Spans {
	for _, x := range t {
		s = s.Add(x.From, x.To)
	}
	return s
}

// Total is how many bytes s holds.
func (s Spans) Total() int64 {
	var n int64
	for _, x := range s {
		n += x.To - x.From
	}
	return n
}

// Prefix is where the bytes of s that start at 0 end without a gap.
func (s Spans) Prefix() int64 {
	if len(s) == 0 || s[0].From > 0 {
		return 0
	}
	return s[0].To
}

// End is one past the last byte of s.
func (s Spans) End() int64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].To
}

// Gaps is what s lacks of [0, size); with size -1 (unknown) the last gap
// is open-ended.
func (s Spans) Gaps(size int64) Spans {
	var out Spans
	pos := int64(0)
	for _, x := range s {
		if size >= 0 && x.From >= size {
			break
		}
		if x.From > pos {
			out = append(out, Span{pos, x.From})
		}
		pos = x.To
	}
	switch {
	case size < 0 && pos < far:
		out = append(out, Span{pos, -1})
	case pos < size:
		out = append(out, Span{pos, size})
	}
	return out
}

// Covers reports whether s is exactly [0, size).
func (s Spans) Covers(size int64) bool {
	return size == 0 && len(s) == 0 || len(s) == 1 && s[0] == Span{0, size}
}

func (s Spans) String() string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

// Claim is the range a live connection has taken: it will write [pos,
// end) in order; [pos, reading) is what its current read may bring, which
// a thief leaves alone. end is -1 while the length is unknown.
type Claim struct {
	pos, reading, end int64
}

// left is what of the claim no read has reached yet; -1 when unknown.
func (c *Claim) left() int64 {
	if c.end < 0 {
		return -1
	}
	return max(0, c.end-max(c.pos, c.reading))
}

// Ledger is the one account of a record's bytes: which ranges are in the
// file (written, added only after WriteAt returned), which of them are on
// disk for sure (synced, moved over only after fdatasync), and which
// ranges live connections are filling (claims). Scheduling, progress, the
// journal, the hasher and the final check all read it.
type Ledger struct {
	mu      sync.Mutex
	size    int64 // -1 while unknown
	written Spans
	synced  Spans
	claims  []*Claim
}

// New is the ledger of a file of size bytes (-1: unknown) whose synced
// ranges are on disk and whose written ranges are in the file, synced or
// not (in the page cache, when the process that wrote them died in this
// boot).
func New(size int64, synced, written Spans) *Ledger {
	return &Ledger{size: size, written: synced.Union(written), synced: synced}
}

// Reset forgets every byte: the file starts again at size.
func (l *Ledger) Reset(size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.size, l.written, l.synced, l.claims = size, nil, nil, nil
}

// State returns the size and the written and synced ranges.
func (l *Ledger) State() (size int64, written, synced Spans) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size, l.written, l.synced
}

// WrittenTotal is how many bytes are in the file: the record's progress.
func (l *Ledger) WrittenTotal() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written.Total()
}

// Prefixes are the ends of the written and synced ranges that start at 0.
func (l *Ledger) Prefixes() (written, synced int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written.Prefix(), l.synced.Prefix()
}

// missing is what the file lacks and no connection is filling.
func (l *Ledger) missing() Spans {
	taken := l.written
	for _, c := range l.claims {
		end := c.end
		if end < 0 {
			end = far // an open claim takes the rest
		}
		taken = taken.Add(c.pos, end)
	}
	return taken.Gaps(l.size)
}

// Unclaimed is how many missing ranges no connection holds.
func (l *Ledger) Unclaimed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.missing())
}

// Take claims work for a connection: the start of the first missing range,
// at most piece long (the whole range when ranged is false or the rest
// would be shorter than minSteal); else the second half of the claim with
// the most left, when that is at least 2×minSteal. It returns nil when
// nothing is worth a connection.
func (l *Ledger) Take(ranged bool, piece, minSteal int64) *Claim {
	l.mu.Lock()
	defer l.mu.Unlock()
	if gaps := l.missing(); len(gaps) > 0 {
		g := gaps[0]
		if ranged && g.To >= 0 && g.To-g.From > piece+minSteal {
			g.To = g.From + piece
		}
		c := &Claim{pos: g.From, reading: g.From, end: g.To}
		l.claims = append(l.claims, c)
		return c
	}
	if !ranged {
		return nil
	}
	var big *Claim
	for _, c := range l.claims {
		if c.left() >= 2*minSteal && (big == nil || c.left() > big.left()) {
			big = c
		}
	}
	if big == nil {
		return nil
	}
	mid := big.end - big.left()/2
	c := &Claim{pos: mid, reading: mid, end: big.end}
	big.end = mid
	l.claims = append(l.claims, c)
	return c
}

// Release ends a claim: what it did not write is missing again.
func (l *Ledger) Release(c *Claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.claims = slices.DeleteFunc(l.claims, func(o *Claim) bool { return o == c })
}

// Reserve marks the read about to start: it may bring up to want bytes
// from c.pos. It returns how many bytes the claim still holds (want or
// less; -1 when its end is unknown and want was -1).
func (l *Ledger) Reserve(c *Claim, want int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end >= 0 {
		want = min(want, c.end-c.pos)
	}
	c.reading = c.pos + want
	return want
}

// Next is where the connection's Next bytes go and how many of n of them
// still belong to its claim (a thief may have taken the rest).
func (l *Ledger) Next(c *Claim, n int64) (at, keep int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end >= 0 {
		n = min(n, c.end-c.pos)
	}
	return c.pos, max(n, 0)
}

// Wrote records that [c.pos, c.pos+n) is in the file: call it only after
// WriteAt returned.
func (l *Ledger) Wrote(c *Claim, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.written = l.written.Add(c.pos, c.pos+n)
	c.pos += n
	c.reading = max(c.reading, c.pos)
}

// Bounds is where the claim's next byte goes and where it ends.
func (l *Ledger) Bounds(c *Claim) (pos, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return c.pos, c.end
}

// BodyEnded records that a body ended at c.pos. A body of unknown length
// makes the file's size known; it reports whether the body was short of
// the claim's end.
func (l *Ledger) BodyEnded(c *Claim) (short bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end < 0 {
		c.end, l.size = c.pos, c.pos
	}
	return c.pos < c.end
}

// SetSize sets the size of the file the ledger is about.
func (l *Ledger) SetSize(size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.size = size
}

// MarkSynced moves ranges that were written before an fdatasync over to
// synced: call it only after the sync returned, with what written was
// before it began.
func (l *Ledger) MarkSynced(before Spans) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.synced = l.synced.Union(before)
}

// Left is how many bytes the file still lacks; -1 while its size is
// unknown.
func (l *Ledger) Left() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size < 0 {
		return -1
	}
	return l.size - l.written.Total()
}
