package downloader

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Invalid says what is wrong with a Request, so that a caller can word it
// for its own audience (a form field, a flag, a JSON field).
type Invalid string

// The kinds of RequestError.
const (
	InvalidURL    Invalid = "url"     // the URL does not parse
	InvalidScheme Invalid = "scheme"  // not http or https
	InvalidHost   Invalid = "host"    // no host name
	InvalidDigest Invalid = "sha256"  // not 64 hexadecimal digits
	InvalidSize   Invalid = "size"    // negative
	InvalidName   Invalid = "name"    // not a plain file name
	InvalidGitID  Invalid = "gitSHA1" // not 40 hexadecimal digits, or given with a SHA-256
	InvalidPath   Invalid = "dest"    // Dest or a link is not an absolute path
)

// RequestError is a Request that cannot be fetched, and why.
type RequestError struct {
	Kind    Invalid
	Request Request
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("invalid %s in the request for %q", e.Kind, e.Request.URL)
}

// Validate is the one check of a request's URL, digest, size and name; it
// returns nil or a *RequestError.
func (q Request) Validate() error {
	if kind := cmp.Or(q.invalidURL(), q.invalidFields()); kind != "" {
		return &RequestError{Kind: kind, Request: q}
	}
	return nil
}

// invalidURL is what is wrong with the request's URL, or "".
func (q Request) invalidURL() Invalid {
	u, err := url.Parse(q.URL)
	switch {
	case err != nil:
		return InvalidURL
	case u.Scheme != "http" && u.Scheme != "https":
		return InvalidScheme
	case u.Hostname() == "":
		return InvalidHost
	}
	return ""
}

// invalidFields is what is wrong with the request's other fields, or "".
func (q Request) invalidFields() Invalid {
	switch {
	case q.SHA256 != "" && !sha256Hex.MatchString(q.SHA256):
		return InvalidDigest
	case q.GitSHA1 != "" && (!sha1Hex.MatchString(q.GitSHA1) || q.SHA256 != ""):
		return InvalidGitID
	case !absolute(q.Dest) || slices.ContainsFunc(q.Links, func(l string) bool { return l == "" || !absolute(l) }):
		return InvalidPath
	case q.Size < 0:
		return InvalidSize
	case q.Name != "" && q.Dest == "" && SanitizeName(q.Name) != q.Name:
		return InvalidName // with a Dest, the name only labels the file
	}
	return ""
}

// Outcome says what Ensure did.
type Outcome string

// The outcomes of Ensure.
const (
	OutcomeCreated  Outcome = "created"  // a new fetch
	OutcomeJoined   Outcome = "joined"   // an active fetch of the same files
	OutcomeResumed  Outcome = "resumed"  // a paused fetch of the same files, now resumed
	OutcomeComplete Outcome = "complete" // a succeeded fetch of the same files, all still there
	OutcomeRetried  Outcome = "retried"  // a failed fetch of the same files, retried from its partial data
	OutcomeConflict Outcome = "conflict" // the same files asked with another digest or name: see ConflictError
	OutcomeReplaced Outcome = "replaced" // a conflict resolved by Options.Replace
)

// ErrConflict is matched by a *ConflictError.
var ErrConflict = errors.New("these files are already known with another SHA-256 or name")

