// Package hf is ModelFetch's Hugging Face Hub client: it reads Hub names
// (hf.co/ORG/REPO:Q4_K_M, hf://…, huggingface.co addresses), pins a
// revision to a commit and lists the files to fetch with their sizes and
// digests (a Plan), searches models, words the Hub's errors for people,
// finds the token where the hf CLI keeps it and sends it to the Hub only,
// and lays files out in the Hub cache exactly as huggingface_hub does, so
// that every Hub-aware tool finds them. It moves no file bytes: the
// engine (package downloader) does, into the paths a Layout gives.
package hf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Hub endpoint. It is safe for concurrent use.
type Client struct {
	endpoint *url.URL
	http     *http.Client
	token    Token
	offline  bool
}

// Config is how a Client is made. A zero Endpoint is the Hub; a nil
// Transport is http.DefaultTransport. The token is added by NewTransport.
type Config struct {
	Endpoint  string
	Token     Token
	Transport http.RoundTripper
	// Timeout bounds each API call (not file bytes, which the engine
	// moves); 0 means 30 seconds.
	Timeout time.Duration
	// Offline refuses every call with a KindOfflineMode error
	// (HF_HUB_OFFLINE); the cache can still be read (Cache.Lookup).
	Offline bool
}

// New makes a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("hub endpoint %q is not an http(s) address", cfg.Endpoint)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	hc := &http.Client{Transport: NewTransport(cfg.Transport, u.String(), cfg.Token), Timeout: cfg.Timeout}
	return &Client{endpoint: u, http: hc, token: cfg.Token, offline: cfg.Offline}, nil
}

// FromEnv makes a Client for the endpoint and token the environment gives,
// as the hf CLI finds them.
func FromEnv(g Getenv, base http.RoundTripper) (*Client, error) {
	t, err := LoadToken(g)
	if err != nil {
		return nil, err
	}
	return New(Config{Endpoint: g.Endpoint(), Token: t, Transport: base, Offline: g.Offline()})
}

// Endpoint is the Hub's address without a trailing slash.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// Token is the token the client sends (its String names only its source).
func (c *Client) Token() Token { return c.token }

// Offline reports whether the client refuses to ask the Hub anything
// (Config.Offline).
func (c *Client) Offline() bool { return c.offline }

// Page is the Hub's web page of a repo, where gated repos are asked for.
func (c *Client) Page(t RepoType, repo string) string {
	return c.Endpoint() + "/" + t.urlPrefix() + repo
}

// api is an address under the endpoint's /api for a repo.
func (c *Client) api(t RepoType, repo string, parts ...string) string {
	u := c.Endpoint() + "/api/" + string(t) + "s/" + repo
	for _, p := range parts {
		u += "/" + p
	}
	return u
}

// fileURL is the resolve address of a file at a commit, as hf_hub_url
// makes it.
func (c *Client) fileURL(t RepoType, repo, commit, p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return c.Endpoint() + "/" + t.urlPrefix() + repo + "/resolve/" + url.PathEscape(commit) + "/" + strings.Join(segs, "/")
}

