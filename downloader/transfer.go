package downloader

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/time/rate"
)

// bufSize is the most one connection reads before writing: large enough
// that syscalls stay cheap, small enough that 16 connections stay small.
const bufSize = 512 << 10

// minRead is the least one read waits for (unless the body ends first):
// enough to keep syscalls few, little enough that progress stays smooth.
const minRead = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// maxRestarts bounds how often one download may start again because the
// server changed the file, lied about ranges or let its link expire.
const maxRestarts = 5

// download runs attempts until the record is complete, fails, or ctx ends.
func (m *Manager) download(ctx context.Context, r *record) error {
	var noRanges, retriedIntegrity bool
	for restarts := 0; ; restarts++ {
		err := m.attempt(ctx, r, noRanges)
		var re *restartError
		var fe *FailError
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case errors.As(err, &fe) && fe.Reason == ReasonIntegrity && !retriedIntegrity:
			retriedIntegrity = true
			m.discard(r, "the file did not match its SHA-256, so it is downloaded once more")
			continue
		case !errors.As(err, &re):
			return err
		case restarts >= maxRestarts:
			if re.err != nil && classify(re.err) == classFatal {
				return m.failure(r, re.err)
			}
			return fail(ReasonFetchError, r.downloaded(), err, "The server kept changing the file or breaking the download (%s).", re.why)
		}
		noRanges = noRanges || re.noRanges
		if re.discard {
			m.discard(r, re.why)
		}
	}
}

// discard forgets a record's partial data, saying why.
func (m *Manager) discard(r *record, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removePartial(r)
	r.restarted = why
	m.markDirty()
}

func (m *Manager) setState(r *record, s State) {
	m.mu.Lock()
	r.state = s
	m.mu.Unlock()
}

// transfer is one attempt at a record's bytes: a plan of segments over one
// file, and the connections that fill them.
type transfer struct {
	m         *Manager
	r         *record
	file      *os.File
	url       string
	validator string
	size      int64
	ranges    bool
	limit     int64 // the most bytes this record may hold before the fetch's total is exceeded; -1 for none
	hash      *hasher
	waiting   atomic.Int32 // connections waiting for the network

	// guarded by r.segMu
	maxConns int
	plateau  bool
	lastRate float64
	grace    bool
}

// attempt resolves the record, checks its partial data still fits, and
// transfers what is missing.
func (m *Manager) attempt(ctx context.Context, r *record, noRanges bool) error {
	in, err := m.resolveRetrying(ctx, r)
	if err != nil {
		return err
	}
	t, err := m.plan(r, in, noRanges)
	if err != nil {
		return err
	}
	defer t.file.Close()
	if err := t.run(ctx); err != nil {
		return err
	}
	return t.finish(ctx)
}

// resolveRetrying resolves the record's original URL, waiting out the
// network and transient server errors.
func (m *Manager) resolveRetrying(ctx context.Context, r *record) (info, error) {
	for n, waits := 0, 0; ; {
		in, err := m.resolve(ctx, r.req.URL)
		if err == nil {
			m.setState(r, StateRunning)
			return in, nil
		}
		if ctx.Err() != nil {
			return info{}, context.Cause(ctx)
		}
		var d time.Duration
		switch classify(err) {
		case classFatal:
			return info{}, m.failure(r, err)
		case classNetwork:
			m.setState(r, StateWaitingNetwork)
			d = m.backoff(waits, err)
			waits++
		case classTransient:
			if n >= m.cfg.MaxRetries {
				return info{}, m.failure(r, err)
			}
			d = m.backoff(n, err)
			n++
		}
		m.cfg.Logger.Info("resolve failed, retrying", "url", r.req.URL, "err", err, "wait", d)
		if err := sleep(ctx, d); err != nil {
			return info{}, err
		}
	}
}

