package downloader

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// span is the byte range [from, to) of a file; to is -1 for "to the end,
// wherever that is" (a body of unknown length).
type span struct{ from, to int64 }

func (s span) String() string {
	if s.to < 0 {
		return fmt.Sprintf("%d-", s.from)
	}
	return fmt.Sprintf("%d-%d", s.from, s.to-1)
}

// far stands for the end of a file of unknown length.
const far = 1 << 62

// spans is a set of bytes as sorted, disjoint, non-touching finite ranges.
// Its methods return new slices; a spans value is never changed in place
// once shared.
type spans []span

// add returns s with [from, to) added.
func (s spans) add(from, to int64) spans {
	if from >= to {
		return s
	}
	out := make(spans, 0, len(s)+1)
	i := 0
	for ; i < len(s) && s[i].to < from; i++ {
		out = append(out, s[i])
	}
	for ; i < len(s) && s[i].from <= to; i++ {
		from, to = min(from, s[i].from), max(to, s[i].to)
	}
	out = append(out, span{from, to})
	return append(out, s[i:]...)
}

// union returns every byte of s or t.
func (s spans) union(t spans) spans {
	for _, x := range t {
		s = s.add(x.from, x.to)
	}
	return s
}

// total is how many bytes s holds.
func (s spans) total() int64 {
	var n int64
	for _, x := range s {
		n += x.to - x.from
	}
	return n
}

// prefix is where the bytes of s that start at 0 end without a gap.
func (s spans) prefix() int64 {
	if len(s) == 0 || s[0].from > 0 {
		return 0
	}
	return s[0].to
}

// end is one past the last byte of s.
func (s spans) end() int64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].to
}

// gaps is what s lacks of [0, size); with size -1 (unknown) the last gap
// is open-ended.
func (s spans) gaps(size int64) spans {
	var out spans
	pos := int64(0)
	for _, x := range s {
		if size >= 0 && x.from >= size {
			break
		}
		if x.from > pos {
			out = append(out, span{pos, x.from})
		}
		pos = x.to
	}
	switch {
	case size < 0 && pos < far:
		out = append(out, span{pos, -1})
	case pos < size:
		out = append(out, span{pos, size})
	}
	return out
}

// covers reports whether s is exactly [0, size).
func (s spans) covers(size int64) bool {
	return size == 0 && len(s) == 0 || len(s) == 1 && s[0] == span{0, size}
}

func (s spans) String() string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

// claim is the range a live connection has taken: it will write [pos,
// end) in order; [pos, reading) is what its current read may bring, which
// a thief leaves alone. end is -1 while the length is unknown.
type claim struct {
	pos, reading, end int64
}

// left is what of the claim no read has reached yet; -1 when unknown.
func (c *claim) left() int64 {
	if c.end < 0 {
		return -1
	}
	return max(0, c.end-max(c.pos, c.reading))
}

// ledger is the one account of a record's bytes: which ranges are in the
// file (written, added only after WriteAt returned), which of them are on
// disk for sure (synced, moved over only after fdatasync), and which
// ranges live connections are filling (claims). Scheduling, progress, the
// journal, the hasher and the final check all read it.
type ledger struct {
	mu      sync.Mutex
	size    int64 // -1 while unknown
	written spans
	synced  spans
	claims  []*claim
}

func newLedger(size int64, synced spans) *ledger {
	return &ledger{size: size, written: synced, synced: synced}
}

// reset forgets every byte: the file starts again at size.
func (l *ledger) reset(size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.size, l.written, l.synced, l.claims = size, nil, nil, nil
}

// state returns the size and the written and synced ranges.
func (l *ledger) state() (size int64, written, synced spans) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size, l.written, l.synced
}

// writtenTotal is how many bytes are in the file: the record's progress.
func (l *ledger) writtenTotal() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written.total()
}

// prefixes are the ends of the written and synced ranges that start at 0.
func (l *ledger) prefixes() (written, synced int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written.prefix(), l.synced.prefix()
}

// missing is what the file lacks and no connection is filling.
func (l *ledger) missing() spans {
	taken := l.written
	for _, c := range l.claims {
		end := c.end
		if end < 0 {
			end = far // an open claim takes the rest
		}
		taken = taken.add(c.pos, end)
	}
	return taken.gaps(l.size)
}

// unclaimed is how many missing ranges no connection holds.
func (l *ledger) unclaimed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.missing())
}

// take claims work for a connection: the start of the first missing range,
// at most piece long (the whole range when ranged is false or the rest
// would be shorter than minSteal); else the second half of the claim with
// the most left, when that is at least 2×minSteal. It returns nil when
// nothing is worth a connection.
func (l *ledger) take(ranged bool, piece, minSteal int64) *claim {
	l.mu.Lock()
	defer l.mu.Unlock()
	if gaps := l.missing(); len(gaps) > 0 {
		g := gaps[0]
		if ranged && g.to >= 0 && g.to-g.from > piece+minSteal {
			g.to = g.from + piece
		}
		c := &claim{pos: g.from, reading: g.from, end: g.to}
		l.claims = append(l.claims, c)
		return c
	}
	if !ranged {
		return nil
	}
	var big *claim
	for _, c := range l.claims {
		if c.left() >= 2*minSteal && (big == nil || c.left() > big.left()) {
			big = c
		}
	}
	if big == nil {
		return nil
	}
	mid := big.end - big.left()/2
	c := &claim{pos: mid, reading: mid, end: big.end}
	big.end = mid
	l.claims = append(l.claims, c)
	return c
}

// release ends a claim: what it did not write is missing again.
func (l *ledger) release(c *claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.claims = slices.DeleteFunc(l.claims, func(o *claim) bool { return o == c })
}

// reserve marks the read about to start: it may bring up to want bytes
// from c.pos. It returns how many bytes the claim still holds (want or
// less; -1 when its end is unknown and want was -1).
func (l *ledger) reserve(c *claim, want int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end >= 0 {
		want = min(want, c.end-c.pos)
	}
	c.reading = c.pos + want
	return want
}

// next is where the connection's next bytes go and how many of n of them
// still belong to its claim (a thief may have taken the rest).
func (l *ledger) next(c *claim, n int64) (at, keep int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end >= 0 {
		n = min(n, c.end-c.pos)
	}
	return c.pos, max(n, 0)
}

// wrote records that [c.pos, c.pos+n) is in the file: call it only after
// WriteAt returned.
func (l *ledger) wrote(c *claim, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.written = l.written.add(c.pos, c.pos+n)
	c.pos += n
	c.reading = max(c.reading, c.pos)
}

// bounds is where the claim's next byte goes and where it ends.
func (l *ledger) bounds(c *claim) (pos, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return c.pos, c.end
}

// bodyEnded records that a body ended at c.pos. A body of unknown length
// makes the file's size known; it reports whether the body was short of
// the claim's end.
func (l *ledger) bodyEnded(c *claim) (short bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.end < 0 {
		c.end, l.size = c.pos, c.pos
	}
	return c.pos < c.end
}

// setSize sets the size of the file the ledger is about.
func (l *ledger) setSize(size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.size = size
}

// markSynced moves ranges that were written before an fdatasync over to
// synced: call it only after the sync returned, with what written was
// before it began.
func (l *ledger) markSynced(before spans) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.synced = l.synced.union(before)
}

// left is how many bytes the file still lacks; -1 while its size is
// unknown.
func (l *ledger) left() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size < 0 {
		return -1
	}
	return l.size - l.written.total()
}
