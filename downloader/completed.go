package downloader

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
)

// This file is the index of completed files: every verified download,
// kept after its fetch is removed from the list, so that a file is never
// downloaded twice and never handed out once it changed. A file is
// trusted by its size and modification time as verified; one that
// changed is hashed again (off the engine's lock, cancellable) before it
// is trusted, and a file verified without a digest gets the SHA-256 of
// its bytes in the background, so that a later change or a digest asked
// for can be told.

// Ready returns the completed file of url as last verified: there at the
// size and modification time it was verified with. It never reads the
// file, so a poller may ask it every tick: a file that changed is checked
// in the background, and is Ready again once it is found intact.
func (m *Manager) Ready(url string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	path, _, ok := m.match(url, "")
	if c := m.broken(url); !ok && c.SHA256 != "" {
		m.queueCheck(c.Path)
	}
	return path, ok
}

// Match returns the completed file of url, verified now if it changed on
// disk since it was last verified: a copy with a recorded digest is
// hashed, until ctx ends, without the engine's lock, and matches when it
// still has its digest.
func (m *Manager) Match(ctx context.Context, url string) (string, bool) {
	m.mu.Lock()
	path, _, ok := m.match(url, "")
	c := m.broken(url)
	m.mu.Unlock()
	if ok || c.SHA256 == "" {
		return path, ok
	}
	return c.Path, m.recheck(ctx, c)
}

// recheck hashes c's file and records it as verified again when it still
// has its digest. The time is read before hashing: a write during the
// hash changes it, so the next look sees that write.
func (m *Manager) recheck(ctx context.Context, c journal.Completed) bool {
	st, err := os.Stat(c.Path)
	if err != nil || st.Size() != c.Size {
		return false
	}
	if sum, _, err := transfer.HashFile(ctx, c.Path, fetch.Request{}); err != nil || !strings.EqualFold(sum, c.SHA256) {
		return false
	}
	m.setVerified(c, st.ModTime().UnixNano(), c.SHA256)
	return true
}

// setVerified records that c's file had digest sum at modification time
// mod.
func (m *Manager) setVerified(c journal.Completed, mod int64, sum string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.completed) - 1; i >= 0; i-- { // an entry a URL and path have once: the newest
		if m.completed[i].URL == c.URL && m.completed[i].Path == c.Path {
			m.completed[i].Mod, m.completed[i].SHA256 = mod, sum
			break
		}
	}
	m.markCompleted()
}

// queueCheck asks verifyLoop to look at the completed file at path. m.mu
// is held.
func (m *Manager) queueCheck(path string) {
	if !slices.Contains(m.checks, path) {
		m.checks = append(m.checks, path)
	}
	poke(m.verify)
}

// verifyLoop checks completed files in the background, one at a time,
// until ctx ends: first every file the index holds (they may have changed
// while no engine ran), then each one queued (queueCheck). A file that
// changed on disk is hashed again against its recorded digest (Ready's),
// and one verified without a digest gets the SHA-256 of its bytes.
func (m *Manager) verifyLoop(ctx context.Context) {
	m.mu.Lock()
	all := slices.Clone(m.completed)
	m.mu.Unlock()
	for _, c := range all {
		if ctx.Err() != nil {
			return
		}
		if gone, changed := c.Changed(); !gone && (changed && c.SHA256 != "" || !changed && c.SHA256 == "") {
			m.mu.Lock()
			m.queueCheck(c.Path)
			m.mu.Unlock()
		}
	}
	bad := map[string]int64{} // paths found changed, by the time they had: not hashed again
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.verify:
		}
		for c, ok := m.nextCheck(); ok && ctx.Err() == nil; c, ok = m.nextCheck() {
			m.verifyOne(ctx, c, bad)
		}
	}
}

// nextCheck takes the next queued file's index entry.
func (m *Manager) nextCheck() (journal.Completed, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.checks) > 0 {
		path := m.checks[0]
		m.checks = m.checks[1:]
		if c, ok := m.completedAt(path); ok {
			return c, true
		}
	}
	return journal.Completed{}, false
}

// verifyOne hashes c's file: a changed one is verified again or marked
// bad; one without a digest gets the SHA-256 its bytes have, unless it
// changed meanwhile.
func (m *Manager) verifyOne(ctx context.Context, c journal.Completed, bad map[string]int64) {
	st, err := os.Stat(c.Path)
	if err != nil {
		return
	}
	mod := st.ModTime().UnixNano()
	if bad[c.Path] == mod || c.SHA256 != "" && mod == c.Mod {
		return // found bad at this time already, or verified as it is
	}
	sum, _, err := transfer.HashFile(ctx, c.Path, fetch.Request{})
	after, serr := os.Stat(c.Path)
	switch {
	case ctx.Err() != nil:
	case err != nil || serr != nil || after.ModTime().UnixNano() != mod || after.Size() != c.Size:
		bad[c.Path] = mod
	case c.SHA256 == "" && mod == c.Mod:
		m.setVerified(c, mod, sum)
	case c.SHA256 != "" && strings.EqualFold(sum, c.SHA256):
		m.setVerified(c, mod, c.SHA256)
	default:
		bad[c.Path] = mod
	}
}

