package downloader

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// fetch is the live state of one fetch. Its fields are guarded by
// Manager.mu.
type fetch struct {
	id      string
	opts    Options
	created time.Time
	paused  bool
	aborted bool
	records []*record

	// state is the settled state once settled; while active it is
	// StateQueued and the snapshot derives the state from the records.
	state   State
	reason  Reason
	message string
	status  int

	meter    meter
	lastSent Snapshot
}

func (f *fetch) settled() bool { return f.state.Settled() }

func (f *fetch) downloaded() int64 {
	var n int64
	for _, r := range f.records {
		n += r.downloaded()
	}
	return n
}

// record is the live state of one file. Plain fields are guarded by
// Manager.mu; segs by segMu; the counters are atomic so that progress can
// be read without stopping a transfer.
type record struct {
	f     *fetch
	index int
	req   Request

	state     State
	name      string
	path      string
	url       string // the resolved URL after redirects
	size      int64  // -1 while unknown
	validator string
	sha256    string // expected digest, from the request or the server
	ranges    bool   // the server honours byte ranges
	restarted string

	reason  Reason
	message string
	status  int
	offset  int64

	cancel context.CancelCauseFunc

	segMu sync.Mutex
	segs  []*segment

	hashState []byte // sha256 state after hashed bytes, all durable
	hashed    atomic.Int64
	conns     atomic.Int32
}

// segment is a byte range of a record's file with its own connection.
type segment struct {
	start   int64
	end     atomic.Int64 // exclusive; -1 while unknown; lowered when another connection steals the tail
	written atomic.Int64 // [start, written) is in the file
	durable atomic.Int64 // [start, durable) is synced
	pos     int64        // next byte a connection will write; guarded by record.segMu
	reading int64        // the end of the read in progress, >= pos; guarded by record.segMu
	claimed bool         // a connection works on it; guarded by record.segMu
}

func newSegment(start, end, done int64) *segment {
	s := &segment{start: start, pos: done, reading: done}
	s.end.Store(end)
	s.written.Store(done)
	s.durable.Store(done)
	return s
}

func (s *segment) writtenTo() int64 { return s.written.Load() }
func (s *segment) durableTo() int64 { return s.durable.Load() }

// remaining is what no connection has read or is reading yet; -1 while the
// end is unknown.
func (s *segment) remaining() int64 {
	if e := s.end.Load(); e >= 0 {
		return max(0, e-s.reading)
	}
	return -1
}

func (r *record) downloaded() int64 {
	r.segMu.Lock()
	defer r.segMu.Unlock()
	var n int64
	for _, s := range r.segs {
		n += s.written.Load() - s.start
	}
	return n
}

// resetPlan forgets the partial data: the next attempt starts at zero.
func (r *record) resetPlan() {
	r.segMu.Lock()
	r.segs = nil
	r.segMu.Unlock()
	r.hashState = nil
	r.hashed.Store(0)
	r.validator = ""
}

// journalSegments returns the durable part of every segment.
func (r *record) journalSegments() []journalSegment {
	r.segMu.Lock()
	defer r.segMu.Unlock()
	out := make([]journalSegment, 0, len(r.segs))
	for _, s := range r.segs {
		out = append(out, journalSegment{Start: s.start, End: s.end.Load(), Done: s.durable.Load()})
	}
	return out
}

func (f *fetch) journal() journalFetch {
	jf := journalFetch{ID: f.id, Options: f.opts, Created: f.created, Paused: f.paused,
		State: f.state, Reason: f.reason, Message: f.message, Status: f.status}
	for _, r := range f.records {
		state := r.state
		if !state.Settled() {
			state = StateQueued
		}
		jf.Records = append(jf.Records, journalRecord{
			Request: r.req, Name: r.name, URL: r.url, Size: r.size, Validator: r.validator,
			SHA256: r.sha256, Ranges: r.ranges, Segments: r.journalSegments(),
			HashState: r.hashState, Path: r.path, State: state,
			Reason: r.reason, Message: r.message, Status: r.status, Offset: r.offset,
		})
	}
	return jf
}

func fetchFromJournal(jf journalFetch) *fetch {
	f := &fetch{id: jf.ID, opts: jf.Options, created: jf.Created, paused: jf.Paused,
		state: jf.State, reason: jf.Reason, message: jf.Message, status: jf.Status}
	if !f.state.Settled() {
		f.state = StateQueued
	}
	for i, jr := range jf.Records {
		r := &record{f: f, index: i, req: jr.Request, name: jr.Name, url: jr.URL, size: jr.Size,
			validator: jr.Validator, sha256: jr.SHA256, ranges: jr.Ranges, hashState: jr.HashState,
			path: jr.Path, state: jr.State, reason: jr.Reason, message: jr.Message, status: jr.Status, offset: jr.Offset}
		if !r.state.Settled() {
			r.state = StateQueued
		}
		for _, s := range jr.Segments {
			r.segs = append(r.segs, newSegment(s.Start, s.End, s.Done))
		}
		if len(r.hashState) > 0 {
			r.hashed.Store(hashedLen(r.hashState))
		}
		f.records = append(f.records, r)
	}
	return f
}

