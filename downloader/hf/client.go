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
	"cmp"
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
	timeout  time.Duration
	limits   Limits
	base     http.RoundTripper // cfg.Transport, for a call again without the token
	refused  func(Token)
}

// Config is how a Client is made. A zero Endpoint is the Hub; a nil
// Transport is http.DefaultTransport. The token is added by NewTransport.
type Config struct {
	Endpoint  string
	Token     Token
	Transport http.RoundTripper
	// Timeout bounds each API answer, from the request to the answer's
	// last byte (not file bytes, which the engine moves); 0 means 30
	// seconds.
	Timeout time.Duration
	// Offline refuses every call with a KindOfflineMode error
	// (HF_HUB_OFFLINE); the cache can still be read (Cache.Lookup).
	Offline bool
	// Limits bound what the client takes from the endpoint; zero fields
	// take the defaults.
	Limits Limits
	// Refused, when set, is told the token each time a call answered
	// without it because the Hub refused it (WithoutRefused), so that the
	// person can be told, as PublicTransport.OnRefused does for files.
	Refused func(Token)
}

// Limits bound what a Client accepts from its endpoint, which HF_ENDPOINT
// may point anywhere: a broken or compromised one can send a listing that
// never ends, or an answer that never ends, and must not make the client
// read for ever or hold the machine's memory. Past a bound, the call fails
// with a KindLimit *Error that says which.
type Limits struct {
	// Pages bounds the pages of one listing (the Hub's rel="next" links);
	// 0 means 10,000 (ten million entries at the Hub's 1,000 a page; an
	// endless chain of tiny pages then stops within seconds).
	Pages int
	// Entries bounds the files and folders of one listing; 0 means
	// 300,000, three times the most files the Hub advises a repo to have.
	// A plan holds about 400 bytes a file, so a listing refused at the
	// bound has cost under 200 MB; a larger repo is downloaded
	// a folder at a time.
	Entries int
	// Bytes bounds one answer; 0 means 64 MiB. Listings are read as a
	// stream, so this bounds the time spent reading, not memory.
	Bytes int64
	// Time bounds one Resolve or Search, every answer of it; 0 means 10
	// minutes.
	Time time.Duration
}

// withDefaults is l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	return Limits{Pages: cmp.Or(l.Pages, 10_000), Entries: cmp.Or(l.Entries, 300_000),
		Bytes: cmp.Or(l.Bytes, 64<<20), Time: cmp.Or(l.Time, 10*time.Minute)}
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
	// No http.Client.Timeout: each call bounds itself with a context
	// (answer), so that the bound it passed can be told apart.
	hc := &http.Client{Transport: NewTransport(cfg.Transport, u.String(), cfg.Token)}
	return &Client{endpoint: u, http: hc, token: cfg.Token, offline: cfg.Offline, timeout: cfg.Timeout,
		limits: cfg.Limits.withDefaults(), base: cfg.Transport, refused: cfg.Refused}, nil
}

// FromEnv makes a Client of cfg for the endpoint, token and offline mode
// the environment gives, as the hf CLI finds them.
func FromEnv(g Getenv, cfg Config) (*Client, error) {
	t, err := LoadToken(g)
	if err != nil {
		return nil, err
	}
	cfg.Endpoint, cfg.Token, cfg.Offline = g.Endpoint(), t, g.Offline()
	return New(cfg)
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

// request is one API call: a GET of url, or a POST of form to it.
type request struct {
	url  string
	form url.Values
}

// call makes the request for r and hands its answer to read, as a JSON
// stream. The answer is bounded: in time (Config.Timeout, within the
// caller's ctx, which Resolve and Search bound by Limits.Time) and in
// bytes (Limits.Bytes). Every read stops as soon as ctx ends, whatever the
// transport does with ctx. Every answer that is not a success becomes an
// *Error made from the Hub's headers; an answer read cannot decode is a
// KindBadAnswer one; an *Error from read is returned as it is.
func (c *Client) call(ctx context.Context, q request, r Ref, read func(*json.Decoder) error) (http.Header, error) {
	if c.offline {
		return nil, c.newError(KindOfflineMode, r, nil)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, timeUp(c.timeout))
	defer cancel()
	resp, err := c.send(ctx, q, r)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = resp.Body.Close() })
	defer func() {
		stop()
		_ = resp.Body.Close()
	}()
	if err := c.ResponseError(resp, r); err != nil {
		return nil, err
	}
	body := &answer{ctx: ctx, body: resp.Body, left: c.limits.Bytes}
	err = read(json.NewDecoder(body))
	var he *Error
	switch {
	case ctx.Err() != nil:
		return nil, c.ended(ctx, r)
	case errors.Is(err, errTooLong):
		return nil, c.limitError(r, BoundBytes, c.limits.Bytes)
	case errors.As(err, &he):
		return nil, he
	case err != nil:
		return nil, c.badAnswer(r, "it is not the JSON the Hugging Face Hub sends", err)
	}
	return resp.Header, nil
}