// failure turns err into the reason and sentence a person sees.
func (m *Manager) failure(r *record, err error) *FailError {
	var fe *FailError
	if errors.As(err, &fe) {
		return fe
	}
	var se *StatusError
	if errors.As(err, &se) {
		return fail(ReasonBadStatus, r.downloaded(), err, "The server answered %d %s for %s.", se.Code, http.StatusText(se.Code), r.req.URL)
	}
	if classify(err) == classFatal {
		return fail(ReasonFetchError, r.downloaded(), err, "The secure connection to the server could not be trusted (%v).", err)
	}
	return fail(ReasonFetchError, r.downloaded(), err, "The download kept failing (%v).", err)
}

// plan fits the resolved file to the partial data on disk: keeps it when it
// is the same file, starts again when it is not, and checks the space.
func (m *Manager) plan(r *record, in info, noRanges bool) (*transfer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := r.f
	part := m.partPath(r)
	if len(r.segs) > 0 {
		why := ""
		switch {
		case in.validator != r.validator || in.size != r.size:
			why = "the file changed on the server, so it is downloaded from the start"
		case !in.ranges || noRanges:
			why = "the server cannot resume, so the file is downloaded from the start"
		case !partIntact(part, r.journalSegments()):
			why = "the partial file was missing or short, so the file is downloaded from the start"
		}
		if why != "" {
			m.removePartial(r)
			r.restarted = why
		}
	}
	r.url, r.size, r.validator, r.ranges = in.url, in.size, in.validator, in.ranges && !noRanges
	if r.sha256 == "" {
		r.sha256 = in.sha256
	}
	if r.name == "" {
		r.name = m.uniqueName(r, cmp.Or(r.req.Name, in.name, nameFromURL(r.req.URL)))
	}
	t := &transfer{m: m, r: r, url: in.url, validator: in.validator, size: in.size, ranges: r.ranges, limit: -1,
		maxConns: cmp.Or(f.opts.Connections, m.maxConns)}
	if total := f.opts.DownloadTotal; total > 0 {
		others := int64(0)
		for _, o := range f.records {
			if o != r {
				others += max(o.size, o.downloaded())
			}
		}
		if in.size >= 0 && others+in.size > total {
			return nil, fail(ReasonTotalExceeded, 0, nil, "The files are %s, more than the %s this download may use.",
				humanize.IBytes(uint64(others+in.size)), humanize.IBytes(uint64(total)))
		}
		t.limit = total - others
	}
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return nil, fail(ReasonFetchError, 0, err, "The download folder could not be created: %v.", err)
	}
	fresh := len(r.segs) == 0
	if in.size > 0 {
		need := in.size
		if !fresh {
			need = in.size - r.downloaded()
		}
		if free, err := freeSpace(filepath.Dir(part)); err == nil && free < need {
			return nil, fail(ReasonQuotaExceeded, r.downloaded(), nil, "There is not enough disk space: %s is needed and %s is free.",
				humanize.IBytes(uint64(need)), humanize.IBytes(uint64(free)))
		}
	}
	file, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fail(ReasonFetchError, 0, err, "The partial file could not be opened: %v.", err)
	}
	if fresh {
		if in.size > 0 {
			if err := preallocate(file, in.size); err != nil {
				file.Close()
				return nil, m.writeFailure(r, err)
			}
		}
		r.segMu.Lock()
		r.segs = []*segment{newSegment(0, in.size, 0)}
		r.segMu.Unlock()
	}
	r.segMu.Lock()
	for _, s := range r.segs {
		// A failed write leaves pos past what is in the file: go on from
		// what was written.
		s.pos = s.written.Load()
		s.reading, s.claimed = s.pos, false
	}
	r.segMu.Unlock()
	t.file = file
	if r.sha256 != "" {
		t.hash = newHasher(m, r, file)
	}
	m.markDirty()
	return t, nil
}

// partIntact reports whether the file at part holds every durable byte.
func partIntact(part string, segs []journalSegment) bool {
	st, err := os.Stat(part)
	if err != nil {
		return false
	}
	for _, s := range segs {
		if s.Done > st.Size() {
			return false
		}
	}
	return true
}

// uniqueName sanitises name and keeps it apart from the other files of the
// fetch. m.mu is held.
func (m *Manager) uniqueName(r *record, name string) string {
	return numbered(SanitizeName(name), func(n string) bool {
		return slices.ContainsFunc(r.f.records, func(o *record) bool { return o != r && o.name == n })
	})
}

