package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
	"golang.org/x/time/rate"
)

// ReadSize is the most one connection reads before writing: large enough
// that syscalls stay cheap, small enough that 16 connections stay small.
const ReadSize = 512 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, ReadSize); return &b }}

// FirstCheckpoint is how soon the first checkpoint of a transfer comes, so
// that a kill in the first seconds loses little.
const FirstCheckpoint = time.Second

// crew is the connections of one pass over the missing ranges.
type crew struct {
	t      *transfer
	ctx    context.Context
	cancel context.CancelCauseFunc
	exited chan error
	live   int
	err    error

	lastSync      time.Time
	lastSyncBytes int64
	synced        bool // a checkpoint was taken in this pass
	lastScale     time.Time
	lastBytes     int64
}

func (c *crew) spawn(n int) {
	for range n {
		c.live++
		c.t.r.Conns.Add(1)
		go func() { c.exited <- c.t.worker(c.ctx) }()
	}
}

// stop ends the pass with err, the first error winning.
func (c *crew) stop(err error) {
	if err != nil && c.err == nil {
		c.err = err
		c.cancel(err)
	}
}

// connections fills the missing ranges, adding connections while that
// helps, and checkpoints on the way. It returns when every connection has
// stopped.
func (t *transfer) connections(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	now := t.Now()
	c := &crew{t: t, ctx: ctx, cancel: cancel, exited: make(chan error),
		lastSync: now, lastSyncBytes: t.r.downloaded(), lastScale: now, lastBytes: t.r.downloaded()}
	// The hash follows the bytes until the last checkpoint is taken, not
	// only while connections run: the two overlap.
	hctx, hcancel := context.WithCancel(parent)
	defer hcancel()
	hashDone := make(chan struct{})
	go func() {
		defer close(hashDone)
		if t.hash != nil {
			t.hash.follow(hctx)
		}
	}()
	// The flusher ends with the connections: the last checkpoint's
	// fdatasync writes whatever it had not started.
	t.flush = newFlusher(t.file, t.ledger)
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		t.flush.follow(ctx)
	}()
	c.spawn(t.initialConns())
	tick := time.NewTicker(min(t.ScaleInterval, t.CheckpointInterval))
	defer tick.Stop()
	for c.live > 0 {
		select {
		case err := <-c.exited:
			c.live--
			t.r.Conns.Add(-1)
			c.stop(err)
			if t.ledger.Left() == 0 {
				// Every byte is in: connections still waiting out a
				// Retry-After have nothing left to do.
				cancel(nil)
			}
		case now := <-tick.C:
			t.tick(c, now)
		case <-t.freed:
			if c.err == nil {
				c.spawn(t.helpers(c.live))
			}
		}
	}
	cancel(c.err)
	<-flushDone
	if err := t.checkpoint(); err != nil {
		c.stop(writeFailure(err, t.r.downloaded()))
	}
	hcancel()
	<-hashDone
	if c.err == nil && parent.Err() != nil {
		return context.Cause(parent) // paused, aborted or stopping
	}
	return c.err
}

// tick checkpoints when one is due and decides on connections.
func (t *transfer) tick(c *crew, now time.Time) {
	bytes := t.r.downloaded()
	interval := t.CheckpointInterval
	if !c.synced {
		interval = min(interval, FirstCheckpoint)
	}
	if bytes != c.lastSyncBytes && (now.Sub(c.lastSync) >= interval || bytes-c.lastSyncBytes >= t.CheckpointBytes) {
		if err := t.checkpoint(); err != nil {
			c.stop(writeFailure(err, bytes))
		}
		c.lastSync, c.lastSyncBytes, c.synced = now, bytes, true
	}
	if c.err == nil {
		c.spawn(t.helpers(c.live))
	}
	// A tick may come a hair before ScaleInterval has passed since the
	// last one: waiting for the next would make it twice as long.
	if dt := now.Sub(c.lastScale); dt >= t.ScaleInterval*9/10 {
		if t.hash != nil {
			t.hash.poke() // follow the written prefix closely
		}
		if c.err == nil {
			c.spawn(t.scale(c.live, float64(bytes-c.lastBytes)/dt.Seconds(), now))
		}
		c.lastScale, c.lastBytes = now, bytes
	}
}

