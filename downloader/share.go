package downloader

import (
	"context"
	"errors"
	"slices"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// This file makes verified model files available to the apps people run
// models in (package apps): at commit for the apps a request names
// (Request.Share), or later when asked (Share). Only a file whose SHA-256
// the engine verified, unchanged since, is ever offered: an app such as
// Ollama names it by that digest and never hashes it again. A copy, where
// no link can be made, is made only when the caller allows it; without
// that, the record says what it would cost.

// systemApps finds an app's store where the app itself keeps it.
func systemApps(key string) (apps.App, bool) {
	for _, a := range apps.Find(apps.System()) {
		if apps.Key(a.Name()) == key {
			return a, true
		}
	}
	return nil, false
}

// appModel is the verified file at path of the Hub model md, as an app
// is given it.
func appModel(path, sha256 string, size int64, md fetch.Model) apps.Model {
	return apps.Model{Path: path, SHA256: sha256, Size: size, Org: md.Org, Repo: md.Repo, Quant: md.Quant, File: md.File}
}

// shareFile makes am available to each app named, and says how each
// went. It writes outside the engine's lock.
func (m *Manager) shareFile(am apps.Model, names []string, allowCopy bool) []fetch.Shared {
	var out []fetch.Shared
	for _, name := range names {
		out = append(out, m.shareOne(am, name, allowCopy))
	}
	return out
}

// shareOne makes am available to the app named.
func (m *Manager) shareOne(am apps.Model, name string, allowCopy bool) fetch.Shared {
	a, ok := m.cfg.Apps(name)
	if !ok {
		return fetch.Shared{App: apps.Name(name), Problem: words.Sentence(&fetch.AppError{App: apps.Name(name), Err: apps.ErrNotFound})}
	}
	sh := fetch.Shared{App: a.Name()}
	plan, err := a.Plan(am)
	if err == nil && plan.CopyBytes() > 0 && !allowCopy {
		sh.Copy = plan.CopyBytes()
		sh.Problem = words.Sentence(&fetch.AppError{App: a.Name(), Copy: sh.Copy})
		return sh
	}
	if err == nil {
		err = apps.Share(plan)
	}
	if err != nil {
		m.cfg.Logger.Warn("share a model", "app", a.Name(), "path", am.Path, "err", err)
		sh.Problem = words.Sentence(&fetch.AppError{App: a.Name(), Err: err})
		return sh
	}
	sh.Name = plan.Name
	if len(plan.Steps) > 0 {
		sh.Path = plan.Steps[0].Path
	}
	return sh
}

// Share makes the completed files of the fetch id available to the app
// named ("ollama", "lmstudio", "jan", "gpt4all"), as Request.Share does
// at commit: each file of a Hub model whose SHA-256 was verified and
// which has not changed since. Where a link cannot be made, a copy is
// made only with allowCopy; without it the record's Shared says what
// the copy would cost. It returns the fetch as it is then.
func (m *Manager) Share(ctx context.Context, id, app string, allowCopy bool) (fetch.Snapshot, error) {
	type job struct {
		r  *record
		am apps.Model
	}
	var jobs []job
	f, ok := m.pickRecords(id, func(r *record) {
		sum := m.knownDigest(r)
		if p, _, ok := m.match(r.req.URL, ""); ok && p == r.path && r.req.Model != nil && sum != "" {
			jobs = append(jobs, job{r, appModel(r.path, sum, r.size, *r.req.Model)})
		}
	})
	if !ok {
		return fetch.Snapshot{}, fetch.ErrNotFound
	}
	if len(jobs) == 0 {
		return m.snapshotOf(id), &fetch.AppError{App: apps.Name(app), Err: fetch.ErrNotShareable}
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		got := m.shareFile(j.am, []string{app}, allowCopy)
		m.mu.Lock()
		j.r.shared = mergeShared(j.r.shared, got)
		m.mu.Unlock()
		m.markRecord(j.r)
	}
	m.publishChange(f)
	return m.snapshotOf(id), ctx.Err()
}

// pickRecords calls take with each record of the fetch id, under the
// lock, and returns the fetch; false when there is none.
func (m *Manager) pickRecords(id string, take func(*record)) (*fetchState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if ok {
		for _, r := range f.records {
			take(r)
		}
	}
	return f, ok
}

// mergeShared puts the news of got over what old said of the same apps,
// in a new slice: the journal's writer may be encoding old outside the
// lock (persist.go), so old is never changed in place.
func mergeShared(old, got []fetch.Shared) []fetch.Shared {
	old = slices.Clone(old)
	for _, g := range got {
		old = slices.DeleteFunc(old, func(o fetch.Shared) bool { return o.App == g.App })
		old = append(old, g)
	}
	return old
}

// snapshotOf is the fetch id as it is, or a zero snapshot.
func (m *Manager) snapshotOf(id string) fetch.Snapshot {
	s, _ := m.Get(id)
	return s
}

// Unshare removes what Share (or a request's Share) made in the app
// named for the files of the fetch id, and nothing else: the app's own
// files and the engine's stay. It returns the fetch as it is then.
func (m *Manager) Unshare(id, app string) (fetch.Snapshot, error) {
	a, ok := m.cfg.Apps(app)
	if !ok {
		return m.snapshotOf(id), &fetch.AppError{App: apps.Name(app), Err: apps.ErrNotFound}
	}
	type job struct {
		r  *record
		am apps.Model
	}
	var jobs []job
	f, ok := m.pickRecords(id, func(r *record) {
		if r.req.Model != nil && slices.ContainsFunc(r.shared, func(s fetch.Shared) bool { return s.App == a.Name() && s.Problem == "" }) {
			jobs = append(jobs, job{r, appModel(r.path, m.knownDigest(r), r.size, *r.req.Model)})
		}
	})
	if !ok {
		return fetch.Snapshot{}, fetch.ErrNotFound
	}
	var errs []error
	for _, j := range jobs {
		if _, err := a.Unshare(j.am); err != nil {
			errs = append(errs, &fetch.AppError{App: a.Name(), Err: err})
			continue
		}
		m.mu.Lock()
		j.r.shared = slices.DeleteFunc(slices.Clone(j.r.shared), func(s fetch.Shared) bool { return s.App == a.Name() })
		m.mu.Unlock()
		m.markRecord(j.r)
	}
	m.publishChange(f)
	return m.snapshotOf(id), errors.Join(errs...)
}