// writeFailure says why a write to the partial file failed.
func (m *Manager) writeFailure(r *record, err error) *FailError {
	if isNoSpace(err) {
		return fail(ReasonQuotaExceeded, r.downloaded(), err, "The disk is full. Free some space and press Retry: the %s already downloaded are kept.",
			humanize.IBytes(uint64(r.downloaded())))
	}
	return fail(ReasonFetchError, r.downloaded(), err, "The partial file could not be written: %v.", err)
}

// run fills every segment, adding connections while that helps, and
// checkpoints durable progress on the way. It returns when every
// connection has stopped.
func (t *transfer) run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	exited := make(chan error)
	live := 0
	spawn := func(n int) {
		for range n {
			live++
			t.r.conns.Add(1)
			go func() { exited <- t.worker(ctx) }()
		}
	}
	var hashDone chan struct{}
	if t.hash != nil {
		hashDone = make(chan struct{})
		go func() {
			defer close(hashDone)
			t.hash.follow(ctx)
		}()
	}
	spawn(t.initialConns())
	checkpoint := time.NewTicker(t.m.cfg.CheckpointInterval)
	defer checkpoint.Stop()
	scale := time.NewTicker(t.m.cfg.ScaleInterval)
	defer scale.Stop()
	var firstErr error
	lastBytes, lastAt := t.r.downloaded(), time.Now()
	for live > 0 {
		select {
		case err := <-exited:
			live--
			t.r.conns.Add(-1)
			if err != nil && firstErr == nil {
				firstErr = err
				cancel(err)
			}
		case <-checkpoint.C:
			if err := t.checkpoint(); err != nil && firstErr == nil {
				firstErr = t.m.writeFailure(t.r, err)
				cancel(firstErr)
			}
		case now := <-scale.C:
			if t.hash != nil {
				poke(t.hash.wake) // follow the written prefix closely
			}
			bytes := t.r.downloaded()
			if firstErr == nil {
				spawn(t.scale(live, float64(bytes-lastBytes)/now.Sub(lastAt).Seconds()))
			}
			lastBytes, lastAt = bytes, now
		}
	}
	if err := t.checkpoint(); err != nil && firstErr == nil {
		firstErr = t.m.writeFailure(t.r, err)
	}
	cancel(firstErr)
	if hashDone != nil {
		<-hashDone
	}
	if firstErr == nil && parent.Err() != nil {
		firstErr = context.Cause(parent) // paused, aborted or stopping
	}
	return firstErr
}

// initialConns is how many connections a transfer starts with: one where
// the file cannot be split, else a few, one piece each, within the cap.
func (t *transfer) initialConns() int {
	if !t.ranges || t.size < 0 {
		return 1
	}
	t.r.segMu.Lock()
	defer t.r.segMu.Unlock()
	var left int64
	for _, s := range t.r.segs {
		left += s.remaining()
	}
	return int(max(1, min(4, int64(t.maxConns), left/t.piece())))
}

// piece is how much of the file one request asks for. Pieces are handed
// out in file order, so that the bytes complete roughly front to back and
// the hash can follow them during the transfer; a piece is large enough
// that the round trip of its request is a few per cent of its time.
func (t *transfer) piece() int64 { return 4 * t.m.cfg.MinSegment }

// minSteal is the least an idle connection takes from a busy one at the
// end of a file: small, so that the last pieces do not leave connections
// idle while one finishes alone.
func (t *transfer) minSteal() int64 { return t.m.cfg.MinSegment / 4 }