// helpers is how many connections to start for missing ranges that no
// connection holds, within the cap: connections that stopped because
// nothing was left come back when a failed one releases its range, so
// that the range is not left until that one's Retry-After ends. A
// connection waiting out a server's answer holds no socket and no range,
// so it is not one of the record's connections meanwhile (see wait) and
// does not count against the cap: a busy CDN that answers some requests
// 503 would otherwise idle the download. Twice the cap of live workers
// bounds the waiting ones when every answer is a 503, and a waiting one
// that wakes over the cap stops (overCap).
func (t *transfer) helpers(live int) int {
	if !t.ranged() {
		return 0
	}
	limit := t.connCap()
	return max(0, min(t.ledger.Unclaimed(), limit-int(t.r.Conns.Load()), 2*limit-live))
}

// connCap is the connection cap now (scaling and shedding move it).
func (t *transfer) connCap() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.maxConns
}

// overCap reports whether a connection that has waited would take the
// connections that hold sockets over the cap: others took its place.
func (t *transfer) overCap() bool {
	return int(t.r.Conns.Load()) > t.connCap()
}

// initialConns is how many connections a transfer starts with: one where
// the file cannot be split, else one a piece, within the cap. Starting
// with 4 and doubling them every ScaleInterval left a link capped per
// connection at a tenth below its rate on a 1 GiB file: 2 to 2.7 of 54
// connection-seconds went unused before the last ones started.
func (t *transfer) initialConns() int {
	left := t.ledger.Left()
	if !t.ranged() || left < 0 {
		return 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(max(1, min(int64(t.maxConns), left/t.piece())))
}

// scale decides how many connections to add, given the rate of the last
// interval: double while the rate keeps growing, stop once two intervals
// in a row show no gain. After a server showed a limit, one more is tried
// now and then, so that the count climbs back when answers come back.
func (t *transfer) scale(live int, rate float64, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ranged() || t.in.Size < 0 {
		return 0
	}
	if !t.capped.IsZero() {
		if t.maxConns < t.Deps.MaxConns && now.Sub(t.capped) >= 20*t.ScaleInterval {
			t.maxConns++
			t.capped = now
		}
		return max(0, min(1, t.maxConns-live))
	}
	switch {
	case t.plateau || live >= t.maxConns:
		return 0
	case t.lastRate == 0 || rate > t.lastRate*1.1:
		t.lastRate, t.grace = rate, false
		return min(live, t.maxConns-live)
	case !t.grace:
		t.grace = true // new connections may still be starting
		return 0
	default:
		t.plateau = true
		return 0
	}
}

// shed lowers the connection cap after the server showed a limit; it
// reports whether the caller should stop (another connection carries on).
func (t *transfer) shed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := int(t.r.Conns.Load())
	if live <= 1 {
		return false
	}
	t.maxConns, t.capped = live-1, t.Now()
	return true
}