// snapshot copies f. m.mu is held.
func (m *Manager) snapshot(f *fetch) Snapshot {
	s := Snapshot{ID: f.id, Title: f.opts.Title, Icon: f.opts.Icon, Result: ResultNone,
		FailureReason: f.reason, Message: f.message, Status: f.status, Paused: f.paused,
		Created: f.created, DownloadTotal: f.opts.DownloadTotal, ETA: -1, Speed: f.meter.rate}
	if s.Title == "" {
		s.Title = f.id
	}
	var total int64
	known := true
	for _, r := range f.records {
		rs := RecordSnapshot{URL: r.req.URL, Name: r.name, Path: r.path, State: r.state,
			FailureReason: r.reason, Message: r.message, Status: r.status, Offset: r.offset,
			Downloaded: r.downloaded(), Size: r.size, Verified: r.hashed.Load(), SHA256: r.sha256,
			Connections: int(r.conns.Load()), Restarted: r.restarted}
		if rs.Name == "" {
			rs.Name = SanitizeName(nameFromURL(r.req.URL))
		}
		if r.state == StateSucceeded {
			rs.Result, rs.Downloaded = ResultSuccess, max(rs.Downloaded, r.size)
		} else if r.state == StateFailed || r.state == StateAborted {
			rs.Result = ResultFailure
		}
		if r.size < 0 {
			known = false
		}
		total += r.size
		s.Downloaded += rs.Downloaded
		s.Records = append(s.Records, rs)
	}
	if s.DownloadTotal <= 0 {
		s.DownloadTotal = -1
		if known {
			s.DownloadTotal = total
		}
	}
	s.State = f.state
	switch {
	case f.settled():
		s.Result = ResultSuccess
		if f.state != StateSucceeded {
			s.Result = ResultFailure
		}
		s.Speed = 0
	case f.paused:
		s.State = StatePaused
		s.Speed = 0
	default:
		s.State = activeState(f.records)
	}
	// Below a byte a second a stalled transfer has no honest ETA.
	if s.Speed < 1 {
		s.Speed = 0
	} else if s.DownloadTotal > 0 && s.State == StateRunning {
		if eta := float64(max(s.DownloadTotal-s.Downloaded, 0)) / s.Speed; eta < 30*24*3600 {
			s.ETA = time.Duration(eta * float64(time.Second))
		}
	}
	return s
}

// activeState is the state an active fetch shows: running beats verifying
// beats waiting for the network beats queued.
func activeState(records []*record) State {
	rank := map[State]int{StateRunning: 4, StateVerifying: 3, StateWaitingNetwork: 2, StateQueued: 1}
	best := StateQueued
	for _, r := range records {
		if rank[r.state] > rank[best] {
			best = r.state
		}
	}
	return best
}

// meter is a smoothed transfer rate.
type meter struct {
	at    time.Time
	bytes int64
	rate  float64
}

// sample takes the byte count at now. Bytes going down (a forced restart)
// start the meter again.
func (mt *meter) sample(now time.Time, bytes int64) {
	if mt.at.IsZero() || bytes < mt.bytes {
		mt.at, mt.bytes, mt.rate = now, bytes, 0
		return
	}
	dt := now.Sub(mt.at).Seconds()
	if dt <= 0 {
		return
	}
	inst := float64(bytes-mt.bytes) / dt
	const alpha = 0.3
	if mt.rate == 0 {
		mt.rate = inst
	} else {
		mt.rate = alpha*inst + (1-alpha)*mt.rate
	}
	mt.at, mt.bytes = now, bytes
}

// Subscription receives events until Close, or until it falls behind: a
// subscriber whose buffer is full is dropped and its channel closed, so
// that no reader can hold up the engine. A dropped subscriber learns the
// current state with Get.
type Subscription struct {
	C  <-chan Event
	c  chan Event
	id string
	m  *Manager
}

// Subscribe returns a subscription to the events of the fetch with id, or
// of every fetch when id is empty. buffer is how many events may wait.
func (m *Manager) Subscribe(id string, buffer int) *Subscription {
	c := make(chan Event, max(buffer, 1))
	s := &Subscription{C: c, c: c, id: id, m: m}
	m.mu.Lock()
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	return s
}

// Close ends the subscription and closes its channel.
func (s *Subscription) Close() {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if _, ok := s.m.subs[s]; ok {
		delete(s.m.subs, s)
		close(s.c)
	}
}

// publish sends ev to every matching subscriber without blocking. m.mu is
// held.
func (m *Manager) publish(ev Event) {
	for s := range m.subs {
		if s.id != "" && s.id != ev.Fetch.ID {
			continue
		}
		select {
		case s.c <- ev:
		default:
			delete(m.subs, s)
			close(s.c)
		}
	}
}
