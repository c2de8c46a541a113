package network

import (
	"context"
	"errors"
	"net"
	"net/url"
)

// Judge classifies a failed attempt in the light of the machine's own
// view of the network, so that "offline" means the machine says so, not
// that a request failed, and never that a name server or a web page of a
// third party did not answer. While the machine is online the failure is
// Classify's. While it is offline any failure is Disconnected, and behind
// a captive portal CaptivePortal (with the portal's address when
// NetworkManager knows it), both waiting without counting failures,
// except when the server being fetched shows that the way to it is up:
//   - it answered (a refused connection, a redirect, an answer that is
//     not valid HTTP or not the file, a certificate): its failure is its
//     own while the system says offline, since the answer came through;
//   - w is a Router that says the server is reached without the default
//     route (loopback, a network the machine is on, a route of its own):
//     its failure is its own whatever the view of the internet, as for a
//     mirror on an air-gapped LAN.
//
// It returns nil when err is none of the kinds.
func Judge(ctx context.Context, w Watcher, err error, rawURL string) *Error {
	e := Classify(err, rawURL)
	if e == nil {
		return nil
	}
	st := w.Status(ctx)
	if st.State != Offline && st.State != Portal {
		return e
	}
	if st.State == Offline && e.Kind.answered() {
		return e
	}
	if r, ok := w.(Router); ok && r.Local(ctx, serverHost(err, rawURL)) {
		return e
	}
	if st.State == Portal {
		return &Error{Kind: CaptivePortal, Host: hostOf(st.PortalURL), URL: st.PortalURL, Err: e}
	}
	return &Error{Kind: Disconnected, Err: e}
}

// answered reports whether a failure of kind k came with an answer from
// the server's host, which a machine without a way out never receives.
// A lost connection or a missing answer is not one: a connection made
// before the network went can end in either.
func (k Kind) answered() bool {
	switch k {
	case Refused, TooManyRedirects, RedirectLoop, UnsafeRedirect, Downgrade, Malformed, Untrusted, WrongLength:
		return true
	}
	return false
}

// serverHost is the address that failed: the one dialed (the server's,
// or the proxy's), when err holds it, else the host of rawURL (the
// request's, or the redirect's target).
func serverHost(err error, rawURL string) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		if host, _, err := net.SplitHostPort(op.Addr.String()); err == nil {
			return host
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		rawURL = ue.URL
	}
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return ""
	}
	return u.Hostname()
}
