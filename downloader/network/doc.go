// Package network is what the engine knows about the network beyond one
// request: whether the machine is online, offline or behind a captive
// portal, and metered (NetworkManager over D-Bus, else routes and
// addresses, else name lookups); why a request failed (Classify,
// CheckRedirect, CheckResponse) and how to say it (Sentence); the proxy
// and extra CA of a company network (Configure); and a systemd-logind
// inhibitor that keeps a laptop awake while it downloads (Inhibitor).
//
// It has no Fyne in it and holds no state of the engine: the engine asks.
package network
