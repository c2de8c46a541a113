package downloader

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// fetch is the live state of one fetch. Its fields are guarded by
// Manager.mu.
type fetchState struct {
	id      string
	opts    fetch.Options
	created time.Time
	paused  bool
	aborted bool
	records []*record

	// state is the settled state once settled; while active it is
	// StateQueued and the snapshot derives the state from the records.
	state   fetch.State
	reason  fetch.Reason
	message string
	status  int

	names map[string]*record // the records' names (uniqueName), nil until asked

	meter     meter
	lastSent  fetch.Snapshot
	slowSince time.Time // since when the fetch runs below Config.SlowRate
	grewAt    time.Time // when its downloaded count last grew
}

func (f *fetchState) settled() bool { return f.state.Settled() }

func (f *fetchState) downloaded() int64 {
	var n int64
	for _, r := range f.records {
		n += r.downloaded()
	}
	return n
}

// record is the live state of one file. Plain fields are guarded by
// Manager.mu; the ledger has its own lock and the counters are atomic, so
// that progress can be read without stopping a transfer.
type record struct {
	f     *fetchState
	index int
	req   fetch.Request

	state     fetch.State
	name      string
	path      string
	size      int64 // -1 while unknown
	validator string
	sha256    string // expected digest, from the request or the server
	ranges    bool   // the server honours byte ranges
	// replace is a completed copy of this file found broken on disk
	// (truncated or grown): the new one takes its place.
	replace string
	// onDisk is a file the next transfer checks before asking for any
	// byte (Manager.toCheck, carryOn's check of a digest asked for).
	onDisk    transfer.Copy
	restarted fetch.Restart

	reason  fetch.Reason
	message string // the failure's sentence, once failed
	status  int
	offset  int64
	// waiting is what an active record waits for before it tries again.
	waiting *fetch.WaitError

	cancel context.CancelCauseFunc

	amended    *fetch.Request // the request to use once the running transfer stops (see Manager.replace)
	mismatch   string         // the SHA-256 the complete file had when it failed its check, "" if none
	unverified bool           // commit the file without checking its digest (Manager.KeepUnverified)
	shared     []fetch.Shared // the apps the completed file was made available to (share.go)

	ledger *ledger.Ledger // which bytes the partial file holds

	hashState []byte // sha256 state after hashed bytes, all synced
	hashed    atomic.Int64
	conns     atomic.Int32
}

func newRecord(f *fetchState, index int, req fetch.Request) *record {
	return &record{f: f, index: index, req: req, size: -1, sha256: req.SHA256, ledger: ledger.New(-1, nil, nil)}
}

// downloaded is how many bytes of the file are written.
func (r *record) downloaded() int64 { return r.ledger.WrittenTotal() }

// resetPlan forgets the partial data: the next attempt starts at zero.
func (r *record) resetPlan() {
	r.ledger.Reset(-1)
	r.hashState = nil
	r.hashed.Store(0)
	r.validator = ""
}

// snapshot copies f. m.mu is held.
func (m *Manager) snapshot(f *fetchState) fetch.Snapshot {
	s := m.head(f)
	s.Records = make([]fetch.RecordSnapshot, len(f.records))
	for i, r := range f.records {
		s.Records[i] = r.snapshot()
	}
	return s
}

// head is f's snapshot without its records, cheap enough for every tick
// of a fetch of many files. m.mu is held.
func (m *Manager) head(f *fetchState) fetch.Snapshot {
	s := fetch.Snapshot{ID: f.id, Title: f.opts.Title, Icon: f.opts.Icon, Result: fetch.ResultNone,
		FailureReason: f.reason, Message: f.message, Status: f.status, Paused: f.paused,
		Created: f.created, DownloadTotal: f.opts.DownloadTotal, ETA: -1, Speed: f.meter.rate}
	if s.Title == "" {
		s.Title = f.id
	}
	var total int64
	known := true
	for _, r := range f.records {
		if r.size < 0 {
			known = false
		}
		total += r.size
		s.Downloaded += r.progress()
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
		s.Result = fetch.ResultSuccess
		if f.state != fetch.StateSucceeded {
			s.Result = fetch.ResultFailure
		}
		s.Speed = 0
	case m.held(f):
		s.State = fetch.StatePaused
		s.Speed = 0
	default:
		s.State = activeState(f.records)
	}
	if s.Message == "" && !f.settled() {
		s.Message = m.activeMessage(f, s.State)
		s.SignIn = signIn(f)
	}
	// Below a byte a second a stalled transfer has no honest ETA.
	if s.Speed < 1 {
		s.Speed = 0
	} else if s.DownloadTotal > 0 && s.State == fetch.StateRunning {
		if eta := float64(max(s.DownloadTotal-s.Downloaded, 0)) / s.Speed; eta < 30*24*3600 {
			s.ETA = time.Duration(eta * float64(time.Second))
		}
	}
	return s
}

