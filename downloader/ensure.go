package downloader

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
)

// Ensure is the one answer to "is this the same download?". It returns the
// fetch of requests and what it did: an active fetch of the same files
// (the same URLs in the same order) is joined, and resumed if paused; a
// failed one is retried from its partial data; a succeeded one whose files
// are all still there is returned as it is; anything else starts a fetch.
// With id "" the id is made from the URLs (IDForURLs) and an active fetch
// of the same files is joined under whatever id it has.
//
// A fetch of the same files asked for with another SHA-256 or name is a
// *ConflictError (OutcomeConflict) unless opts.Replace is set: then the
// new digests and names apply (OutcomeReplaced), a failed fetch is retried
// with them from the file it kept, and a succeeded one is fetched anew. An
// active id with other files is ErrDuplicateID.
func (m *Manager) Ensure(id string, requests []fetch.Request, opts fetch.Options) (fetch.Snapshot, fetch.Outcome, error) {
	auto := id == ""
	if auto {
		urls := make([]string, len(requests))
		for i, q := range requests {
			urls[i] = q.URL
		}
		id = fetch.IDForURLs(urls)
	}
	opts, err := m.check(id, requests, opts)
	if err != nil {
		return fetch.Snapshot{}, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ensure(id, auto, requests, opts)
}

// ensure is Ensure once id is known and the requests are valid. m.mu is
// held.
func (m *Manager) ensure(id string, auto bool, requests []fetch.Request, opts fetch.Options) (fetch.Snapshot, fetch.Outcome, error) {
	replace := opts.Replace
	opts.Replace = false
	f := m.sameFiles(id, auto, requests)
	if f == nil {
		if old, ok := m.fetches[id]; ok && !old.settled() {
			return m.snapshot(old), "", fetch.ErrDuplicateID
		}
		return m.create(id, requests, opts), fetch.OutcomeCreated, nil
	}
	if err := m.conflict(f, requests); err != nil && f.state != fetch.StateAborted {
		if !replace {
			return m.snapshot(f), fetch.OutcomeConflict, err
		}
		return m.replace(f, requests, opts), fetch.OutcomeReplaced, nil
	}
	return m.carryOn(f, requests, opts)
}

// carryOn continues f, a fetch of the same files asked for again with no
// conflict. m.mu is held.
func (m *Manager) carryOn(f *fetchState, requests []fetch.Request, opts fetch.Options) (fetch.Snapshot, fetch.Outcome, error) {
	switch {
	case !f.settled() && f.paused:
		f.paused = false
		m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
		m.markDirty()
		poke(m.wake)
		return m.snapshot(f), fetch.OutcomeResumed, nil
	case !f.settled():
		return m.snapshot(f), fetch.OutcomeJoined, nil
	case f.state != fetch.StateAborted && m.intact(f):
		// Every file is here as verified (a failure was a digest asked
		// for that it does not have): a digest asked for now is checked.
		if m.checkDigests(f, requests) {
			return m.snapshot(f), fetch.OutcomeChecking, nil
		}
		m.completeAll(f)
		return m.snapshot(f), fetch.OutcomeComplete, nil
	case f.state == fetch.StateFailed:
		m.retry(f)
		return m.snapshot(f), fetch.OutcomeRetried, nil
	}
	return m.create(f.id, requests, opts), fetch.OutcomeCreated, nil
}

// sameFiles finds the fetch Ensure continues: the one with id if it has
// the same URLs, else (when the id was made from the URLs) an active fetch
// of the same URLs under any id. m.mu is held.
func (m *Manager) sameFiles(id string, auto bool, requests []fetch.Request) *fetchState {
	if f, ok := m.fetches[id]; ok && sameURLs(f, requests) {
		return f
	}
	if !auto {
		return nil
	}
	for _, f := range m.order {
		if !f.settled() && sameURLs(f, requests) {
			return f
		}
	}
	return nil
}

// conflict returns a *ConflictError when a request asks for a digest or
// name other than the one its record knows (asked for, given by the
// server, or, for a completed file, the SHA-256 its bytes have). An empty
// one, asked or known, is none. m.mu is held.
func (m *Manager) conflict(f *fetchState, requests []fetch.Request) error {
	for i, q := range requests {
		r := f.records[i]
		switch known := m.knownDigest(r); {
		case q.SHA256 != "" && known != "" && !strings.EqualFold(q.SHA256, known):
			return &fetch.ConflictError{URL: q.URL, Field: fetch.InvalidDigest, Old: known, New: q.SHA256}
		case q.Name != "" && r.req.Name != "" && q.Name != r.req.Name:
			return &fetch.ConflictError{URL: q.URL, Field: fetch.InvalidName, Old: r.req.Name, New: q.Name}
		}
	}
	return nil
}

// replace gives f's records the digests and names of requests. A failed
// fetch is retried with them, from the data it kept (so a corrected
// digest verifies a complete file without downloading it); a succeeded one
// is fetched anew; in an active one, a running record stops and starts
// again with them, keeping its data. m.mu is held.
func (m *Manager) replace(f *fetchState, requests []fetch.Request, opts fetch.Options) fetch.Snapshot {
	if f.state == fetch.StateSucceeded {
		return m.create(f.id, requests, opts)
	}
	for i, q := range requests {
		r := f.records[i]
		q.SHA256 = strings.ToLower(q.SHA256)
		switch {
		case r.state == fetch.StateSucceeded:
		case r.cancel != nil:
			r.amended = &q
			r.cancel(errAmended)
		default:
			r.amend(q)
		}
	}
	if f.state == fetch.StateFailed {
		m.retry(f)
	}
	m.markDirty()
	return m.snapshot(f)
}

// expected is the digest the record is to be checked against: the one of
// a replacement waiting for the transfer to stop, else its own.
func (r *record) expected() string {
	if r.amended != nil && r.amended.SHA256 != "" {
		return r.amended.SHA256
	}
	return r.sha256
}

// amend makes q the record's request. The record is not running.
func (r *record) amend(q fetch.Request) {
	if q.SHA256 != "" {
		r.sha256 = q.SHA256
	}
	if q.Name != "" && q.Name != r.req.Name {
		r.name, r.f.names = "", nil
	}
	r.req, r.amended = q, nil
}

// knownDigest is the SHA-256 r is known by: expected of it, or, for a
// file it completed, the one the file's bytes have. m.mu is held.
func (m *Manager) knownDigest(r *record) string {
	if r.expected() == "" && r.path != "" {
		return m.digestOf(r.path)
	}
	return r.expected()
}

// completeAll makes a fetch whose files are all here as verified
// succeeded: one that failed only because a digest asked for was another
// is done once the digest asked for is the file's. m.mu is held.
func (m *Manager) completeAll(f *fetchState) {
	if f.state == fetch.StateSucceeded {
		return
	}
	for _, r := range f.records {
		r.state, r.reason, r.message, r.status, r.offset = fetch.StateSucceeded, fetch.ReasonNone, "", 0, 0
	}
	f.state = fetch.StateQueued
	m.settle(f)
	m.markDirty()
}

// checkDigests keeps a digest a promise for a succeeded fetch asked for
// again with SHA-256s its files are not known by yet: those files are
// hashed against them before the fetch is done again, with no download;
// one that does not match fails as a conflict and is kept (transfer's
// Conflict). It reports whether any is to be checked. m.mu is held.
func (m *Manager) checkDigests(f *fetchState, requests []fetch.Request) bool {
	checking := false
	for i, q := range requests {
		r := f.records[i]
		if known := m.knownDigest(r); q.SHA256 == "" || known != "" {
			r.sha256 = cmp.Or(r.sha256, strings.ToLower(q.SHA256)) // the same as known: conflict refused others
			continue
		}
		r.state, r.reason, r.message = fetch.StateQueued, fetch.ReasonNone, ""
		r.onDisk = transfer.Copy{Path: r.path, Digest: strings.ToLower(q.SHA256), Mismatch: transfer.Conflict}
		checking = true
	}
	if checking {
		f.state, f.reason, f.message = fetch.StateQueued, fetch.ReasonNone, ""
		m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
		m.markDirty()
		poke(m.wake)
	}
	return checking
}

// intact reports whether every file of a settled fetch is still the one
// the engine completed. m.mu is held.
func (m *Manager) intact(f *fetchState) bool {
	for _, r := range f.records {
		if p, _, ok := m.match(r.req.URL, ""); !ok || p != r.path {
			return false
		}
	}
	return true
}

// create starts a new fetch under id, dropping a settled one with that id.
// m.mu is held.
func (m *Manager) create(id string, requests []fetch.Request, opts fetch.Options) fetch.Snapshot {
	f := &fetchState{id: id, opts: opts, created: time.Now(), state: fetch.StateQueued}
	for i, req := range requests {
		r := newRecord(f, i, req)
		r.state = fetch.StateQueued
		if req.Size > 0 {
			r.size = req.Size
		}
		if path, size, ok := m.present(req); ok {
			r.path, r.size, r.name, r.state = path, size, filepath.Base(path), fetch.StateSucceeded
		} else {
			r.onDisk = m.toCheck(req)
			if req.Dest == "" { // a Dest is the file's place, whatever copy there is elsewhere
				r.replace = m.broken(req.URL).Path // a finished file changed on disk is repaired in place
			}
		}
		f.records = append(f.records, r)
	}
	if old, ok := m.fetches[id]; ok {
		m.drop(old)
	}
	m.fetches[id] = f
	m.order = append(m.order, f)
	m.settle(f)
	if !f.settled() {
		m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
	}
	m.markDirty()
	poke(m.wake)
	return m.snapshot(f)
}

// SetDigest corrects the expected SHA-256 of the file of url in the
// failed fetch id and checks the file already on disk against it: a file
// whose data was kept after failing its check is not downloaded again.
func (m *Manager) SetDigest(id, url, sha256 string) error {
	if err := (fetch.Request{URL: url, SHA256: sha256}).Validate(); err != nil {
		return err
	}
	return m.correct(id, url, func(r *record) {
		q := r.req
		q.SHA256 = strings.ToLower(sha256)
		r.amend(q)
		r.unverified = false
	})
}

// KeepUnverified commits the file of url in the failed fetch id as it is,
// without checking its digest; its snapshot says Unverified.
func (m *Manager) KeepUnverified(id, url string) error {
	return m.correct(id, url, func(r *record) {
		r.sha256, r.unverified = "", true
	})
}

// correct changes the failed record of url in the failed fetch id and
// retries the fetch.
func (m *Manager) correct(id, url string, change func(*record)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := m.failed(id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(f.records, func(r *record) bool { return r.req.URL == url && r.state == fetch.StateFailed })
	if i < 0 {
		return fetch.ErrNotFound
	}
	change(f.records[i])
	m.retry(f)
	return nil
}
