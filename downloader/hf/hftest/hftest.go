// Package hftest is a fake Hugging Face Hub for tests: one server on
// 127.0.0.1 that answers like the Hub (revision, tree with paging,
// paths-info, model search, the resolve route with its headers and a
// redirect of LFS files to a CDN on another origin), with gated, private
// and missing repos told apart by X-Error-Code, as grab's grabtest is for
// plain HTTP. Options make it a compromised or broken Hub too (hostile.go:
// endless paging, millions of files, paths that leave the repo, digests
// that are not digests, huge and endless answers), and Transport serves
// it in memory for tests on a testing/synctest clock. It does not import
// package hf, so hf's own tests can use it.
package hftest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// File is one file of a commit; LFS files are served from the CDN.
type File struct {
	Path string
	Data []byte
	LFS  bool
}

// SHA256Hex is the hex sha256 of data.
func SHA256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// pointer is the git-lfs pointer file git holds for an LFS file.
func (f File) pointer() []byte {
	return fmt.Appendf(nil, "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", SHA256Hex(f.Data), len(f.Data))
}

func (f File) entry() map[string]any {
	e := map[string]any{"type": "file", "path": f.Path, "oid": origintest.GitBlobID(f.Data), "size": len(f.Data)}
	if f.LFS {
		e["oid"] = origintest.GitBlobID(f.pointer())
		e["lfs"] = map[string]any{"oid": SHA256Hex(f.Data), "size": len(f.Data), "pointerSize": len(f.pointer())}
	}
	return e
}

// Repo is a repo: branches and tags naming commits, and the files of
// each commit.
type Repo struct {
	ID      string
	Type    string // "model" or "dataset"
	Refs    map[string]string
	Commits map[string][]File
	Gated   bool
	Private bool
	Readers []string // tokens that may read it
}

func (r *Repo) commitOf(rev string) (string, bool) {
	if c, ok := r.Refs[rev]; ok {
		return c, true
	}
	_, ok := r.Commits[rev]
	return rev, ok
}

// Seen is one request the hub or the CDN received.
type Seen struct {
	Origin, Method, Path, Query, Auth, Range string
}

// Hub is the fake Hub and its CDN.
type Hub struct {
	srv      *httptest.Server
	cdn      *origintest.Server
	repos    []*Repo
	models   []map[string]any
	pageSize int
	tokens   []string
	renamed  map[string]string // old repo id → new
	corrupt  map[string]bool   // paths served with one byte changed
	ttl      time.Duration     // how long a signed CDN address works; 0 is for ever
	now      func() time.Time

	// What makes it a compromised or broken Hub (hostile.go).
	many      map[string]int           // repo id → files made when asked for
	edits     []func(e map[string]any) // changes to every listed entry
	endless   bool                     // tree listings never end
	nextAt    string                   // the origin rel="next" links name; "" is the hub
	pad       int64                    // white space before every API answer
	slowFrom  map[string]int           // route → the first of its answers that never ends
	trickling chan struct{}            // closed once an endless answer has begun
	once      sync.Once

	mu       sync.Mutex
	seen     []Seen
	answered map[string]int // route → answers begun
}

// WithRename answers the resolve route of repo from with a relative
// redirect to repo to, as the Hub does for a renamed repo.
func WithRename(from, to string) Option { return func(h *Hub) { h.renamed[from] = to } }

// WithCorrupt serves the bytes of the files at path with one byte changed,
// while the listings keep their true digests.
func WithCorrupt(path string) Option { return func(h *Hub) { h.corrupt[path] = true } }

// WithSignedURLs makes the CDN addresses the resolve route redirects to
// expire ttl after they were handed out, by the clock now; an expired one
// is answered 403, as a signed CloudFront address is.
func WithSignedURLs(ttl time.Duration, now func() time.Time) Option {
	return func(h *Hub) { h.ttl, h.now = ttl, now }
}

// Option sets up a Hub.
type Option func(*Hub)

// WithRepo serves r.
func WithRepo(r *Repo) Option { return func(h *Hub) { h.repos = append(h.repos, r) } }

// WithPageSize lists trees n entries a page.
func WithPageSize(n int) Option { return func(h *Hub) { h.pageSize = n } }

// WithTokens makes t valid tokens; any other is refused.
func WithTokens(t ...string) Option { return func(h *Hub) { h.tokens = append(h.tokens, t...) } }