// progress is how many of the file's bytes are in: all of them once it
// succeeded. m.mu is held.
func (r *record) progress() int64 {
	if r.state == fetch.StateSucceeded {
		return max(r.downloaded(), r.size)
	}
	return r.downloaded()
}

// snapshot copies r. m.mu is held.
func (r *record) snapshot() fetch.RecordSnapshot {
	rs := fetch.RecordSnapshot{URL: r.req.URL, Name: r.name, Path: r.path, State: r.state,
		FailureReason: r.reason, Message: r.message, Status: r.status, Offset: r.offset,
		Downloaded: r.progress(), Size: r.size, Verified: r.hashed.Load(), SHA256: r.expected(),
		Connections: int(r.conns.Load()), Restarted: words.Restart(r.restarted), Actual: r.mismatch, Unverified: r.unverified,
		Shared: slices.Clone(r.shared)}
	if rs.Name == "" {
		rs.Name = fetch.SanitizeName(fetch.NameFromURL(r.req.URL))
	}
	if rs.Path != "" && len(r.req.Links) > 0 {
		rs.Path = r.req.Links[0] // the name tools open (a Hub snapshot's)
	}
	if rs.Message == "" && r.waiting != nil && !r.state.Settled() {
		rs.Message = words.Sentence(r.waiting)
	}
	switch r.state {
	case fetch.StateSucceeded:
		rs.Result = fetch.ResultSuccess
	case fetch.StateFailed, fetch.StateAborted:
		rs.Result = fetch.ResultFailure
	}
	return rs
}

// slowSince is since when a fetch, last seen as s at now, runs below
// floor bytes a second; zero while it does not.
func slowSince(since time.Time, s fetch.Snapshot, now time.Time, floor int64) time.Time {
	switch {
	case s.State != fetch.StateRunning || s.Speed >= float64(floor):
		return time.Time{}
	case since.IsZero():
		return now
	}
	return since
}

// slowMessage says how slow a fetch is once it ran below Config.SlowRate
// for Config.SlowAfter, so that a trickle does not look like a frozen bar.
// m.mu is held.
func (m *Manager) slowMessage(f *fetchState) string {
	if f.slowSince.IsZero() || f.meter.at.Sub(f.slowSince) < m.cfg.SlowAfter || f.grewAt.Before(f.slowSince) {
		return ""
	}
	return words.VerySlow(f.meter.rate)
}

// activeMessage is what an active fetch in state says: what it waits for
// (the first record's that says something), else how slow it runs. m.mu
// is held.
func (m *Manager) activeMessage(f *fetchState, state fetch.State) string {
	if !f.paused && m.meteredHold() {
		return meteredSentence
	}
	for _, r := range f.records {
		if !r.state.Settled() && r.waiting != nil {
			return words.Sentence(r.waiting)
		}
	}
	if state == fetch.StateRunning {
		return m.slowMessage(f)
	}
	return ""
}

// signIn is the sign-in page of the captive portal a record of f waits
// behind, "" when none does. m.mu is held.
func signIn(f *fetchState) string {
	for _, r := range f.records {
		var ne *network.Error
		if r.waiting != nil && errors.As(r.waiting, &ne) && ne.Kind == network.CaptivePortal {
			return ne.URL
		}
	}
	return ""
}

// activeState is the state an active fetch shows: running beats verifying
// beats waiting for the network beats queued.
func activeState(records []*record) fetch.State {
	rank := map[fetch.State]int{fetch.StateRunning: 4, fetch.StateVerifying: 3, fetch.StateWaitingNetwork: 2, fetch.StateQueued: 1}
	best := fetch.StateQueued
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
	C  <-chan fetch.Event
	c  chan fetch.Event
	id string
	m  *Manager
}