// completedAt is the index's entry of the file at path, the newest. The
// index of a fetch of many files is long: a path it does not hold is told
// by m.paths without a walk. m.mu is held.
func (m *Manager) completedAt(path string) (journal.Completed, bool) {
	if m.paths[path] == 0 {
		return journal.Completed{}, false
	}
	for _, c := range slices.Backward(m.completed) {
		if c.Path == path {
			return c, true
		}
	}
	return journal.Completed{}, false
}

// digestOf is the SHA-256 the index knows for the completed file at
// path, "" when none. m.mu is held.
func (m *Manager) digestOf(path string) string {
	c, _ := m.completedAt(path)
	return c.SHA256
}

// ours reports whether the file at path is one this engine completed.
// m.mu is held.
func (m *Manager) ours(path string) bool { return m.paths[path] > 0 }

// present finds a request's file already complete and trusted: at its
// Dest when it has one and the engine verified it there (unchanged since,
// its links made again), else a verified download of its URL. A Dest
// that holds another file, or one the engine did not verify, is checked
// by the transfer first (toCheck). m.mu is held.
func (m *Manager) present(req fetch.Request) (string, int64, bool) {
	if req.Dest == "" {
		return m.match(req.URL, req.SHA256)
	}
	c, ok := m.completedAt(req.Dest)
	if !ok || !req.Digested() || req.Size > 0 && c.Size != req.Size {
		return "", 0, false
	}
	if gone, changed := c.Changed(); gone || changed || disk.Finish(req.Dest, req) != nil {
		return "", 0, false
	}
	return req.Dest, c.Size, true
}

// toCheck is the file a new record of req checks before any byte is
// asked for (transfer.Copy), or none: what is already at its Dest (the
// engine's copy repaired if it does not match; a file in one of the
// roots, the Hub cache's blobs, too; anyone else's never replaced), else
// a finished download of its URL that changed on disk since it was
// verified (repaired in place). m.mu is held.
func (m *Manager) toCheck(req fetch.Request) transfer.Copy {
	if req.Dest == "" {
		c := m.broken(req.URL)
		if c.SHA256 == "" || req.GitSHA1 != "" || req.SHA256 != "" && !strings.EqualFold(req.SHA256, c.SHA256) {
			return transfer.Copy{}
		}
		return transfer.Copy{Path: c.Path, Digest: c.SHA256, Mismatch: transfer.Repair}
	}
	st, err := os.Stat(req.Dest)
	if err != nil || !st.Mode().IsRegular() || !req.Digested() {
		return transfer.Copy{}
	}
	mismatch := transfer.Refuse
	if m.ours(req.Dest) || m.places.InRoot(req.Dest) {
		mismatch = transfer.Repair
	}
	return transfer.Copy{Path: req.Dest, Digest: strings.ToLower(cmp.Or(req.GitSHA1, req.SHA256)), Mismatch: mismatch}
}

// match finds a completed download of url (with digest sha256, when
// given) whose file is still there at its full length. m.mu is held.
func (m *Manager) match(url, sha256 string) (string, int64, bool) {
	for _, c := range slices.Backward(m.completed) {
		if c.URL != url || (sha256 != "" && !strings.EqualFold(sha256, c.SHA256)) {
			continue
		}
		if gone, changed := c.Changed(); !gone && !changed {
			return c.Path, c.Size, true
		}
	}
	return "", 0, false
}

// broken is a completed download of url whose file is still there but
// changed (truncated, or written to since), so that downloading it again
// repairs it in place instead of adding name-2 (a zero Path: none).
// m.mu is held.
func (m *Manager) broken(url string) journal.Completed {
	for _, c := range slices.Backward(m.completed) {
		if gone, changed := c.Changed(); c.URL == url && !gone && changed {
			return c
		}
	}
	return journal.Completed{}
}

// remember records a completed file, so that it is found by Match even
// after its fetch is removed from the list. m.mu is held.
func (m *Manager) remember(r *record) {
	if m.paths[r.path] > 0 { // a new file is not walked for
		m.completed = slices.DeleteFunc(m.completed, func(c journal.Completed) bool {
			drop := c.URL == r.req.URL && c.Path == r.path
			if drop {
				m.paths[c.Path]--
			}
			return drop
		})
	}
	c := journal.Completed{URL: r.req.URL, Path: r.path, Size: r.size, SHA256: r.sha256}
	if st, err := os.Stat(r.path); err == nil {
		c.Mod = st.ModTime().UnixNano()
	}
	m.completed = append(m.completed, c)
	m.paths[c.Path]++
}
