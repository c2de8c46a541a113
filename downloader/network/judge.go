package network

import (
	"context"
)

// Judge classifies a failed attempt in the light of the machine's own
// view of the network, so that "offline" means the machine says so, not
// that a request failed. While the machine is offline any failure is
// Disconnected, and behind a captive portal CaptivePortal (with the
// portal's address when NetworkManager knows it): both wait without
// counting failures. While it is online, a name that cannot be looked up
// or a server that does not answer is first made sure of with w.Check,
// since routes can say online while the way out is down; otherwise the
// failure is Classify's. It returns nil when err is none of the kinds.
func Judge(ctx context.Context, w Watcher, err error, rawURL string) *Error {
	e := Classify(err, rawURL)
	if e == nil {
		return nil
	}
	st := w.Status(ctx)
	if st.State == Online && direct(e.Kind) {
		st = w.Check(ctx)
	}
	switch st.State {
	case Offline:
		return &Error{Kind: Disconnected, Err: e}
	case Portal:
		return &Error{Kind: CaptivePortal, Host: hostOf(st.PortalURL), URL: st.PortalURL, Err: e}
	}
	return e
}

// direct reports whether k is a failure to reach a server directly, which
// a machine that only seems online gives too. Through a proxy names are
// the proxy's to look up, and a network may resolve no outside name at
// all, so a dead proxy is never taken for offline.
func direct(k Kind) bool {
	switch k {
	case HostNotFound, LookupFailed, ServerNotAnswering, ConnectionLost:
		return true
	}
	return false
}
