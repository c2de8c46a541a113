package hf

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// Transport is NewTransport for the engine: the Hub's token added to the
// engine's requests for the Hub's own origin only, never to its CDN. Its
// token can change while the engine runs (a person saves another in the
// window's Settings), and the transport beneath it when the network
// settings do: Wrap is the engine's Config.Wrap.
type Transport struct {
	endpoint string
	mu       sync.Mutex // guards base and token, which make current
	base     http.RoundTripper
	token    Token
	current  atomic.Pointer[http.RoundTripper]
}

// NewEngineTransport is a Transport for the Hub g names, with the token
// g's environment gives (none when the token file cannot be read: that is
// reported when a Hub name is fetched).
func NewEngineTransport(g Getenv) *Transport {
	tok, _ := LoadToken(g)
	t := &Transport{endpoint: g.Endpoint(), base: http.DefaultTransport, token: tok}
	t.remake()
	return t
}

// Wrap puts t over base, the engine's transport of the moment.
func (t *Transport) Wrap(base http.RoundTripper) http.RoundTripper {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.base = base
	t.remake()
	return t
}

// SetToken makes tok the token of the requests that follow.
func (t *Transport) SetToken(tok Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token = tok
	t.remake()
}

// remake makes the transport requests use from base and token. t.mu is
// held.
func (t *Transport) remake() {
	rt := NewTransport(t.base, t.endpoint, t.token)
	t.current.Store(&rt)
}

// RoundTrip sends req with the current token's transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return (*t.current.Load()).RoundTrip(req)
}