// WithModels is the search index: entries as the Hub lists them.
func WithModels(m ...map[string]any) Option {
	return func(h *Hub) { h.models = append(h.models, m...) }
}

// New starts a hub with opts; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Hub {
	t.Helper()
	h := Start(opts...)
	t.Cleanup(h.Close)
	return h
}

// Start starts a hub with opts for a program that is not a test, such as
// the screenshot tool; call Close when done.
func Start(opts ...Option) *Hub {
	h := &Hub{pageSize: 1000, renamed: map[string]string{}, corrupt: map[string]bool{}, now: time.Now,
		many: map[string]int{}, slowFrom: map[string]int{}, trickling: make(chan struct{}), answered: map[string]int{}}
	for _, o := range opts {
		o(h)
	}
	h.cdn = origintest.NewServer(h.cdnRequest)
	for _, repo := range h.repos {
		for _, files := range repo.Commits {
			for _, f := range files {
				if sum := SHA256Hex(f.Data); f.LFS {
					// The CDN's own ETag, not the file's sha256.
					h.cdn.PutBody("/blob/"+sum, bytes.NewReader(h.bytes(f)), `"cdn-`+sum[:8]+`"`)
				}
			}
		}
	}
	h.srv = httptest.NewServer(h)
	return h
}

// URL is the hub's endpoint.
func (h *Hub) URL() string { return h.srv.URL }

// Close stops the hub and its CDN, as when the network goes away. It may
// be called more than once.
func (h *Hub) Close() {
	h.srv.Close()
	h.cdn.Close()
}

func (h *Hub) record(origin string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, Seen{origin, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Range")})
}

// Requests is every request the hub and the CDN received so far.
func (h *Hub) Requests() []Seen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.seen)
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, `{"error":"`+msg+`"}`, status)
}

func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.record("hub", r)
	tok, hasAuth := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if hasAuth && !slices.Contains(h.tokens, tok) {
		hubError(w, http.StatusUnauthorized, "", "Invalid credentials in Authorization header")
		return
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, s := range segs {
		segs[i], _ = url.PathUnescape(s)
	}
	switch {
	case r.URL.Path == "/api/models":
		h.search(w, r)
	case segs[0] == "api" && len(segs) >= 6:
		h.api(w, r, tok, segs[1], segs[2]+"/"+segs[3], segs[4], segs[5], strings.Join(segs[6:], "/"))
	case segs[0] == "datasets" && len(segs) >= 6 && segs[3] == "resolve":
		h.resolve(w, r, tok, "dataset", segs[1]+"/"+segs[2], segs[4], strings.Join(segs[5:], "/"))
	case len(segs) >= 5 && segs[2] == "resolve":
		h.resolve(w, r, tok, "model", segs[0]+"/"+segs[1], segs[3], strings.Join(segs[4:], "/"))
	default:
		http.NotFound(w, r)
	}
}

// repo finds a repo the token may see, or answers as the Hub does: 401
// without a token, 404 with one, RepoNotFound either way.
func (h *Hub) repo(w http.ResponseWriter, tok string, typ string, id string) *Repo {
	i := slices.IndexFunc(h.repos, func(r *Repo) bool { return r.ID == id && r.Type == typ })
	if i >= 0 && (!h.repos[i].Private || slices.Contains(h.repos[i].Readers, tok)) {
		return h.repos[i]
	}
	if tok == "" {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
	} else {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
	}
	return nil
}

func (h *Hub) api(w http.ResponseWriter, r *http.Request, tok, typ, id, route, rev, rest string) {
	repo := h.repo(w, tok, strings.TrimSuffix(typ, "s"), id)
	if repo == nil {
		return
	}
	commit, ok := repo.commitOf(rev)
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	files := repo.Commits[commit]
	switch route {
	case "revision":
		h.answer(w, r, route, h.revision(repo, commit))
	case "tree":
		h.tree(w, r, repo, files, rest)
	case "paths-info":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.answer(w, r, route, h.pathsInfo(repo, files, r.PostForm["paths"]))
	default:
		http.NotFound(w, r)
	}
}

// revision is the Hub's answer about a revision: the commit, whether the
// repo is gated, and its files' names (siblings), which the Hub lists
// there too and clients skip; a WithManyFiles repo lists none.
func (h *Hub) revision(repo *Repo, commit string) map[string]any {
	info := map[string]any{"id": repo.ID, "sha": commit, "gated": map[bool]any{true: "manual", false: false}[repo.Gated]}
	if _, many := h.many[repo.ID]; !many {
		siblings := []map[string]any{}
		for _, f := range repo.Commits[commit] {
			siblings = append(siblings, map[string]any{"rfilename": f.Path})
		}
		info["siblings"] = siblings
	}
	return info
}

