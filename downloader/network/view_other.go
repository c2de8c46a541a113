//go:build !linux

package network

import (
	"context"
	"net/netip"
)

// signal would wake Run; this system signals nothing, so Run polls.
type signal = struct{}

// system is this system's view of the network: the interfaces'.
type system struct{ cfg Config }

// status is the interfaces' view. Windows' Network List Manager (COM,
// which Go reaches only through cgo or hand-written vtables) and macOS's
// SCNetworkReachability (a framework, cgo) know more; the interfaces'
// addresses, with their up flags, are what Go's standard library reads
// everywhere, and they never say Offline while a routable address is up
// (see addrStatus).
func (v *system) status(context.Context) Status { return v.cfg.addrStatus() }

// routed reports whether ip is on a network of an interface that is up.
func (v *system) routed(ip netip.Addr) bool { return v.cfg.onLink(ip) }

// watch has nothing to watch: Run polls.
func (*system) watch(context.Context) <-chan signal { return nil }

func (*system) unwatch() {}