// worker is one connection: it fills claims until nothing is left for it,
// retrying as the retry policy says. A nil return means there is nothing
// left for it.
func (t *transfer) worker(ctx context.Context) error {
	var tl tally
	for {
		c := t.ledger.Take(t.ranged(), t.piece(), t.minSteal())
		if c == nil {
			return nil
		}
		progressed, err := t.fetchRange(ctx, c)
		t.ledger.Release(c) // while this connection waits, another may take the range
		if progressed {
			tl = tally{}
			if t.hash != nil {
				t.hash.poke() // the written prefix may have grown
			}
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		st := t.policy.decide(ctx, err, t.in.URL, progressed, &tl, t.r.Conns.Load() > 1)
		if st.stop != nil {
			return st.stop
		}
		if st.shed && t.shed() {
			return nil
		}
		t.Log.Info("connection failed, retrying", "url", t.in.URL, "err", err, "wait", st.wait)
		if t.wait(ctx, st) != nil || t.overCap() {
			return nil
		}
	}
}

// wait sleeps st.wait, saying why. The record says it is waiting for the
// network only when every connection is waiting for it, not when one of
// several was cut.
func (t *transfer) wait(ctx context.Context, st step) error {
	if st.wait <= 0 {
		return nil
	}
	if st.network && t.waiting.Add(1) == t.r.Conns.Load() {
		t.events.SetState(fetch.StateWaitingNetwork)
	}
	t.events.Wait(st.why)
	if !st.network {
		// It holds no socket while it waits (see helpers): another takes
		// its range now, not at the next tick. Over a 2 GiB file from a
		// CDN that answers 30 % of requests 503 with Retry-After: 1, up
		// to a ScaleInterval per refusal left the download at 0.63 of
		// its unrefused rate.
		t.r.Conns.Add(-1)
		select {
		case t.freed <- struct{}{}:
		default: // one is pending already
		}
	}
	defer func() {
		if st.network {
			t.waiting.Add(-1)
		} else {
			t.r.Conns.Add(1)
		}
	}()
	return t.nap(ctx, st)
}

// nap sleeps st.wait; a wait for the network ends early when the network
// changes.
func (t *transfer) nap(ctx context.Context, st step) error {
	if st.network && t.NetChange != nil {
		return t.Clock.Sleep(ctx, st.wait, t.NetChange())
	}
	return t.Clock.Sleep(ctx, st.wait, nil)
}

// fetchRange fills claim c from its next byte with one request. It
// reports whether any byte was written.
func (t *transfer) fetchRange(ctx context.Context, c *ledger.Claim) (progressed bool, err error) {
	from, end := t.ledger.Bounds(c)
	if end >= 0 && from >= end {
		return false, nil
	}
	ranged := from > 0 || (end >= 0 && end < t.in.Size)
	sctx, scancel := context.WithCancelCause(ctx)
	defer scancel(nil)
	resp, err := t.get(sctx, ranged || end >= 0, from, end) // the transport bounds the wait for its header
	if err != nil {
		return false, err
	}
	stall := t.StallTimeout
	watchdog := time.AfterFunc(stall, func() { scancel(fetch.ErrStalled) })
	defer watchdog.Stop()
	defer resp.Body.Close()
	if err := t.check(resp, ranged, from, end); errors.Is(err, errEnded) {
		t.ledger.BodyEnded(c) // the file of unknown length ends at from
		return false, nil
	} else if err != nil {
		return false, err
	}
	t.events.SetState(fetch.StateRunning)
	now := t.Now()
	body := &stallReader{r: resp.Body, watchdog: watchdog, d: stall, t: t, start: now, since: now}
	defer t.forget(body)
	progressed, err = t.copy(ctx, c, body)
	if err != nil {
		err = stallCause(sctx, err)
	}
	return progressed, err
}

// get sends the request for [from, end) (to the end when end is -1). A
// range is asked whenever one is bounded, also for a whole file of known
// size: some servers (the Hugging Face LFS bridge) refuse a range-less GET
// of a large file.
func (t *transfer) get(ctx context.Context, ranged bool, from, end int64) (*http.Response, error) {
	req, err := newRequest(ctx, http.MethodGet, t.in.URL)
	if err != nil {
		return nil, err
	}
	if ranged {
		last := ""
		if end >= 0 {
			last = strconv.FormatInt(end-1, 10)
		}
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%s", from, last))
		if t.in.Validator != "" {
			req.Header.Set("If-Range", t.in.Validator)
		}
	}
	return t.Client.Do(req)
}

// copy writes the body into the claim's range as the bytes arrive: each
// read is written at once, so progress moves on a slow link too.
func (t *transfer) copy(ctx context.Context, c *ledger.Claim, body *stallReader) (progressed bool, err error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	for {
		// Reserve what this read may bring, so that a thief splits the
		// claim beyond it and no received byte is thrown away.
		want := t.ledger.Reserve(c, int64(t.chunk()))
		if want == 0 {
			return progressed, nil
		}
		n, rerr := body.Read((*bp)[:want])
		if n > 0 {
			if err := t.write(ctx, c, (*bp)[:n], body); err != nil {
				return progressed, err
			}
			progressed = true
		}
		switch {
		case rerr == nil:
		case !errors.Is(rerr, io.EOF):
			return progressed, rerr
		case t.ledger.BodyEnded(c):
			return progressed, io.ErrUnexpectedEOF // the body was shorter than its range
		default:
			return progressed, nil
		}
	}
}

// write puts bytes that arrived for claim c into the file, and only then
// into the ledger.
func (t *transfer) write(ctx context.Context, c *ledger.Claim, buf []byte, body *stallReader) error {
	body.watchdog.Stop() // waiting for the bandwidth limit is no stall
	if err := t.throttle(ctx, len(buf)); err != nil {
		return err
	}
	body.watchdog.Reset(body.d)
	at, keep := t.ledger.Next(c, int64(len(buf)))
	if _, err := t.file.WriteAt(buf[:keep], at); err != nil {
		return writeFailure(err, t.r.downloaded())
	}
	t.ledger.Wrote(c, keep)
	t.flush.poke()
	t.events.Wrote() // the journal's written ranges follow the bytes, within journalGap
	if t.plan.Limit >= 0 && t.r.downloaded() > t.plan.Limit {
		return fetch.Failure(fetch.ReasonTotalExceeded, at+keep, &fetch.TotalError{Size: t.r.downloaded(), Limit: t.plan.Limit, AtLeast: true})
	}
	return nil
}

// stallCause reports a request cut by the stall watchdog as a stall.
func stallCause(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), fetch.ErrStalled) {
		return fetch.ErrStalled
	}
	return err
}

