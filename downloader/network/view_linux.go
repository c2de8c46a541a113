package network

import (
	"context"
	"net/netip"
	"sync"

	"github.com/godbus/dbus/v5"
)

// signal is what wakes Run: a NetworkManager signal on the system bus.
type signal = *dbus.Signal

// system is Linux's own view of the network: NetworkManager over the
// system bus, else the route tables and the addresses. It keeps Run's
// connection to the bus, and whether the log said NetworkManager is
// absent.
type system struct {
	cfg Config

	mu   sync.Mutex
	conn *dbus.Conn
	noNM bool
}

// status asks NetworkManager, and when it does not run or does not know,
// reads the routes and addresses.
func (v *system) status(ctx context.Context) Status {
	s, err := v.fromNM(ctx)
	switch {
	case err == nil:
		v.setNoNM(false, nil)
		return s
	case ctx.Err() == nil: // a caller giving up says nothing of NetworkManager
		v.setNoNM(true, err)
	}
	return v.fromRoutes()
}

// setNoNM logs when NetworkManager goes and comes back.
func (v *system) setNoNM(no bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if no == v.noNM {
		return
	}
	v.noNM = no
	if no {
		v.cfg.Logger.Info("NetworkManager does not answer; the network is judged from routes and addresses", "err", err)
	}
}

// fromRoutes is the view without NetworkManager: Online with a default
// route through an interface other than loopback and an address that can
// reach beyond its link; Offline without either. Where the route tables
// cannot be read, only the addresses decide.
func (v *system) fromRoutes() Status {
	tables, err := readRoutes(v.cfg.ProcNet)
	if err != nil {
		v.cfg.Logger.Debug("reading the route tables", "err", err)
		return v.cfg.addrStatus()
	}
	s := v.cfg.addrStatus()
	if !tables.hasDefault() {
		s.State = Offline
	}
	return s
}

// routed reports whether a route other than the default one, up and not
// through loopback, leads to ip: the kernel's route for a network the
// machine is on, or one set by hand on a LAN without a way out.
func (v *system) routed(ip netip.Addr) bool {
	tables, err := readRoutes(v.cfg.ProcNet)
	if err != nil {
		return v.cfg.onLink(ip)
	}
	return tables.leadsTo(ip)
}
