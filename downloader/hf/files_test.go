package hf

import (
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// These tests fetch a plan's files from the fake Hub the way the engine
// will: through the client's transport, following the resolve route's
// redirects, and checking the bytes with File.NewHash against File.Blob.

// getFile GETs u with c's transport and returns the status and the hex sum
// of the body under f's hash.
func getFile(t *testing.T, c *Client, f File, u string) (int, string) {
	t.Helper()
	resp, err := c.http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	h := f.NewHash()
	if _, err := io.Copy(h, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, hex.EncodeToString(h.Sum(nil))
}

// firstHop is the resolve route's own answer, redirect not followed.
func firstHop(t *testing.T, c *Client, u string) *http.Response {
	t.Helper()
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Head(u)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}

func TestFilesVerifyAgainstThePlan(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithCorrupt("Tiny-1B-Q8_0.gguf"), hftest.WithCorrupt("README.md"))
	c := clientFor(t, h, Token{})
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		hop := firstHop(t, c, f.URL)
		if hop.Header.Get("X-Repo-Commit") != p.Commit {
			t.Errorf("%s: X-Repo-Commit %q, want the plan's commit", f.Path, hop.Header.Get("X-Repo-Commit"))
		}
		if f.Digest == DigestSHA256 && (hop.StatusCode != http.StatusFound || hop.Header.Get("X-Linked-Etag") != `"`+f.Blob+`"` ||
			hop.Header.Get("X-Linked-Size") != strconv.FormatInt(f.Size, 10)) {
			t.Errorf("%s: %d, X-Linked-Etag %q, X-Linked-Size %q; want a redirect naming the listed sha256 and size",
				f.Path, hop.StatusCode, hop.Header.Get("X-Linked-Etag"), hop.Header.Get("X-Linked-Size"))
		}
		status, sum := getFile(t, c, f, f.URL)
		corrupt := f.Path == "Tiny-1B-Q8_0.gguf" || f.Path == "README.md"
		if status != http.StatusOK || (sum == f.Blob) == corrupt {
			t.Errorf("%s: %d, sum %s, blob %s; corrupt %v", f.Path, status, sum, f.Blob, corrupt)
		}
	}
}

func TestExpiredCDNAddressIsResolvedAgain(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithSignedURLs(time.Hour, clock))
	c := clientFor(t, h, Token{})
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:Q4_K_M", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Files[0]
	signed := firstHop(t, c, f.URL).Header.Get("Location")
	if status, sum := getFile(t, c, f, signed); status != http.StatusOK || sum != f.Blob {
		t.Fatalf("fresh signed address: %d, sum %s", status, sum)
	}
	now.Add(2 * 3600)
	if status, _ := getFile(t, c, f, signed); status != http.StatusForbidden {
		t.Errorf("expired signed address: %d, want 403", status)
	}
	if status, sum := getFile(t, c, f, f.URL); status != http.StatusOK || sum != f.Blob {
		t.Errorf("the hub's address again: %d, sum %s; want a new signed address that works", status, sum)
	}
}

func TestRenamedRepoRedirectsRelatively(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithRename("old/Tiny", "org/Tiny-1B-GGUF"), hftest.WithTokens("hf_ok"))
	c := clientFor(t, h, NewToken("hf_ok", "HF_TOKEN"))
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF", Options{Include: []string{"README.md"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Files[0]
	old := h.URL() + "/old/Tiny/resolve/" + p.Commit + "/README.md"
	if loc := firstHop(t, c, old).Header.Get("Location"); loc != "/org/Tiny-1B-GGUF/resolve/"+p.Commit+"/README.md" {
		t.Errorf("Location %q, want a relative address on the hub", loc)
	}
	if status, sum := getFile(t, c, f, old); status != http.StatusOK || sum != f.Blob {
		t.Errorf("through the rename: %d, sum %s", status, sum)
	}
	for _, s := range h.Requests() {
		if s.Auth != "Bearer hf_ok" {
			t.Errorf("%s %s without the token: a relative redirect stays on the hub", s.Origin, s.Path)
		}
	}
}