// stallReader resets the stall watchdog whenever bytes arrive, and
// measures the connection's rate over windows of Config.SlowAfter.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer
	d        time.Duration

	t     *transfer
	start time.Time
	since time.Time // the window's start
	bytes int64     // received in the window
	total int64     // received in all
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.watchdog.Reset(s.d)
		s.bytes += int64(n)
		s.total += int64(n)
	}
	if now := s.t.Now(); err == nil && now.Sub(s.since) >= s.t.SlowAfter {
		rate := float64(s.bytes) / now.Sub(s.since).Seconds()
		s.since, s.bytes = now, 0
		if s.t.slow(s, rate, now) {
			return n, errSlow
		}
	}
	return n, err
}

// errSlow is a connection replaced for being much slower than another.
var errSlow = errors.New("the connection was much slower than the others")

// connRate is a connection's rate, measured at.
type connRate struct {
	rate float64
	at   time.Time
}

// slow records a connection's rate and reports whether it should be
// replaced: below the floor, or a tenth of the best other connection of
// late, while another does better than the floor. When every connection
// trickles, the link is slow, not the connection: none is replaced.
func (t *transfer) slow(s *stallReader, rate float64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rates[s] = connRate{rate, now}
	best := 0.0
	for o, r := range t.rates {
		switch {
		case now.Sub(r.at) > 2*t.SlowAfter:
			delete(t.rates, o)
		case o != s:
			best = max(best, r.rate)
		}
	}
	return best >= float64(t.SlowRate) && (rate < float64(t.SlowRate) || rate < best/10)
}

// forget keeps a finished connection's rate over its life, for a while,
// as a measure of what the link gives.
func (t *transfer) forget(s *stallReader) {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.rates, s)
	if d := now.Sub(s.start).Seconds(); d > 0 && s.total > 0 {
		t.rates[s] = connRate{float64(s.total) / d, now}
	}
}

// chunk is how much one connection reads at a time: a buffer, or less
// when a bandwidth limit is set, so that the limit stays smooth.
func (t *transfer) chunk() int {
	if t.Limiter.Limit() == rate.Inf {
		return ReadSize
	}
	return min(ReadSize, t.Limiter.Burst())
}

