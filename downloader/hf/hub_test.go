package hf

import (
	"bytes"
	"crypto/sha1"
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
)

// This file is the one test origin of the package: a server on 127.0.0.1
// that answers like the Hugging Face Hub (revision, tree with paging,
// paths-info, model search, the resolve route with its headers and a
// redirect of LFS files to a CDN on another origin), with gated, private
// and missing repos told apart by X-Error-Code.

// fakeFile is one file of a commit; LFS files are served from the CDN.
type fakeFile struct {
	path string
	data []byte
	lfs  bool
}

func gitOID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// pointer is the git-lfs pointer file git holds for an LFS file.
func (f fakeFile) pointer() []byte {
	return fmt.Appendf(nil, "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", sha256Hex(f.data), len(f.data))
}

func (f fakeFile) entry() map[string]any {
	e := map[string]any{"type": "file", "path": f.path, "oid": gitOID(f.data), "size": len(f.data)}
	if f.lfs {
		e["oid"] = gitOID(f.pointer())
		e["lfs"] = map[string]any{"oid": sha256Hex(f.data), "size": len(f.data), "pointerSize": len(f.pointer())}
	}
	return e
}

// fakeRepo is a repo: branches and tags naming commits, and the files of
// each commit.
type fakeRepo struct {
	id      string
	typ     RepoType
	refs    map[string]string
	commits map[string][]fakeFile
	gated   bool
	private bool
	readers []string // tokens that may read it
}

func (r *fakeRepo) commitOf(rev string) (string, bool) {
	if c, ok := r.refs[rev]; ok {
		return c, true
	}
	_, ok := r.commits[rev]
	return rev, ok
}

// seen is one request the hub or the CDN received.
type seen struct {
	Origin, Method, Path, Query, Auth string
}

type fakeHub struct {
	srv, cdn *httptest.Server
	repos    []*fakeRepo
	models   []map[string]any
	pageSize int
	tokens   []string

	mu   sync.Mutex
	seen []seen
}

type hubOption func(*fakeHub)

func withRepo(r *fakeRepo) hubOption   { return func(h *fakeHub) { h.repos = append(h.repos, r) } }
func withPageSize(n int) hubOption     { return func(h *fakeHub) { h.pageSize = n } }
func withTokens(t ...string) hubOption { return func(h *fakeHub) { h.tokens = append(h.tokens, t...) } }
func withModels(m ...map[string]any) hubOption {
	return func(h *fakeHub) { h.models = append(h.models, m...) }
}

func newFakeHub(t *testing.T, opts ...hubOption) *fakeHub {
	t.Helper()
	h := &fakeHub{pageSize: 1000}
	for _, o := range opts {
		o(h)
	}
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.cdn.Close)
	return h
}

// client is a Client for the fake hub with tok as its token.
func (h *fakeHub) client(t *testing.T, tok Token) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: h.srv.URL, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *fakeHub) record(origin string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, seen{origin, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization")})
}

func (h *fakeHub) requests() []seen {
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

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		h.resolve(w, r, tok, TypeDataset, segs[1]+"/"+segs[2], segs[4], strings.Join(segs[5:], "/"))
	case len(segs) >= 5 && segs[2] == "resolve":
		h.resolve(w, r, tok, TypeModel, segs[0]+"/"+segs[1], segs[3], strings.Join(segs[4:], "/"))
	default:
		http.NotFound(w, r)
	}
}

// repo finds a repo the token may see, or answers as the Hub does: 401
// without a token, 404 with one, RepoNotFound either way.
func (h *fakeHub) repo(w http.ResponseWriter, tok string, typ RepoType, id string) *fakeRepo {
	i := slices.IndexFunc(h.repos, func(r *fakeRepo) bool { return r.id == id && r.typ == typ })
	if i >= 0 && (!h.repos[i].private || slices.Contains(h.repos[i].readers, tok)) {
		return h.repos[i]
	}
	if tok == "" {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
	} else {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
	}
	return nil
}

func (h *fakeHub) api(w http.ResponseWriter, r *http.Request, tok, typ, id, route, rev, rest string) {
	repo := h.repo(w, tok, RepoType(strings.TrimSuffix(typ, "s")), id)
	if repo == nil {
		return
	}
	commit, ok := repo.commitOf(rev)
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	files := repo.commits[commit]
	switch route {
	case "revision":
		writeJSON(w, map[string]any{"id": id, "sha": commit, "gated": map[bool]any{true: "manual", false: false}[repo.gated]})
	case "tree":
		h.tree(w, r, files, rest)
	case "paths-info":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, pathsInfo(files, r.PostForm["paths"]))
	default:
		http.NotFound(w, r)
	}
}