// send sends q and returns the answer's head.
func (c *Client) send(ctx context.Context, q request, r Ref) (*http.Response, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if q.form != nil {
		method, body = http.MethodPost, strings.NewReader(q.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, q.url, body)
	if err != nil {
		return nil, c.badName(r, err)
	}
	req.Header.Set("Accept", "application/json")
	if q.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.ended(ctx, r)
		}
		return nil, c.newError(KindOffline, r, err)
	}
	return resp, nil
}

// timeUp is the cause of a context ended by one of the client's time
// bounds: how long that bound is.
type timeUp time.Duration

func (t timeUp) Error() string { return fmt.Sprintf("no whole answer within %v", time.Duration(t)) }

// ended is the error of a call whose ctx ended: a KindLimit *Error when one
// of the client's time bounds ended it, else ctx's own error (the caller
// gave up, which is not the Hub's doing).
func (c *Client) ended(ctx context.Context, r Ref) error {
	var t timeUp
	if errors.As(context.Cause(ctx), &t) {
		return c.limitError(r, BoundTime, int64(t))
	}
	return ctx.Err()
}

// errTooLong is an answer's body going past Limits.Bytes.
var errTooLong = errors.New("answer longer than the client's bound")

// answer is the body of one answer as call reads it: at most left bytes,
// and nothing once ctx has ended.
type answer struct {
	ctx  context.Context
	body io.Reader
	left int64
}

func (a *answer) Read(p []byte) (int, error) {
	if err := a.ctx.Err(); err != nil {
		return 0, err
	}
	if a.left < 0 {
		return 0, errTooLong
	}
	// One byte more than is left, to tell an answer of exactly the bound
	// from a longer one.
	if int64(len(p)) > a.left+1 {
		p = p[:a.left+1]
	}
	n, err := a.body.Read(p)
	if a.left -= int64(n); a.left < 0 {
		return n, errTooLong
	}
	return n, err
}

func (c *Client) newError(k Kind, r Ref, err error) *Error {
	e := &Error{Kind: k, Repo: r.Repo, Type: r.Type, Revision: r.revision(), Path: r.Path, Quant: r.Quant,
		Page: c.Page(r.Type, r.Repo), Err: err}
	if c.Endpoint() != DefaultEndpoint {
		e.Endpoint = c.endpoint.Host
	}
	return e
}

// limitError is an answer past bound, which is max.
func (c *Client) limitError(r Ref, bound Bound, max int64) *Error {
	e := c.newError(KindLimit, r, fmt.Errorf("past bound %d of %d", bound, max))
	e.Bound, e.Max = bound, max
	return e
}

// badAnswer is an answer that is not what the Hub sends; why says how, in
// words for the sentence.
func (c *Client) badAnswer(r Ref, why string, err error) *Error {
	e := c.newError(KindBadAnswer, r, err)
	e.Message = why
	return e
}