// scale decides how many connections to add, given the rate of the last
// interval: double while the rate keeps growing, stop for good once two
// intervals in a row show no gain.
func (t *transfer) scale(live int, rate float64) int {
	t.r.segMu.Lock()
	defer t.r.segMu.Unlock()
	if !t.ranges || t.size < 0 || t.plateau || live >= t.maxConns {
		return 0
	}
	switch {
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

// shed lowers the connection cap after a server refused one connection
// too many; it reports whether the caller should stop (another connection
// carries on).
func (t *transfer) shed(live int) bool {
	t.r.segMu.Lock()
	defer t.r.segMu.Unlock()
	if live <= 1 {
		return false
	}
	t.maxConns, t.plateau = live-1, true
	return true
}

// claim gives a connection work: the next piece of the first unclaimed
// segment, else the second half of the segment with the most left to do;
// nil when nothing is worth a connection.
func (t *transfer) claim() *segment {
	t.r.segMu.Lock()
	defer t.r.segMu.Unlock()
	var big *segment
	for _, s := range t.r.segs {
		rem := s.remaining()
		if !s.claimed && rem != 0 {
			s.claimed = true
			if t.ranges && rem > t.piece()+t.minSteal() {
				cut := s.pos + t.piece()
				t.r.segs = append(t.r.segs, newSegment(cut, s.end.Load(), cut))
				s.end.Store(cut)
			}
			return s
		}
		if s.claimed && rem >= 2*t.minSteal() && (big == nil || rem > big.remaining()) {
			big = s
		}
	}
	if big == nil || !t.ranges {
		return nil
	}
	mid := big.reading + big.remaining()/2
	s := newSegment(mid, big.end.Load(), mid)
	s.claimed = true
	big.end.Store(mid)
	t.r.segs = append(t.r.segs, s)
	return s
}

func (t *transfer) release(s *segment) {
	t.r.segMu.Lock()
	s.claimed = false
	t.r.segMu.Unlock()
}

// worker is one connection: it fills segments until none is left, retrying
// what can be retried. A nil return means there is nothing left for it.
func (t *transfer) worker(ctx context.Context) error {
	failures, waits, invalid := 0, 0, 0
	for {
		s := t.claim()
		if s == nil {
			return nil
		}
		progressed, err := t.fetchSegment(ctx, s)
		t.release(s) // while this connection waits, another may take the segment
		if progressed {
			failures, waits, invalid = 0, 0, 0
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		var re *restartError
		var fe *FailError
		var se *StatusError
		if errors.As(err, &re) || errors.As(err, &fe) {
			return err
		}
		var d time.Duration
		switch classify(err) {
		case classFatal:
			return t.m.failure(t.r, err)
		case classNetwork:
			// A connection that was delivering is reconnected at once: a
			// cut is not an outage. Only repeated failures wait.
			if !progressed {
				d = t.m.backoff(waits, err)
				waits++
			}
		case classTransient:
			if errors.As(err, &se) && (se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable) && t.shed(int(t.r.conns.Load())) {
				return nil
			}
			if errors.Is(err, errInvalidResponse) {
				if invalid++; invalid > 3 {
					return fail(ReasonFetchError, t.r.downloaded(), err, "The server keeps sending the wrong part of the file (%v).", err)
				}
			}
			if failures++; failures > t.m.cfg.MaxRetries {
				return t.m.failure(t.r, err)
			}
			d = t.m.backoff(failures-1, err)
		}
		t.m.cfg.Logger.Info("connection failed, retrying", "url", t.url, "err", err, "wait", d)
		if err := t.wait(ctx, d, classify(err) == classNetwork); err != nil {
			return nil
		}
	}
}

// wait sleeps d. The record says it is waiting for the network only when
// every connection is waiting for it, not when one of several was cut.
func (t *transfer) wait(ctx context.Context, d time.Duration, network bool) error {
	if d <= 0 {
		return nil
	}
	if network && t.waiting.Add(1) == t.r.conns.Load() {
		t.m.setState(t.r, StateWaitingNetwork)
	}
	defer func() {
		if network {
			t.waiting.Add(-1)
		}
	}()
	return sleep(ctx, d)
}

// fetchSegment fills s from its next byte to its end with one request.
// progressed says whether any byte was written.
func (t *transfer) fetchSegment(ctx context.Context, s *segment) (progressed bool, err error) {
	t.r.segMu.Lock()
	from, end := s.pos, s.end.Load()
	t.r.segMu.Unlock()
	if end >= 0 && from >= end {
		return false, nil
	}
	ranged := from > 0 || (end >= 0 && end < t.size)
	sctx, scancel := context.WithCancelCause(ctx)
	defer scancel(nil)
	stall := t.m.cfg.StallTimeout
	watchdog := time.AfterFunc(stall, func() { scancel(errStalled) })
	defer watchdog.Stop()
	req, err := newRequest(sctx, http.MethodGet, t.url)
	if err != nil {
		return false, err
	}
	if ranged {
		last := ""
		if end >= 0 {
			last = strconv.FormatInt(end-1, 10)
		}
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%s", from, last))
		if t.validator != "" {
			req.Header.Set("If-Range", t.validator)
		}
	}
	resp, err := t.m.cfg.Client.Do(req)
	if err != nil {
		return false, stallCause(sctx, err)
	}
	defer resp.Body.Close()
	if err := t.check(resp, ranged, from, end); err != nil {
		return false, err
	}
	t.m.setState(t.r, StateRunning)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	body := &stallReader{r: resp.Body, watchdog: watchdog, d: stall}
	for {
		// Reserve what this read may bring, so that a thief splits the
		// segment beyond it and no received byte is thrown away.
		t.r.segMu.Lock()
		end = s.end.Load()
		want := int64(t.m.chunk())
		if end >= 0 {
			want = min(want, end-s.pos)
		}
		s.reading = s.pos + want
		t.r.segMu.Unlock()
		if want == 0 {
			return progressed, nil
		}
		n, rerr := readSome(body, (*bp)[:want], int(min(want, minRead)))
		if n > 0 {
			watchdog.Stop()
			if err := t.m.throttle(ctx, n); err != nil {
				return progressed, err
			}
			watchdog.Reset(stall)
			t.r.segMu.Lock()
			at := s.pos
			s.pos += int64(n)
			s.reading = s.pos
			t.r.segMu.Unlock()
			if _, err := t.file.WriteAt((*bp)[:n], at); err != nil {
				return progressed, t.m.writeFailure(t.r, err)
			}
			s.written.Store(at + int64(n))
			progressed = true
			if t.limit >= 0 && t.r.downloaded() > t.limit {
				return progressed, fail(ReasonTotalExceeded, at+int64(n), nil, "The server sent more than the %s this download may use.", humanize.IBytes(uint64(t.limit)))
			}
		}
		switch {
		case rerr == nil:
		case rerr == io.EOF && end < 0:
			t.r.segMu.Lock()
			s.end.Store(s.pos) // an unknown length ends where the body does
			s.reading = s.pos
			t.r.segMu.Unlock()
			return progressed, nil
		case rerr == io.EOF:
			if s.written.Load() < end {
				return progressed, io.ErrUnexpectedEOF // the body was shorter than its range
			}
		default:
			return progressed, stallCause(sctx, rerr)
		}
	}
}

// readSome reads into buf until it holds at least least bytes or the body
// ends. Unlike io.ReadAtLeast it passes on the body's own error, so that a
// normal end (io.EOF) and a cut connection (io.ErrUnexpectedEOF) stay apart.
func readSome(r io.Reader, buf []byte, least int) (n int, err error) {
	for n < least && err == nil {
		var k int
		k, err = r.Read(buf[n:])
		n += k
	}
	return n, err
}

// stallCause reports a request cut by the stall watchdog as a stall.
func stallCause(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errStalled) {
		return errStalled
	}
	return err
}

// stallReader resets the stall watchdog whenever bytes arrive.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer
	d        time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.watchdog.Reset(s.d)
	}
	return n, err
}