// ConflictError is Ensure's answer when a URL of the request is known, in
// the fetch it returns, with another digest or name. Ensure again with
// Options.Replace set to use the new ones.
type ConflictError struct {
	URL   string
	Field Invalid // InvalidDigest or InvalidName: which one differs
	Old   string
	New   string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: %s of %q is %q, not %q", ErrConflict, e.Field, e.URL, e.Old, e.New)
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

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
func (m *Manager) Ensure(id string, requests []Request, opts Options) (Snapshot, Outcome, error) {
	auto := id == ""
	if auto {
		urls := make([]string, len(requests))
		for i, q := range requests {
			urls[i] = q.URL
		}
		id = IDForURLs(urls)
	}
	if err := checkFetch(id, requests); err != nil {
		return Snapshot{}, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ensure(id, auto, requests, opts)
}

// ensure is Ensure once id is known and the requests are valid. m.mu is
// held.
func (m *Manager) ensure(id string, auto bool, requests []Request, opts Options) (Snapshot, Outcome, error) {
	replace := opts.Replace
	opts.Replace = false
	f := m.sameFiles(id, auto, requests)
	if f == nil {
		if old, ok := m.fetches[id]; ok && !old.settled() {
			return m.snapshot(old), "", ErrDuplicateID
		}
		return m.create(id, requests, opts), OutcomeCreated, nil
	}
	if err := conflict(f, requests); err != nil && f.state != StateAborted {
		if !replace {
			return m.snapshot(f), OutcomeConflict, err
		}
		return m.replace(f, requests, opts), OutcomeReplaced, nil
	}
	return m.carryOn(f, requests, opts)
}

// carryOn continues f, a fetch of the same files asked for again with no
// conflict. m.mu is held.
func (m *Manager) carryOn(f *fetch, requests []Request, opts Options) (Snapshot, Outcome, error) {
	switch {
	case !f.settled() && f.paused:
		f.paused = false
		m.publish(Event{Kind: EventProgress, Fetch: m.snapshot(f)})
		m.markDirty()
		poke(m.wake)
		return m.snapshot(f), OutcomeResumed, nil
	case !f.settled():
		return m.snapshot(f), OutcomeJoined, nil
	case f.state == StateFailed:
		m.retry(f)
		return m.snapshot(f), OutcomeRetried, nil
	case f.state == StateSucceeded && m.intact(f):
		return m.snapshot(f), OutcomeComplete, nil
	}
	return m.create(f.id, requests, opts), OutcomeCreated, nil
}

// sameFiles finds the fetch Ensure continues: the one with id if it has
// the same URLs, else (when the id was made from the URLs) an active fetch
// of the same URLs under any id. m.mu is held.
func (m *Manager) sameFiles(id string, auto bool, requests []Request) *fetch {
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
// name other than the one its record knows (asked for, or, for the
// digest, given by the server). An empty one, asked or known, is none.
func conflict(f *fetch, requests []Request) error {
	for i, q := range requests {
		r := f.records[i]
		switch {
		case q.SHA256 != "" && r.expected() != "" && !strings.EqualFold(q.SHA256, r.expected()):
			return &ConflictError{URL: q.URL, Field: InvalidDigest, Old: r.expected(), New: q.SHA256}
		case q.Name != "" && r.req.Name != "" && q.Name != r.req.Name:
			return &ConflictError{URL: q.URL, Field: InvalidName, Old: r.req.Name, New: q.Name}
		}
	}
	return nil
}

// replace gives f's records the digests and names of requests. A failed
// fetch is retried with them, from the data it kept (so a corrected
// digest verifies a complete file without downloading it); a succeeded one
// is fetched anew; in an active one, a running record stops and starts
// again with them, keeping its data. m.mu is held.
func (m *Manager) replace(f *fetch, requests []Request, opts Options) Snapshot {
	if f.state == StateSucceeded {
		return m.create(f.id, requests, opts)
	}
	for i, q := range requests {
		r := f.records[i]
		q.SHA256 = strings.ToLower(q.SHA256)
		switch {
		case r.state == StateSucceeded:
		case r.cancel != nil:
			r.amended = &q
			r.cancel(errAmended)
		default:
			r.amend(q)
		}
	}
	if f.state == StateFailed {
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
func (r *record) amend(q Request) {
	if q.SHA256 != "" {
		r.sha256 = q.SHA256
	}
	if q.Name != "" && q.Name != r.req.Name {
		r.name = ""
	}
	r.req, r.amended = q, nil
}

// intact reports whether every file of a succeeded fetch is still the one
// the engine completed. m.mu is held.
func (m *Manager) intact(f *fetch) bool {
	for _, r := range f.records {
		if p, _, ok := m.match(r.req.URL, ""); !ok || p != r.path {
			return false
		}
	}
	return true
}

// checkFetch refuses what no fetch can be: a bad id, no requests, a bad
// request.
func checkFetch(id string, requests []Request) error {
	if !validID(id) {
		return ErrInvalidID
	}
	if len(requests) == 0 {
		return ErrNoRequests
	}
	for _, q := range requests {
		if err := q.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// create starts a new fetch under id, dropping a settled one with that id.
// m.mu is held.
func (m *Manager) create(id string, requests []Request, opts Options) Snapshot {
	f := &fetch{id: id, opts: opts, created: time.Now(), state: StateQueued}
	for i, req := range requests {
		r := newRecord(f, i, req)
		r.state = StateQueued
		if req.Size > 0 {
			r.size = req.Size
		}
		if path, size, ok := m.present(req); ok {
			r.path, r.size, r.name, r.state = path, size, filepath.Base(path), StateSucceeded
		} else if req.Dest == "" { // a Dest is the file's place, whatever copy there is elsewhere
			r.replace = m.broken(req.URL).Path // a finished file changed on disk is repaired in place
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
		m.publish(Event{Kind: EventProgress, Fetch: m.snapshot(f)})
	}
	m.markDirty()
	poke(m.wake)
	return m.snapshot(f)
}

// sameMismatch reports whether err is the mismatch already seen: the same
// bytes, which downloading again would not change.
func sameMismatch(err error, seen string) bool {
	var ie *IntegrityError
	return seen != "" && errors.As(err, &ie) && strings.EqualFold(ie.Got, seen)
}

// SetDigest corrects the expected SHA-256 of the file of url in the
// failed fetch id and checks the file already on disk against it: a file
// whose data was kept after failing its check is not downloaded again.
func (m *Manager) SetDigest(id, url, sha256 string) error {
	if err := (Request{URL: url, SHA256: sha256}).Validate(); err != nil {
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
	i := slices.IndexFunc(f.records, func(r *record) bool { return r.req.URL == url && r.state == StateFailed })
	if i < 0 {
		return ErrNotFound
	}
	change(f.records[i])
	m.retry(f)
	return nil
}
