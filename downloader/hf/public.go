package hf

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
)

// PublicTransport is the engine's Transport for files that do not need
// the token: when the Hub refuses the token (401: invalid or expired) for
// a GET or HEAD of its own origin, the request is asked again without
// it, and that answer is used unless it is refused too. A public repo
// then downloads whatever token is set, as it does with none; a gated or
// private one still fails with the refusal, which names the token. Its
// Wrap is the engine's Config.Wrap.
type PublicTransport struct {
	*Transport
	origin  string // the Hub's, as origin writes it
	refused atomic.Pointer[func(Token)]
}

// Public is t with the fallback above.
func (t *Transport) Public() *PublicTransport {
	p := &PublicTransport{Transport: t}
	if u, err := url.Parse(t.endpoint); err == nil {
		p.origin = origin(u)
	}
	return p
}

// OnRefused has f called, on the engine's goroutine, with the token
// each time a file downloads without it because the Hub refused it, so
// that the window can say so. nil stops the calls.
func (p *PublicTransport) OnRefused(f func(Token)) {
	if f == nil {
		p.refused.Store(nil)
		return
	}
	p.refused.Store(&f)
}

// Refused tells the function OnRefused set, if any, that the Hub refused
// tok and an answer came without it; a Client's Config.Refused, so that
// the Hub's API calls are said as the files are.
func (p *PublicTransport) Refused(tok Token) {
	if f := p.refused.Load(); f != nil {
		(*f)(tok)
	}
}

// Wrap puts p over base, the engine's transport of the moment.
func (p *PublicTransport) Wrap(base http.RoundTripper) http.RoundTripper {
	p.Transport.Wrap(base)
	return p
}

// RoundTrip sends req with the token, and again without it when the Hub
// refuses the token.
func (p *PublicTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.Transport.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !p.retriable(req) ||
		kindOf(resp.StatusCode, resp.Header.Get("X-Error-Code"), resp.Header.Get("X-Error-Message"), true) != KindTokenRefused {
		return resp, err
	}
	p.mu.Lock()
	base, tok := p.base, p.token
	p.mu.Unlock()
	anon, aerr := base.RoundTrip(req) // req carries no Authorization: the token's transport adds it to a copy
	if aerr != nil || anon.StatusCode == http.StatusUnauthorized || anon.StatusCode == http.StatusForbidden {
		if aerr == nil {
			drain(anon)
		}
		return resp, nil // the refusal, which names the token, says more
	}
	drain(resp)
	p.Refused(tok)
	return anon, nil
}

// retriable reports whether req went to the Hub with the token and can
// be sent again as it is.
func (p *PublicTransport) retriable(req *http.Request) bool {
	p.mu.Lock()
	set := p.token.Set()
	p.mu.Unlock()
	return set && p.origin != "" && origin(req.URL) == p.origin && (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(req.Body == nil || req.Body == http.NoBody) && req.Header.Get("Authorization") == ""
}

// drain reads a little of an answer that is not used, so that its
// connection can be used again, and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

// WithoutRefused runs call with c, and once more with no token when the
// Hub refused c's token (invalid or expired): a public repo is listed and
// searched whatever token is set, as PublicTransport downloads its files.
// It reports whether the answer came without the token (and tells
// Config.Refused); when that fails too, the refusal, which names the
// token, is the error. The window, the command line and the local API
// all resolve names through it.
func (c *Client) WithoutRefused(call func(*Client) error) (refused bool, err error) {
	err = call(c)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTokenRefused {
		return false, err
	}
	anon, aerr := New(Config{Endpoint: c.Endpoint(), Transport: c.base, Timeout: c.timeout, Offline: c.offline, Limits: c.limits})
	if aerr == nil {
		aerr = call(anon)
	}
	if aerr != nil {
		return false, err
	}
	if c.refused != nil {
		c.refused(c.token)
	}
	return true, nil
}
