package hftest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// The options in this file make the fake a compromised or broken Hub, as
// an endpoint set by HF_ENDPOINT may be: listings that never end or hold
// millions of entries, paths that leave the repo or hold control
// characters, digests that are not digests, answers of any size, and
// answers that begin and never end. A client must stay bounded in memory
// and time against each, and say what happened.

// WithManyFiles serves a model repo id whose main commit (CommitMain) has
// n small plain files in one folder, data/0000000.txt and on (ManyFile),
// made when they are asked for: a listing of millions costs the fake no
// memory. The resolve route serves their bytes; the revision answer lists
// no siblings.
func WithManyFiles(id string, n int) Option {
	return func(h *Hub) {
		h.many[id] = n
		h.repos = append(h.repos, &Repo{ID: id, Type: "model", Refs: map[string]string{"main": CommitMain},
			Commits: map[string][]File{CommitMain: nil}})
	}
}

// ManyFile is the i-th file of a WithManyFiles repo.
func ManyFile(i int) File {
	return File{Path: fmt.Sprintf("data/%07d.txt", i), Data: fmt.Appendf(nil, "file %d\n", i)}
}

// manyListing is the listing under dir of a WithManyFiles repo of n files:
// the folder data, then its files; past them, madeUp's.
func manyListing(n int, dir string, madeUp func(int) map[string]any) (int, func(int) map[string]any) {
	first := 1 // the folder's own entry, listed only from the top
	switch dir {
	case "":
	case "data":
		first = 0
	default:
		return 0, madeUp
	}
	return n + first, func(i int) map[string]any {
		switch {
		case i < first:
			return map[string]any{"type": "directory", "path": "data", "oid": origintest.GitBlobID([]byte("data")), "size": 0}
		case i < n+first:
			return ManyFile(i - first).entry()
		}
		return madeUp(i)
	}
}

// manyFile is the file at p of a WithManyFiles repo of n files.
func manyFile(n int, p string) (File, bool) {
	num, ok := strings.CutPrefix(p, "data/")
	i, err := strconv.Atoi(strings.TrimSuffix(num, ".txt"))
	if !ok || err != nil || i < 0 || i >= n || ManyFile(i).Path != p {
		return File{}, false
	}
	return ManyFile(i), true
}

// manyEntryAt is the paths-info entry of p in a WithManyFiles repo.
func manyEntryAt(n int, p string) []map[string]any {
	if p == "data" {
		_, at := manyListing(n, "", nil)
		return []map[string]any{at(0)}
	}
	if f, ok := manyFile(n, p); ok {
		return []map[string]any{f.entry()}
	}
	return nil
}

// WithEndlessPaging makes every tree listing go on past its last entry:
// page after page of made-up files (more/000000123.txt), each page with a
// rel="next" link, for ever, as a Hub whose cursor never ends would.
func WithEndlessPaging() Option { return func(h *Hub) { h.endless = true } }

// WithForeignNextPage makes the tree's rel="next" links name origin (such
// as https://huggingface.co) instead of the hub, as hf-mirror.com's do;
// only the hub serves the pages.
func WithForeignNextPage(origin string) Option { return func(h *Hub) { h.nextAt = origin } }

// WithListedAs lists the file or folder at path under the name listed (a
// path with "..", a control character, a drive) in tree and paths-info
// answers; the resolve route still serves it at path.
func WithListedAs(path, listed string) Option {
	return withEdit(func(e map[string]any) {
		if e["path"] == path {
			e["path"] = listed
		}
	})
}

// WithListedDigest lists the file at path with oid as its digest instead
// of its own: the lfs.oid of an LFS file, else the git oid.
func WithListedDigest(path, oid string) Option {
	return withEdit(func(e map[string]any) {
		if e["path"] != path {
			return
		}
		if lfs, ok := e["lfs"].(map[string]any); ok {
			lfs["oid"] = oid
			return
		}
		e["oid"] = oid
	})
}

// WithListedSize lists the file at path with size n (and lfs.size n).
func WithListedSize(path string, n int64) Option {
	return withEdit(func(e map[string]any) {
		if e["path"] != path {
			return
		}
		e["size"] = n
		if lfs, ok := e["lfs"].(map[string]any); ok {
			lfs["size"] = n
		}
	})
}

// WithUpperCaseDigests lists every oid and lfs.oid in upper case.
func WithUpperCaseDigests() Option {
	return withEdit(func(e map[string]any) {
		if oid, ok := e["oid"].(string); ok {
			e["oid"] = strings.ToUpper(oid)
		}
		if lfs, ok := e["lfs"].(map[string]any); ok {
			lfs["oid"] = strings.ToUpper(lfs["oid"].(string))
		}
	})
}

func withEdit(edit func(e map[string]any)) Option {
	return func(h *Hub) { h.edits = append(h.edits, edit) }
}

// edited is e as a listing sends it, after the options that change
// listed entries.
func (h *Hub) edited(e map[string]any) map[string]any {
	for _, edit := range h.edits {
		edit(e)
	}
	return e
}

// WithHugeAnswers puts n bytes of white space, which JSON allows, before
// every API answer (revision, tree, paths-info, search): an answer as large
// as the endpoint likes.
func WithHugeAnswers(n int64) Option { return func(h *Hub) { h.pad = n } }

// padAnswer writes the WithHugeAnswers white space; false when the client
// went away.
func (h *Hub) padAnswer(w http.ResponseWriter) bool {
	chunk := []byte(strings.Repeat(" ", 64<<10))
	for left := h.pad; left > 0; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
			return false
		}
	}
	return true
}

// WithEndlessBody makes the answers of route ("revision", "tree",
// "paths-info" or "search"), from its from-th on (0 is the first), begin
// and never end: the first half of the answer, then a space every
// TrickleEvery, flushed, until the client goes away. Trickling tells when
// one has begun.
func WithEndlessBody(route string, from int) Option {
	return func(h *Hub) { h.slowFrom[route] = from }
}

// TrickleEvery is how often an endless answer sends one more byte.
const TrickleEvery = 50 * time.Millisecond

// Trickling is closed once an endless answer (WithEndlessBody) has sent
// its first bytes.
func (h *Hub) Trickling() <-chan struct{} { return h.trickling }

// endsNever counts an answer of route and reports whether it is one that
// never ends.
func (h *Hub) endsNever(route string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.answered[route]
	h.answered[route]++
	from, ok := h.slowFrom[route]
	return ok && n >= from
}

// trickle sends head, then a space every TrickleEvery until the request
// ends or a write fails.
func (h *Hub) trickle(w http.ResponseWriter, r *http.Request, head []byte) {
	rc := http.NewResponseController(w)
	if _, err := w.Write(head); err != nil || rc.Flush() != nil {
		return
	}
	h.once.Do(func() { close(h.trickling) })
	tick := time.NewTicker(TrickleEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if _, err := w.Write([]byte(" ")); err != nil || rc.Flush() != nil {
			return
		}
	}
}