// chunk is how much one connection reads at a time: a buffer, or less
// when a bandwidth limit is set, so that the limit stays smooth.
func (m *Manager) chunk() int {
	if m.limiter.Limit() == rate.Inf {
		return bufSize
	}
	return min(bufSize, m.limiter.Burst())
}

// throttle waits until n more bytes fit the bandwidth limit.
func (m *Manager) throttle(ctx context.Context, n int) error {
	for n > 0 {
		if m.limiter.Limit() == rate.Inf {
			return nil
		}
		step := min(n, m.limiter.Burst())
		if err := m.limiter.WaitN(ctx, step); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			continue // the limit changed under us; take the new burst
		}
		n -= step
	}
	return nil
}

// check validates a response before a byte of it is written.
func (t *transfer) check(resp *http.Response, ranged bool, from, end int64) error {
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return fmt.Errorf("%w: the server sent a %s-encoded body", errInvalidResponse, enc)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusPartialContent && ranged:
		cr, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return err
		}
		if cr.first != from || (end >= 0 && cr.last != end-1) {
			return fmt.Errorf("%w: asked for bytes %d-%d, got %d-%d", errInvalidResponse, from, end-1, cr.first, cr.last)
		}
		if t.size >= 0 && cr.total >= 0 && cr.total != t.size {
			return &restartError{why: "the file's length changed on the server, so it is downloaded from the start", discard: true}
		}
		if etag := resp.Header.Get("ETag"); strings.HasPrefix(t.validator, `"`) && strings.HasPrefix(etag, `"`) && etag != t.validator {
			return &restartError{why: "the file changed on the server, so it is downloaded from the start", discard: true}
		}
		if resp.ContentLength >= 0 && resp.ContentLength != cr.last-cr.first+1 {
			return fmt.Errorf("%w: Content-Length %d for a range of %d bytes", errInvalidResponse, resp.ContentLength, cr.last-cr.first+1)
		}
		return nil
	case code == http.StatusPartialContent:
		return fmt.Errorf("%w: a partial answer to a request for the whole file", errInvalidResponse)
	case code == http.StatusOK && ranged:
		return &restartError{why: "the server sent the whole file instead of the missing part, so it is downloaded from the start", discard: true, noRanges: true}
	case code == http.StatusOK:
		if t.size >= 0 && resp.ContentLength >= 0 && resp.ContentLength != t.size {
			return &restartError{why: "the file's length changed on the server, so it is downloaded from the start", discard: true}
		}
		return nil
	case code == http.StatusRequestedRangeNotSatisfiable:
		return &restartError{why: "the server refused the missing part, so the file is downloaded from the start", discard: true}
	default:
		se := &StatusError{Code: code, URL: t.url, RetryAfter: retryAfter(resp.Header, time.Now())}
		if expiredStatus(code) && t.url != t.r.req.URL {
			return &restartError{why: "the download link expired", err: se}
		}
		return se
	}
}