// call sends req and decodes a JSON answer into out. Every answer that is
// not a success becomes an *Error made from the Hub's headers.
func (c *Client) call(req *http.Request, r Ref, out any) (http.Header, error) {
	if c.offline {
		return nil, c.newError(KindOfflineMode, r, nil)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, c.newError(KindOffline, r, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if err := c.ResponseError(resp, r); err != nil {
		return nil, err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return nil, c.newError(KindBadAnswer, r, err)
	}
	return resp.Header, nil
}

func (c *Client) newError(k Kind, r Ref, err error) *Error {
	return &Error{Kind: k, Repo: r.Repo, Type: r.Type, Revision: r.revision(), Path: r.Path, Quant: r.Quant,
		Page: c.Page(r.Type, r.Repo), Err: err}
}

// badName is a name that makes no valid Hub address.
func (c *Client) badName(r Ref, err error) *Error {
	e := c.newError(KindBadName, r, err)
	e.Path, e.Message = r.String(), "it makes no valid Hub address"
	return e
}

// ResponseError is nil for a 2xx or 3xx answer, else the *Error the
// Hub's X-Error-Code and X-Error-Message headers say, for the request made
// for r. The engine calls it on answers from the Hub's resolve route, so
// that a gated file or a refused token reads the same everywhere.
func (c *Client) ResponseError(resp *http.Response, r Ref) error {
	if resp.StatusCode < 400 {
		return nil
	}
	e := c.newError(KindStatus, r, nil)
	e.Status = resp.StatusCode
	e.Code = resp.Header.Get("X-Error-Code")
	e.Message = resp.Header.Get("X-Error-Message")
	if c.token.Set() {
		e.TokenFrom = c.token.From
	}
	e.Kind = kindOf(e.Status, e.Code, e.Message, c.token.Set())
	return e
}

// kindOf decides what an error answer means, by the Hub's code first.
func kindOf(status int, code, msg string, withToken bool) Kind {
	switch {
	case withToken && status == http.StatusUnauthorized &&
		(code == "" || strings.Contains(strings.ToLower(msg), "invalid credentials")):
		return KindTokenRefused
	case code == "GatedRepo" && status == http.StatusUnauthorized:
		return KindGatedLogin
	case code == "GatedRepo":
		return KindGatedAccess
	case code == "RepoNotFound":
		return KindRepoNotFound
	case code == "RevisionNotFound":
		return KindRevisionNotFound
	case code == "EntryNotFound":
		return KindFileNotFound
	}
	return KindStatus
}

func (c *Client) get(ctx context.Context, u string, r Ref, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, c.badName(r, err)
	}
	return c.call(req, r, out)
}

// repoInfo is the part of /api/models/REPO/revision/REV that is used.
type repoInfo struct {
	SHA   string `json:"sha"`
	Gated gated  `json:"gated"`
}

// gated is the Hub's false, "auto" or "manual".
type gated bool

func (g *gated) UnmarshalJSON(b []byte) error {
	*g = gated(string(b) != "false" && string(b) != "null")
	return nil
}

// Commit pins r's revision to the commit it names now.
func (c *Client) commit(ctx context.Context, r Ref) (repoInfo, error) {
	var info repoInfo
	_, err := c.get(ctx, c.api(r.Type, r.Repo, "revision", url.PathEscape(r.revision())), r, &info)
	if err == nil && !commitPattern.MatchString(info.SHA) {
		err = c.newError(KindBadAnswer, r, errors.New("no commit in the revision answer"))
	}
	return info, err
}

// entry is one item of the tree and paths-info answers.
type entry struct {
	Type string `json:"type"` // file or directory
	Oid  string `json:"oid"`  // git blob id (sha1)
	Size int64  `json:"size"`
	Path string `json:"path"`
	LFS  *struct {
		Oid  string `json:"oid"` // sha256 of the content
		Size int64  `json:"size"`
	} `json:"lfs"`
}

// tree lists every entry under dir at commit, following the Hub's paging
// (Link: <…>; rel="next").
func (c *Client) tree(ctx context.Context, r Ref, commit, dir string) ([]entry, error) {
	u := c.api(r.Type, r.Repo, "tree", commit)
	if dir != "" {
		u += "/" + url.PathEscape(dir)
	}
	u += "?recursive=true&expand=false"
	var all []entry
	for u != "" {
		var page []entry
		h, err := c.get(ctx, u, r, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if u, err = nextPage(u, h.Get("Link")); err != nil {
			return nil, c.newError(KindBadAnswer, r, err)
		}
	}
	return all, nil
}

// nextPage is the rel="next" address of a Link header, resolved against
// the current one, or "" on the last page.
func nextPage(current, link string) (string, error) {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) {
			continue
		}
		next, err := url.Parse(strings.Trim(strings.TrimSpace(target), "<>"))
		if err != nil {
			return "", fmt.Errorf("link header: %w", err)
		}
		base, _ := url.Parse(current)
		return base.ResolveReference(next).String(), nil
	}
	return "", nil
}

// pathsInfo asks what one path is at commit: a file, a folder, or nothing.
func (c *Client) pathsInfo(ctx context.Context, r Ref, commit, p string) ([]entry, error) {
	form := url.Values{"paths": {p}, "expand": {"false"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api(r.Type, r.Repo, "paths-info", commit),
		strings.NewReader(form.Encode()))
	if err != nil {
		return nil, c.badName(r, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out []entry
	_, err = c.call(req, r, &out)
	return out, err
}

// Model is one search result.
type Model struct {
	ID           string    `json:"id"`
	Downloads    int64     `json:"downloads"`
	Likes        int64     `json:"likes"`
	LastModified time.Time `json:"lastModified"`
	Gated        bool      `json:"-"`
}

// Search is a model search.
type Search struct {
	Query string
	GGUF  bool // only repos with GGUF files
	Limit int  // 0 means 30
}

// Search asks the Hub for models matching s, most downloaded first.
func (c *Client) Search(ctx context.Context, s Search) ([]Model, error) {
	if s.Limit <= 0 {
		s.Limit = 30
	}
	q := url.Values{"search": {s.Query}, "sort": {"downloads"}, "direction": {"-1"},
		"limit": {strconv.Itoa(s.Limit)}, "expand": {"downloads", "likes", "lastModified", "gated"}}
	if s.GGUF {
		q.Set("filter", "gguf")
	}
	var raw []struct {
		Model
		Gated gated `json:"gated"`
	}
	if _, err := c.get(ctx, c.Endpoint()+"/api/models?"+q.Encode(), Ref{Type: TypeModel}, &raw); err != nil {
		return nil, err
	}
	models := make([]Model, len(raw))
	for i, m := range raw {
		models[i] = m.Model
		models[i].Gated = bool(m.Gated)
	}
	return models, nil
}

// sortedKeys is the keys of a set in order, for sentences and tests.
func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