// throttle waits until n more bytes fit the bandwidth limit. The wait is
// the Clock's, as every wait of a transfer is, so that a test sees what
// the limiter asked for without waiting for it.
func (t *transfer) throttle(ctx context.Context, n int) error {
	for n > 0 {
		if t.Limiter.Limit() == rate.Inf {
			return nil
		}
		step := min(n, t.Limiter.Burst())
		now := t.Now()
		r := t.Limiter.ReserveN(now, step)
		if !r.OK() {
			continue // the limit changed under us; take the new burst
		}
		if d := r.DelayFrom(now); d > 0 {
			if err := t.Clock.Sleep(ctx, d, nil); err != nil {
				r.CancelAt(t.Now())
				return err
			}
		}
		n -= step
	}
	return nil
}

// check validates a response before a byte of it is written.
func (t *transfer) check(resp *http.Response, ranged bool, from, end int64) error {
	// A length that differs from the resolved size is the file changing
	// (checkWhole); one that differs from the size the request gave when
	// the server did not is not the file.
	size := int64(-1)
	if t.in.Size < 0 {
		size = t.expected().sizeFor(resp.ContentLength)
	}
	if err := network.CheckResponse(resp, size, t.plan.Name); err != nil {
		return err
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return fmt.Errorf("%w: the server sent a %s-encoded body", fetch.ErrInvalidResponse, enc)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if !ranged && end < 0 {
			return fmt.Errorf("%w: a partial answer to a request for the whole file", fetch.ErrInvalidResponse)
		}
		return t.checkPartial(resp, from, end)
	case http.StatusOK:
		return t.checkWhole(resp, ranged)
	case http.StatusRequestedRangeNotSatisfiable:
		if t.in.Size < 0 && end < 0 && resp.Header.Get("Content-Range") == fmt.Sprintf("bytes */%d", from) {
			return errEnded
		}
		return &restartError{why: fetch.RestartRangeRefused, discard: true}
	}
	se := &fetch.StatusError{Code: resp.StatusCode, URL: t.in.URL, RetryAfter: retryAfter(resp.Header, time.Now())}
	if expiredStatus(se.Code) && t.in.URL != t.r.Request.URL {
		return &restartError{why: fetch.RestartExpired, err: se}
	}
	return se
}

// checkWhole validates a 200: to a ranged request it means the server
// cannot resume or the file changed.
func (t *transfer) checkWhole(resp *http.Response, ranged bool) error {
	if ranged {
		return &restartError{why: fetch.RestartWholeFile, discard: true, noRanges: true}
	}
	if t.in.Size >= 0 && resp.ContentLength >= 0 && resp.ContentLength != t.in.Size {
		return &restartError{why: fetch.RestartLength, discard: true}
	}
	return t.sameFile(resp)
}

// errEnded is a 416 to the rest of a file of unknown length whose total
// is where the rest would start: every byte is in, only the body's end
// was not seen.
var errEnded = errors.New("the file ends where the request starts")

// sameFile checks that a response's strong ETag is the validator the
// record's bytes belong to: bytes of another version are never written.
func (t *transfer) sameFile(resp *http.Response) error {
	if etag := resp.Header.Get("ETag"); strings.HasPrefix(t.in.Validator, `"`) && strings.HasPrefix(etag, `"`) && etag != t.in.Validator {
		return &restartError{why: fetch.RestartChanged, discard: true}
	}
	return nil
}

// checkPartial validates a 206 against the range asked and the file known.
func (t *transfer) checkPartial(resp *http.Response, from, end int64) error {
	cr, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return err
	}
	if cr.first != from || (end >= 0 && cr.last != end-1) {
		return fmt.Errorf("%w: asked for bytes %d-%d, got %d-%d", fetch.ErrInvalidResponse, from, end-1, cr.first, cr.last)
	}
	if t.in.Size >= 0 && cr.total >= 0 && cr.total != t.in.Size {
		return &restartError{why: fetch.RestartLength, discard: true}
	}
	if err := t.sameFile(resp); err != nil {
		return err
	}
	if resp.ContentLength >= 0 && resp.ContentLength != cr.last-cr.first+1 {
		return fmt.Errorf("%w: Content-Length %d for a range of %d bytes", fetch.ErrInvalidResponse, resp.ContentLength, cr.last-cr.first+1)
	}
	return nil
}