// Subscribe returns a subscription to the events of the fetch with id, or
// of every fetch when id is empty. buffer is how many events may wait.
func (m *Manager) Subscribe(id string, buffer int) *Subscription {
	c := make(chan fetch.Event, max(buffer, 1))
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

// listening reports whether any subscriber hears of the fetch id. m.mu
// is held.
func (m *Manager) listening(id string) bool {
	for s := range m.subs {
		if s.id == "" || s.id == id {
			return true
		}
	}
	return false
}

// publish sends ev to every matching subscriber without blocking. m.mu is
// held.
func (m *Manager) publish(ev fetch.Event) {
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

// publishChange tells the subscribers of f of a change that no progress
// report carries (a record's sharing, a restart): reportProgress
// publishes only a change of bytes, state or speed, and a file started
// again may be back at the same bytes by its next tick.
func (m *Manager) publishChange(f *fetchState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
}

// recordEvents applies what a transfer reports to its record, under the
// manager's lock.
type recordEvents struct {
	m *Manager
	r *record
}

var _ transfer.Events = recordEvents{}

func (e recordEvents) SetState(s fetch.State) {
	e.m.mu.Lock()
	e.r.state, e.r.waiting = s, nil
	e.m.mu.Unlock()
}

func (e recordEvents) Wait(w *fetch.WaitError) {
	e.m.mu.Lock()
	e.r.waiting = w
	e.m.mu.Unlock()
}

func (e recordEvents) Dirty() { e.m.markRecord(e.r) }

func (e recordEvents) Wrote() { e.m.markWritten(e.r) }

func (e recordEvents) NewPart() error { return e.m.newPart(e.r) }

func (e recordEvents) SaveHash(state []byte) {
	e.m.mu.Lock()
	e.r.hashState = state
	e.m.mu.Unlock()
	e.m.markRecord(e.r)
}

// Discard forgets the record's partial data, saying why.
func (e recordEvents) Discard(why fetch.Restart) {
	e.m.mu.Lock()
	e.m.removePartial(e.r)
	e.r.restarted = why
	e.m.mu.Unlock()
	e.forgotten()
}

// forgotten writes the journal at once after partial data was discarded:
// the partial file is made again next, and a crash must not find a
// journal that claims the old file's ranges in the new one.
func (e recordEvents) forgotten() {
	e.m.markRecord(e.r)
	e.m.publishChange(e.r.f)
	if err := e.m.writeJournal(); err != nil {
		e.m.cfg.Logger.Error("write journal", "err", err)
	}
}

// Reconcile keeps the partial data when the resolved file is the one it
// belongs to, discards it when not, and checks the fetch's total.
func (e recordEvents) Reconcile(in transfer.Info, noRanges bool) (transfer.Plan, error) {
	p, discarded, err := e.fit(in, noRanges)
	if discarded {
		e.forgotten()
	}
	return p, err
}

// fit is Reconcile under the manager's lock.
func (e recordEvents) fit(in transfer.Info, noRanges bool) (p transfer.Plan, discarded bool, err error) {
	m, r := e.m, e.r
	m.mu.Lock()
	defer m.mu.Unlock()
	part := m.partPath(r)
	if why := staleWhy(r, in, noRanges, part); why != "" {
		m.cfg.Logger.Info("partial data discarded", "url", r.req.URL, "why", why)
		m.removePartial(r)
		r.restarted, discarded = why, true
	}
	r.size, r.validator, r.ranges = in.Size, in.Validator, in.Ranges && !noRanges
	r.ledger.SetSize(in.Size)
	if r.sha256 == "" && r.req.GitSHA1 == "" && !r.unverified {
		r.sha256 = in.SHA256
	}
	if r.name == "" {
		r.name = m.uniqueName(r, cmp.Or(r.req.Name, in.Name, fetch.NameFromURL(r.req.URL)))
	}
	p = transfer.Plan{Part: part, Dir: cmp.Or(r.f.opts.Dir, filepath.Join(m.cfg.ModelsDir, r.f.id)), Name: r.name,
		Digest: cmp.Or(r.req.GitSHA1, r.sha256), Limit: -1, HashState: r.hashState, Mismatch: r.mismatch, Unverified: r.unverified,
		Replace: r.replace}
	if total := r.f.opts.DownloadTotal; total > 0 {
		others := int64(0)
		for _, o := range r.f.records {
			if o != r {
				others += max(o.size, o.downloaded())
			}
		}
		if in.Size >= 0 && others+in.Size > total {
			return transfer.Plan{}, discarded, fetch.Failure(fetch.ReasonTotalExceeded, 0, &fetch.TotalError{Size: others + in.Size, Limit: total})
		}
		p.Limit = total - others
	}
	m.markRecord(r)
	return p, discarded, nil
}

// staleWhy says why the record's partial data cannot serve the resolved
// file, or "" when it can.
func staleWhy(r *record, in transfer.Info, noRanges bool, part string) fetch.Restart {
	size, written, _ := r.ledger.State()
	switch {
	case len(written) == 0:
		return ""
	case in.Validator != r.validator || in.Size != r.size || (size >= 0 && size != in.Size):
		return fetch.RestartChanged
	case !in.Ranges || noRanges:
		return fetch.RestartNoRanges
	case !partIntact(part, written.End()):
		return fetch.RestartPartialLost
	}
	return ""
}

// partIntact reports whether the file at part is at least end bytes long.
func partIntact(part string, end int64) bool {
	st, err := os.Stat(part)
	return err == nil && st.Size() >= end
}

// uniqueName sanitises name and keeps it apart from the other files of the
// fetch. m.mu is held.
func (m *Manager) uniqueName(r *record, name string) string {
	f := r.f
	if f.names == nil { // the names of a fetch of many files, looked up once each
		f.names = map[string]*record{}
		for _, o := range f.records {
			if o.name != "" {
				f.names[o.name] = o
			}
		}
	}
	n := disk.Numbered(fetch.SanitizeName(name), func(n string) bool { o, ok := f.names[n]; return ok && o != r })
	f.names[n] = r
	return n
}