// entries is the tree under dir: its folders and files, recursively.
func entries(files []File, dir string) []map[string]any {
	var out []map[string]any
	dirs := map[string]bool{}
	for _, f := range files {
		if dir != "" && !strings.HasPrefix(f.Path, dir+"/") {
			continue
		}
		for d := f.Path; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			if !dirs[d] && (dir == "" || strings.HasPrefix(d, dir+"/")) {
				dirs[d] = true
				out = append(out, map[string]any{"type": "directory", "path": d, "oid": origintest.GitBlobID([]byte(d)), "size": 0})
			}
		}
		out = append(out, f.entry())
	}
	return out
}

// tree answers one page of the listing under dir, with a rel="next" link
// to the next page when there is one.
func (h *Hub) tree(w http.ResponseWriter, r *http.Request, repo *Repo, files []File, dir string) {
	n, at := h.listing(repo, files, dir)
	if dir != "" && n == 0 {
		hubError(w, http.StatusNotFound, "EntryNotFound", "no such folder")
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	start = max(start, 0)
	end := start + h.pageSize
	if !h.endless {
		end = min(end, n)
	}
	if end < n || h.endless {
		q := r.URL.Query()
		q.Set("cursor", strconv.Itoa(end))
		next := cmp.Or(h.nextAt, h.srv.URL) + r.URL.EscapedPath() + "?" + q.Encode()
		w.Header().Set("Link", "<"+next+`>; rel="next"`)
	}
	page := make([]map[string]any, 0, max(end-start, 0))
	for i := start; i < end; i++ {
		page = append(page, h.edited(at(i)))
	}
	h.answer(w, r, "tree", page)
}

// listing is the tree under dir: n entries, the i-th made by at(i). Past
// n, at makes up files, which only WithEndlessPaging lists.
func (h *Hub) listing(repo *Repo, files []File, dir string) (int, func(int) map[string]any) {
	madeUp := func(i int) map[string]any {
		return File{Path: fmt.Sprintf("more/%09d.txt", i), Data: fmt.Appendf(nil, "more %d\n", i)}.entry()
	}
	if n, ok := h.many[repo.ID]; ok {
		return manyListing(n, dir, madeUp)
	}
	all := entries(files, dir)
	return len(all), func(i int) map[string]any {
		if i < len(all) {
			return all[i]
		}
		return madeUp(i)
	}
}

func (h *Hub) pathsInfo(repo *Repo, files []File, paths []string) []map[string]any {
	out := []map[string]any{}
	for _, p := range paths {
		for _, e := range h.entriesAt(repo, files, p) {
			out = append(out, h.edited(e))
		}
	}
	return out
}

// entriesAt is the entry of the file or folder at p, if there is one.
func (h *Hub) entriesAt(repo *Repo, files []File, p string) []map[string]any {
	if n, ok := h.many[repo.ID]; ok {
		return manyEntryAt(n, p)
	}
	var out []map[string]any
	for _, e := range entries(files, "") {
		if e["path"] == p {
			out = append(out, e)
		}
	}
	return out
}

func (h *Hub) search(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("search"))
	out := []map[string]any{}
	for _, m := range h.models {
		if strings.Contains(strings.ToLower(m["id"].(string)), q) {
			out = append(out, m)
		}
	}
	h.answer(w, r, "search", out)
}