// checkpoint makes the bytes written so far durable: it syncs the file and
// only then moves each segment's durable mark, so that the journal never
// claims a byte the disk does not hold.
func (t *transfer) checkpoint() error {
	t.r.segMu.Lock()
	segs := slices.Clone(t.r.segs)
	marks := make([]int64, len(segs))
	for i, s := range segs {
		marks[i] = s.written.Load()
	}
	t.r.segMu.Unlock()
	if err := fdatasync(t.file); err != nil {
		return err
	}
	for i, s := range segs {
		s.durable.Store(marks[i])
	}
	t.m.markDirty()
	if t.hash != nil {
		poke(t.hash.wake)
	}
	return nil
}

// finish checks the complete file, verifies its digest, and moves it to
// its final name.
func (t *transfer) finish(ctx context.Context) error {
	r, m := t.r, t.m
	size := t.size
	if size < 0 {
		size = r.downloaded()
		if err := t.file.Truncate(size); err != nil {
			return m.writeFailure(r, err)
		}
	}
	st, err := t.file.Stat()
	if err != nil || st.Size() != size {
		return fail(ReasonFetchError, size, err, "The downloaded file has the wrong length, so it was not kept.")
	}
	if t.hash != nil {
		m.setState(r, StateVerifying)
		sum, err := t.hash.finish(ctx, size)
		if err != nil {
			return err
		}
		if !strings.EqualFold(sum, r.sha256) {
			return fail(ReasonIntegrity, size, nil, "The downloaded file's SHA-256 is %s, not the expected %s, so it was not kept.", sum, r.sha256)
		}
	}
	if err := t.file.Close(); err != nil {
		return m.writeFailure(r, err)
	}
	m.mu.Lock()
	dir := cmp.Or(r.f.opts.Dir, filepath.Join(m.cfg.ModelsDir, r.f.id))
	part := m.partPath(r)
	m.mu.Unlock()
	dest := freePath(filepath.Join(dir, r.name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(ReasonFetchError, size, err, "The folder %s could not be created: %v.", dir, err)
	}
	if err := moveFile(part, dest); err != nil {
		if isNoSpace(err) {
			return m.writeFailure(r, err)
		}
		return fail(ReasonFetchError, size, err, "The finished file could not be moved to %s: %v.", dest, err)
	}
	m.mu.Lock()
	r.path, r.size = dest, size
	r.segMu.Lock()
	r.segs = []*segment{newSegment(0, size, size)}
	r.segMu.Unlock()
	r.hashState = nil
	m.mu.Unlock()
	return nil
}

// hasher computes a record's SHA-256 over its durable prefix while the
// transfer runs, so that verifying at the end costs little more than the
// last checkpoint's bytes; its state goes into the journal.
type hasher struct {
	m    *Manager
	r    *record
	file *os.File
	h    hash.Hash
	wake chan struct{}
}

func newHasher(m *Manager, r *record, file *os.File) *hasher {
	h := sha256.New()
	if len(r.hashState) > 0 && h.(encoding.BinaryUnmarshaler).UnmarshalBinary(r.hashState) == nil {
		r.hashed.Store(hashedLen(r.hashState))
	} else {
		h.Reset()
		r.hashState = nil
		r.hashed.Store(0)
	}
	return &hasher{m: m, r: r, file: file, h: h, wake: make(chan struct{}, 1)}
}

// hashedLen is how many bytes a marshalled sha256 state has consumed: the
// last 8 bytes of the state, big-endian.
func hashedLen(state []byte) int64 {
	if len(state) < 8 {
		return 0
	}
	var n int64
	for _, b := range state[len(state)-8:] {
		n = n<<8 | int64(b)
	}
	return n
}

// follow hashes the written prefix whenever woken, until ctx ends.
func (h *hasher) follow(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		if err := h.hashTo(ctx, prefix(h.r, (*segment).writtenTo)); err != nil {
			return // finish hashes again and reports the error
		}
	}
}

