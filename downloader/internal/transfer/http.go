package transfer

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
)

const userAgent = "ModelFetch/0.1"

// Info is what resolving a URL learnt about the file behind it.
type Info struct {
	URL       string // after redirects
	Size      int64  // -1 when unknown
	Ranges    bool
	Validator string // strong ETag, else Last-Modified
	Name      string // from Content-Disposition
	SHA256    string // from digest headers, hex
}

// newRequest is a GET or HEAD that asks for the bytes as they are stored.
func newRequest(ctx context.Context, method, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// expect is what is known of a file before its server is asked: its size
// (-1 when unknown) and the name it was asked under ("" for none).
type expect struct {
	size int64
	name string
	// capped says size is a fetch's DownloadTotal: a shorter file is not
	// the file, a longer one is over the total (ReasonTotalExceeded, the
	// cap's own check and sentence).
	capped bool
}

// sizeFor is the size an answer of n bytes (-1: not told) must have to be
// the file, -1 for any.
func (e expect) sizeFor(n int64) int64 {
	if e.capped && n > e.size {
		return -1
	}
	return e.size
}

// resolve learns the size, range support, validator, digest and final
// URL of raw, with HEAD, or when HEAD is refused with a one-byte ranged
// GET (signed URLs are often signed for GET only). An answer that is not
// the file expected (network.CheckResponse) is an error.
func resolve(ctx context.Context, c *http.Client, raw string, exp expect) (Info, error) {
	in, err := probe(ctx, c, http.MethodHead, raw, exp)
	var se *fetch.StatusError
	if errors.As(err, &se) && !transientStatus(se.Code) {
		in, err = probe(ctx, c, http.MethodGet, raw, exp)
	}
	return in, err
}

// harvesting is c keeping in *sha the digest of the redirects it follows:
// hubs put the digest on the redirect, not on the CDN's answer.
func harvesting(c *http.Client, sha *string) *http.Client {
	client := *c
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := network.CheckRedirect(req, via); err != nil {
			return err
		}
		if s := digestOf(req.Response.Header); s != "" {
			*sha = s
		}
		return nil
	}
	return &client
}

func probe(ctx context.Context, c *http.Client, method, raw string, exp expect) (Info, error) {
	var sha string
	client := harvesting(c, &sha)
	req, err := newRequest(ctx, method, raw)
	if err != nil {
		return Info{}, err
	}
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	resp, err := client.Do(req)
	if err != nil {
		return Info{}, err
	}
	defer resp.Body.Close()
	in := Info{URL: resp.Request.URL.String(), Size: -1, Name: nameFromDisposition(resp.Header.Get("Content-Disposition"))}
	if err := network.CheckResponse(resp, exp.sizeFor(resp.ContentLength), cmp.Or(exp.name, in.Name, fetch.NameFromURL(raw))); err != nil {
		return Info{}, err
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && method == http.MethodGet:
		cr, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return Info{}, err
		}
		in.Size, in.Ranges = cr.total, true
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		in.Size = resp.ContentLength
		in.Ranges = resp.Header.Get("Accept-Ranges") == "bytes"
	default:
		return Info{}, &fetch.StatusError{Code: resp.StatusCode, URL: in.URL, RetryAfter: retryAfter(resp.Header, time.Now())}
	}
	if in.Size >= 0 && !strings.EqualFold(resp.Header.Get("Content-Encoding"), "") && !strings.EqualFold(resp.Header.Get("Content-Encoding"), "identity") {
		in.Size = -1 // the length is of an encoded body we did not ask for
	}
	in.Validator = validatorOf(resp.Header)
	if s := digestOf(resp.Header); s != "" {
		sha = s
	}
	in.SHA256 = sha
	return in, nil
}

// validatorOf is the strong validator of a response: its ETag unless weak,
// else its Last-Modified.
func validatorOf(h http.Header) string {
	if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		return etag
	}
	return h.Get("Last-Modified")
}

// digestOf reads a SHA-256 from the headers hubs and servers send:
// X-Linked-Etag (Hugging Face, the LFS object's hash), Repr-Digest and
// Digest.
func digestOf(h http.Header) string {
	if v := strings.Trim(h.Get("X-Linked-Etag"), `"`); fetch.IsSHA256(v) {
		return strings.ToLower(v)
	}
	for _, name := range []string{"Repr-Digest", "Digest"} {
		for _, part := range strings.Split(h.Get(name), ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.EqualFold(alg, "sha-256") {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(strings.Trim(val, ":"))
			if err == nil && len(raw) == 32 {
				return hex.EncodeToString(raw)
			}
		}
	}
	return ""
}

// contentRange is a parsed "bytes first-last/total"; total is -1 for "*".
type contentRange struct{ first, last, total int64 }

func parseContentRange(v string) (contentRange, error) {
	bad := fmt.Errorf("%w: bad Content-Range %q", fetch.ErrInvalidResponse, v)
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return contentRange{}, bad
	}
	span, total, ok := strings.Cut(rest, "/")
	if !ok {
		return contentRange{}, bad
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return contentRange{}, bad
	}
	var cr contentRange
	var err1, err2, err3 error
	cr.first, err1 = strconv.ParseInt(a, 10, 64)
	cr.last, err2 = strconv.ParseInt(b, 10, 64)
	if total == "*" {
		cr.total = -1
	} else {
		cr.total, err3 = strconv.ParseInt(total, 10, 64)
	}
	if err1 != nil || err2 != nil || err3 != nil || cr.first < 0 || cr.last < cr.first || (cr.total >= 0 && cr.last >= cr.total) {
		return contentRange{}, bad
	}
	return cr, nil
}

// restartError asks for the record to be resolved again; discard says the
// partial data is no good and the transfer starts from zero.
type restartError struct {
	why      fetch.Restart
	discard  bool
	noRanges bool  // the server ignored a range: use one connection from byte 0
	err      error // the answer that caused it, if any
}

func (e *restartError) Error() string { return "restart: " + string(e.why) }

// transientStatus reports whether a server may answer differently later.
func transientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// expiredStatus reports whether a redirect target's answer may mean its
// signature expired, so that the origin should be asked again.
func expiredStatus(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return true
	}
	return false
}

// retryAfter reads Retry-After as seconds or a date; 0 when absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// guarded is c refusing the redirects network.CheckRedirect refuses: loops,
// too many, to a scheme other than http(s), from https to http.
func guarded(c *http.Client) *http.Client {
	g := *c
	g.CheckRedirect = network.CheckRedirect
	return &g
}

// fatalStatus reports a status the server would answer again.
func fatalStatus(err error) bool {
	var se *fetch.StatusError
	return errors.As(err, &se) && !transientStatus(se.Code)
}

// nameFromDisposition is the filename of a Content-Disposition header.
func nameFromDisposition(header string) string {
	if header == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return params["filename"]
}