// resolve is the Hub's file route: small files from the Hub itself, LFS
// files by a redirect to the CDN, a gated repo's files only for readers.
func (h *Hub) resolve(w http.ResponseWriter, r *http.Request, tok string, typ string, id, rev, p string) {
	if to, ok := h.renamed[id]; ok {
		prefix := map[string]string{"dataset": "/datasets"}[typ]
		w.Header().Set("Location", prefix+"/"+to+"/resolve/"+url.PathEscape(rev)+"/"+p)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	repo := h.repo(w, tok, typ, id)
	if repo == nil || !gateOpen(w, repo, tok) {
		return
	}
	commit, ok := repo.commitOf(rev)
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	f, ok := h.file(repo, commit, p)
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	if !f.LFS {
		w.Header().Set("ETag", `"`+origintest.GitBlobID(f.Data)+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.bytes(f)))
		return
	}
	w.Header().Set("X-Linked-Etag", `"`+SHA256Hex(f.Data)+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
	expires := int64(9999999999)
	if h.ttl > 0 {
		expires = h.now().Add(h.ttl).Unix()
	}
	http.Redirect(w, r, h.cdn.URL+"/blob/"+SHA256Hex(f.Data)+"?expires="+strconv.FormatInt(expires, 10), http.StatusFound)
}

// file is the file at p of a commit.
func (h *Hub) file(repo *Repo, commit, p string) (File, bool) {
	if n, ok := h.many[repo.ID]; ok {
		return manyFile(n, p)
	}
	i := slices.IndexFunc(repo.Commits[commit], func(f File) bool { return f.Path == p })
	if i < 0 {
		return File{}, false
	}
	return repo.Commits[commit][i], true
}

// gateOpen answers as the Hub does for a gated repo's files: 401 without a
// token, 403 with one that has no access.
func gateOpen(w http.ResponseWriter, repo *Repo, tok string) bool {
	switch {
	case !repo.Gated || slices.Contains(repo.Readers, tok):
		return true
	case tok == "":
		hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+repo.ID+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
	default:
		hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+repo.ID+" is restricted and you are not in the authorized list.")
	}
	return false
}

// bytes is what is served for f: its data, or a corrupted copy.
func (h *Hub) bytes(f File) []byte {
	if !h.corrupt[f.Path] || len(f.Data) == 0 {
		return f.Data
	}
	b := bytes.Clone(f.Data)
	b[len(b)/2] ^= 0xff
	return b
}

// cdnRequest records each request to the CDN, which serves every LFS
// file of every repo by its sha256 at /blob/SHA256, and refuses an
// expired address.
func (h *Hub) cdnRequest(_ *origintest.Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
	h.record("cdn", r)
	if exp, err := strconv.ParseInt(r.URL.Query().Get("expires"), 10, 64); err != nil || h.now().Unix() > exp {
		http.Error(w, "Request has expired", http.StatusForbidden)
		return true
	}
	return false
}

// answer sends v as the JSON answer of route ("revision", "tree",
// "paths-info" or "search"): after WithHugeAnswers' white space, and
// never ending when WithEndlessBody says so.
func (h *Hub) answer(w http.ResponseWriter, r *http.Request, route string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !h.padAnswer(w) {
		return
	}
	if h.endsNever(route) {
		h.trickle(w, r, body[:len(body)/2])
		return
	}
	_, _ = w.Write(body)
}

// Commits of TinyGGUF: main, and the tag v1 (also refs/pr/1).
const (
	CommitMain = "1111111111111111111111111111111111111111"
	CommitV1   = "2222222222222222222222222222222222222222"
)

// TinyGGUF is a GGUF repo as bartowski or unsloth publish them: quants
// side by side, one split in three parts, a vision projector, a README.
func TinyGGUF() *Repo {
	main := []File{
		{Path: ".gitattributes", Data: []byte("*.gguf filter=lfs\n")},
		{Path: "README.md", Data: []byte("# Tiny\n")},
		{Path: "Tiny-1B-Q4_K_M.gguf", Data: bytes.Repeat([]byte("q4"), 50), LFS: true},
		{Path: "Tiny-1B-Q8_0.gguf", Data: bytes.Repeat([]byte("q8"), 80), LFS: true},
		{Path: "Tiny-1B-IQ2_XS.gguf", Data: bytes.Repeat([]byte("i2"), 20), LFS: true},
		{Path: "mmproj-Tiny-F16.gguf", Data: bytes.Repeat([]byte("mm"), 10), LFS: true},
		{Path: "Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf", Data: bytes.Repeat([]byte("a"), 100), LFS: true},
		{Path: "Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf", Data: bytes.Repeat([]byte("b"), 100), LFS: true},
		{Path: "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf", Data: bytes.Repeat([]byte("c"), 10), LFS: true},
	}
	v1 := []File{main[0], {Path: "README.md", Data: []byte("# Tiny v1\n")}, main[2]}
	return &Repo{ID: "org/Tiny-1B-GGUF", Type: "model",
		Refs:    map[string]string{"main": CommitMain, "v1": CommitV1, "refs/pr/1": CommitV1},
		Commits: map[string][]File{CommitMain: main, CommitV1: v1}}
}