// entries is the tree under dir: its folders and files, recursively.
func entries(files []fakeFile, dir string) []map[string]any {
	var out []map[string]any
	dirs := map[string]bool{}
	for _, f := range files {
		if dir != "" && !strings.HasPrefix(f.path, dir+"/") {
			continue
		}
		for d := f.path; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			if !dirs[d] && (dir == "" || strings.HasPrefix(d, dir+"/")) {
				dirs[d] = true
				out = append(out, map[string]any{"type": "directory", "path": d, "oid": gitOID([]byte(d)), "size": 0})
			}
		}
		out = append(out, f.entry())
	}
	return out
}

func (h *fakeHub) tree(w http.ResponseWriter, r *http.Request, files []fakeFile, dir string) {
	all := entries(files, dir)
	if dir != "" && len(all) == 0 {
		hubError(w, http.StatusNotFound, "EntryNotFound", "no such folder")
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	end := min(start+h.pageSize, len(all))
	if end < len(all) {
		q := r.URL.Query()
		q.Set("cursor", strconv.Itoa(end))
		next := h.srv.URL + r.URL.EscapedPath() + "?" + q.Encode()
		w.Header().Set("Link", "<"+next+`>; rel="next"`)
	}
	writeJSON(w, all[start:end])
}

func pathsInfo(files []fakeFile, paths []string) []map[string]any {
	out := []map[string]any{}
	for _, p := range paths {
		for _, e := range entries(files, "") {
			if e["path"] == p {
				out = append(out, e)
			}
		}
	}
	return out
}

func (h *fakeHub) search(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("search"))
	out := []map[string]any{}
	for _, m := range h.models {
		if strings.Contains(strings.ToLower(m["id"].(string)), q) {
			out = append(out, m)
		}
	}
	writeJSON(w, out)
}

// resolve is the Hub's file route: small files from the Hub itself, LFS
// files by a redirect to the CDN, a gated repo's files only for readers.
func (h *fakeHub) resolve(w http.ResponseWriter, r *http.Request, tok string, typ RepoType, id, rev, p string) {
	repo := h.repo(w, tok, typ, id)
	if repo == nil {
		return
	}
	if repo.gated && tok == "" {
		hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+id+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
		return
	}
	if repo.gated && !slices.Contains(repo.readers, tok) {
		hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+id+" is restricted and you are not in the authorized list.")
		return
	}
	commit, ok := repo.commitOf(rev)
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	i := slices.IndexFunc(repo.commits[commit], func(f fakeFile) bool { return f.path == p })
	if i < 0 {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	f := repo.commits[commit][i]
	w.Header().Set("X-Repo-Commit", commit)
	if !f.lfs {
		w.Header().Set("ETag", `"`+gitOID(f.data)+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
		return
	}
	w.Header().Set("X-Linked-Etag", `"`+sha256Hex(f.data)+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.data)))
	http.Redirect(w, r, h.cdn.URL+"/blob/"+sha256Hex(f.data)+"?expires=9999999999", http.StatusFound)
}

// serveCDN serves every LFS file of every repo by its sha256.
func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	h.record("cdn", r)
	sum := strings.TrimPrefix(r.URL.Path, "/blob/")
	for _, repo := range h.repos {
		for _, files := range repo.commits {
			for _, f := range files {
				if f.lfs && sha256Hex(f.data) == sum {
					w.Header().Set("ETag", `"cdn-`+sum[:8]+`"`) // the CDN's own, not the file's sha256
					http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
					return
				}
			}
		}
	}
	http.NotFound(w, r)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Commits of the test repos.
const (
	commitMain = "1111111111111111111111111111111111111111"
	commitV1   = "2222222222222222222222222222222222222222"
)

// ggufRepo is a GGUF repo as bartowski or unsloth publish them: quants
// side by side, one split in three parts, a vision projector, a README.
func ggufRepo() *fakeRepo {
	main := []fakeFile{
		{path: ".gitattributes", data: []byte("*.gguf filter=lfs\n")},
		{path: "README.md", data: []byte("# Tiny\n")},
		{path: "Tiny-1B-Q4_K_M.gguf", data: bytes.Repeat([]byte("q4"), 50), lfs: true},
		{path: "Tiny-1B-Q8_0.gguf", data: bytes.Repeat([]byte("q8"), 80), lfs: true},
		{path: "Tiny-1B-IQ2_XS.gguf", data: bytes.Repeat([]byte("i2"), 20), lfs: true},
		{path: "mmproj-Tiny-F16.gguf", data: bytes.Repeat([]byte("mm"), 10), lfs: true},
		{path: "Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf", data: bytes.Repeat([]byte("a"), 100), lfs: true},
		{path: "Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf", data: bytes.Repeat([]byte("b"), 100), lfs: true},
		{path: "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf", data: bytes.Repeat([]byte("c"), 10), lfs: true},
	}
	v1 := []fakeFile{main[0], {path: "README.md", data: []byte("# Tiny v1\n")}, main[2]}
	return &fakeRepo{id: "org/Tiny-1B-GGUF", typ: TypeModel,
		refs:    map[string]string{"main": commitMain, "v1": commitV1, "refs/pr/1": commitV1},
		commits: map[string][]fakeFile{commitMain: main, commitV1: v1}}
}