// finish hashes what is left up to size and returns the digest in hex.
func (h *hasher) finish(ctx context.Context, size int64) (string, error) {
	if err := h.hashTo(ctx, size); err != nil {
		return "", h.m.writeFailure(h.r, err)
	}
	return hex.EncodeToString(h.h.Sum(nil)), nil
}

// hashTo feeds the hash the file's bytes up to end. The journal gets the
// last state that covers only durable bytes, so that after a crash the
// hash resumes from data that is really on disk.
func (h *hasher) hashTo(ctx context.Context, end int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	durable := prefix(h.r, (*segment).durableTo)
	var saved []byte
	pos := h.r.hashed.Load()
	for pos < end {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		n, err := h.file.ReadAt((*bp)[:min(int64(bufSize), end-pos)], pos)
		h.h.Write((*bp)[:n])
		pos += int64(n)
		h.r.hashed.Store(pos)
		if err != nil && !(errors.Is(err, io.EOF) && pos == end) {
			return err
		}
		if pos <= durable {
			if saved, err = h.h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
				return err
			}
		}
	}
	if saved != nil {
		h.m.mu.Lock()
		h.r.hashState = saved
		h.m.mu.Unlock()
	}
	return nil
}

// prefix is how far from byte 0 the record's file is filled without a gap,
// by the measure done (written or durable).
func prefix(r *record, done func(*segment) int64) int64 {
	r.segMu.Lock()
	segs := slices.Clone(r.segs)
	r.segMu.Unlock()
	slices.SortFunc(segs, func(a, b *segment) int { return cmp.Compare(a.start, b.start) })
	var pos int64
	for _, s := range segs {
		if s.start != pos {
			break
		}
		pos = done(s)
		if e := s.end.Load(); e < 0 || pos < e {
			break
		}
	}
	return pos
}