// unsafe is a listing refused whole for the value listed (a path, or a
// file's path with a bad digest or size), which why says the fault of.
func (c *Client) unsafe(r Ref, listed, why string) *Error {
	e := c.newError(KindUnsafeListing, r, fmt.Errorf("listed %q %s", listed, why))
	e.Path, e.Message = listed, why
	return e
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

// commit pins r's revision to the commit it names now. The answer is
// read as a stream, keeping only sha and gated: the Hub's revision answer
// also names every file of the repo (siblings), which a repo of many files
// makes large.
func (c *Client) commit(ctx context.Context, r Ref) (repoInfo, error) {
	var info repoInfo
	_, err := c.call(ctx, request{url: c.api(r.Type, r.Repo, "revision", url.PathEscape(r.revision()))}, r,
		func(dec *json.Decoder) error {
			return readObject(dec, func(key string) error {
				switch key {
				case "sha":
					return dec.Decode(&info.SHA)
				case "gated":
					return dec.Decode(&info.Gated)
				}
				return skipValue(dec)
			})
		})
	info.SHA = strings.ToLower(info.SHA)
	if err == nil && !commitPattern.MatchString(info.SHA) {
		err = c.badAnswer(r, "it names no commit", errors.New("no commit in the revision answer"))
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

// tree hands every entry under dir at commit to add, as each is read,
// following the Hub's paging (Link: <…>; rel="next") up to Limits.Pages
// pages. No page is kept: what the listing costs is what add keeps.
func (c *Client) tree(ctx context.Context, r Ref, commit, dir string, add func(entry) error) error {
	u := c.api(r.Type, r.Repo, "tree", commit)
	if dir != "" {
		u += "/" + url.PathEscape(dir)
	}
	u += "?recursive=true&expand=false"
	for pages := 0; u != ""; pages++ {
		if pages == c.limits.Pages {
			return c.limitError(r, BoundPages, int64(c.limits.Pages))
		}
		h, err := c.call(ctx, request{url: u}, r, func(dec *json.Decoder) error {
			return readArray(dec, func() error {
				var e entry
				if err := dec.Decode(&e); err != nil {
					return err
				}
				return add(e)
			})
		})
		if err != nil {
			return err
		}
		if u, err = c.nextPage(u, h.Get("Link")); err != nil {
			return c.badAnswer(r, "the address of its next page cannot be read", err)
		}
	}
	return nil
}

// nextPage is the rel="next" address of a Link header, resolved against
// the current one, or "" on the last page. A next page is always asked of
// the client's endpoint: a mirror (hf-mirror.com) may pass on the Hub's
// links, which name huggingface.co, and a network that reaches the mirror
// may not reach the Hub; and a listing must not come from a server the
// person did not name.
func (c *Client) nextPage(current, link string) (string, error) {
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
		next = base.ResolveReference(next)
		if next.Scheme == c.endpoint.Scheme && strings.EqualFold(next.Host, c.endpoint.Host) {
			return next.String(), nil
		}
		// Another server's address: its path and query, on the endpoint.
		next.Scheme, next.Host, next.User = c.endpoint.Scheme, c.endpoint.Host, nil
		next.Path = strings.TrimRight(c.endpoint.Path, "/") + next.Path
		next.RawPath = ""
		return next.String(), nil
	}
	return "", nil
}

// pathsInfo is the entry of the path p at commit, found with the Hub's
// paths-info route; a path the Hub does not have is a KindFileNotFound
// *Error. Each entry of the answer passes check, which refuses the whole
// answer for one bad entry.
func (c *Client) pathsInfo(ctx context.Context, r Ref, commit, p string, check func(*entry) error) (entry, error) {
	var found []entry
	_, err := c.call(ctx, request{url: c.api(r.Type, r.Repo, "paths-info", commit),
		form: url.Values{"paths": {p}, "expand": {"false"}}}, r, func(dec *json.Decoder) error {
		return readArray(dec, func() error {
			var e entry
			if err := dec.Decode(&e); err != nil {
				return err
			}
			if err := check(&e); err != nil {
				return err
			}
			if e.Path == p && len(found) == 0 {
				found = append(found, e)
			}
			return nil
		})
	})
	if err != nil {
		return entry{}, err
	}
	if len(found) == 0 {
		return entry{}, c.newError(KindFileNotFound, r, nil)
	}
	return found[0], nil
}

// readArray reads a JSON array from dec an element at a time: each decodes
// the next one, so that no more than one element is held.
func readArray(dec *json.Decoder, each func() error) error {
	if err := expect(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if err := each(); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// readObject reads a JSON object from dec a member at a time: field
// decodes (or skips) the value of each key.
func readObject(dec *json.Decoder, field func(key string) error) error {
	if err := expect(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		if err := field(key.(string)); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// expect reads the delimiter d from dec.
func expect(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("json: %v where %v was expected", t, d)
	}
	return nil
}

// skipValue reads past the next value of dec token by token, so that a
// large value is never held whole.
func skipValue(dec *json.Decoder) error {
	for depth := 0; ; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
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

// Search asks the Hub for models matching s, most downloaded first. It
// keeps the first s.Limit results, however many the Hub sends, and refuses
// an answer that names a model by something that is not a repo id.
func (c *Client) Search(ctx context.Context, s Search) ([]Model, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.limits.Time, timeUp(c.limits.Time))
	defer cancel()
	if s.Limit <= 0 {
		s.Limit = 30
	}
	q := url.Values{"search": {s.Query}, "sort": {"downloads"}, "direction": {"-1"},
		"limit": {strconv.Itoa(s.Limit)}, "expand": {"downloads", "likes", "lastModified", "gated"}}
	if s.GGUF {
		q.Set("filter", "gguf")
	}
	r := Ref{Type: TypeModel}
	models := []Model{}
	_, err := c.call(ctx, request{url: c.Endpoint() + "/api/models?" + q.Encode()}, r, func(dec *json.Decoder) error {
		err := readArray(dec, func() error {
			if len(models) == s.Limit {
				return errEnough
			}
			var m struct {
				Model
				Gated gated `json:"gated"`
			}
			if err := dec.Decode(&m); err != nil {
				return err
			}
			if checkRepoID(m.ID) != "" {
				return c.unsafe(r, m.ID, "is not the name of a repository")
			}
			m.Model.Gated = bool(m.Gated)
			models = append(models, m.Model)
			return nil
		})
		if errors.Is(err, errEnough) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return models, nil
}

// errEnough stops reading an answer that holds more than was asked for.
var errEnough = errors.New("enough results")

// sortedKeys is the keys of a set in order, for sentences and tests.
func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
