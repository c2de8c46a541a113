package network

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// State is the machine's own view of its network.
type State int

const (
	// Online: the machine has a way out; a failure is the server's or the
	// proxy's.
	Online State = iota + 1
	// Offline: no way out; downloads wait without counting failures.
	Offline
	// Portal: a captive portal asks the person to sign in; downloads wait
	// as for Offline.
	Portal
)

func (s State) String() string {
	switch s {
	case Online:
		return "online"
	case Offline:
		return "offline"
	case Portal:
		return "portal"
	}
	return "unknown"
}

// Source is what a Status was decided from.
type Source int

const (
	// FromNetworkManager is NetworkManager's connectivity check (it fetched
	// a known page through the network).
	FromNetworkManager Source = iota + 1
	// FromNetworkManagerState is NetworkManager's state, when it does not
	// check connectivity.
	FromNetworkManagerState
	// FromRoutes is the routing table and the interfaces' addresses (only
	// the addresses where there is no routing table to read: Windows,
	// macOS).
	FromRoutes
)

func (s Source) String() string {
	switch s {
	case FromNetworkManager:
		return "NetworkManager connectivity"
	case FromNetworkManagerState:
		return "NetworkManager state"
	case FromRoutes:
		return "routes and addresses"
	}
	return "nothing"
}

// Status is the network as the machine sees it.
type Status struct {
	State State
	// PortalURL is where to sign in, with Portal, when known: the address
	// NetworkManager checks, which a browser is sent on from to the
	// portal's page.
	PortalURL string
	// Metered: NetworkManager says (or guesses) that the connection is
	// charged by the byte, a phone's hotspot for example.
	Metered bool
	Source  Source
}

// Watcher is the machine's view of the network, as the engine uses it.
// Monitor is the real one; tests of the engine put in their own. It is
// the machine's own view: no Watcher asks a third party (a name server
// about names nobody asked for, a web page) whether the machine is
// online, since on a company network or an air-gapped LAN those answer
// nothing while the server being fetched works, and asking would tell
// them that the machine downloads.
type Watcher interface {
	// Status is the network now.
	Status(ctx context.Context) Status
	// Changes delivers a Status whenever it changes (the latest only: a
	// slow reader misses intermediate ones).
	Changes() <-chan Status
}

// Router is a Watcher that knows the machine's own ways to a server.
// Judge asks it about the server of a failed request while the machine
// says it is offline: a server on loopback, on a network the machine is
// on, or behind a route of its own (a mirror on an air-gapped LAN, where
// NetworkManager says "limited" and there is no default route) is
// reached whatever the view of the internet, so its failure is its own.
type Router interface {
	// Local reports whether host (a name or an address, as the request
	// or its error gave it) is reached without the default route. A name
	// is looked up: it is the name the person asked for.
	Local(ctx context.Context, host string) bool
}

// Config says where Monitor looks. The zero value is the real machine.
type Config struct {
	// Bus is the address of the system bus ("" is the system's own;
	// Linux).
	Bus string
	// ProcNet is where the route tables are ("" is /proc/net; Linux).
	ProcNet string
	// Addrs lists the addresses of the interfaces that are up, with their
	// networks, loopback aside (nil is the machine's).
	Addrs func() ([]netip.Prefix, error)
	// Lookup looks up the name of a server that failed, for Local (nil is
	// net.DefaultResolver's). It is never given another name.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Poll is how often Run reads the view again without being told of a
	// change (0 is 5 s).
	Poll   time.Duration
	Logger *slog.Logger
}

// Monitor is the Watcher of the real machine. Run keeps Changes fed.
type Monitor struct {
	cfg     Config
	changes chan Status
	sys     *system // this system's own view, in a file of its own
}

// lookupTimeout bounds Local's look-up of a server's name: a name server
// that does not answer in this time leaves the decision to Status.
const lookupTimeout = 5 * time.Second

var (
	_ Watcher = (*Monitor)(nil)
	_ Router  = (*Monitor)(nil)
)

// NewMonitor is a Monitor looking where cfg says.
func NewMonitor(cfg Config) *Monitor {
	if cfg.ProcNet == "" {
		cfg.ProcNet = "/proc/net"
	}
	if cfg.Addrs == nil {
		cfg.Addrs = upAddrs
	}
	if cfg.Lookup == nil {
		cfg.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Monitor{cfg: cfg, changes: make(chan Status, 1), sys: &system{cfg: cfg}}
}

// Changes delivers each new Status while Run runs; it is closed when Run
// returns.
func (m *Monitor) Changes() <-chan Status { return m.changes }

// Status is the system's own view: NetworkManager's, else the routes
// and addresses (Linux); the interfaces' addresses (Windows, macOS).
func (m *Monitor) Status(ctx context.Context) Status { return m.sys.status(ctx) }

// Local is Router's: host is loopback, or reached through a route or
// network of the machine's other than the default route.
func (m *Monitor) Local(ctx context.Context, host string) bool {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		if ips, err = m.cfg.Lookup(lctx, host); err != nil {
			return false
		}
	}
	for _, ip := range ips {
		if ip = ip.Unmap(); ip.IsLoopback() || m.sys.routed(ip) {
			return true
		}
	}
	return false
}

// Run watches the network until ctx is done: it publishes the first
// Status at once, then each change, as the system signals it
// (NetworkManager) or as the poll finds it. It owns what it watches with
// (a connection to the system bus) and closes Changes when it returns.
func (m *Monitor) Run(ctx context.Context) error {
	defer close(m.changes)
	defer m.sys.unwatch()
	signals := m.sys.watch(ctx) // nil where the system signals nothing
	tick := time.NewTicker(m.cfg.Poll)
	defer tick.Stop()
	last := m.Status(ctx)
	m.publish(last)
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-signals:
			if !ok { // the system's signals went away (the bus stopped)
				m.sys.unwatch()
				signals = nil
			}
		case <-tick.C:
			if signals == nil { // the system's signals may have come since
				signals = m.sys.watch(ctx)
			}
		}
		if s := m.Status(ctx); s != last {
			m.cfg.Logger.Info("network", "state", s.State, "from", s.Source, "metered", s.Metered, "portal", s.PortalURL)
			last = s
			m.publish(s)
		}
	}
}

// publish replaces an unread Status with s. Only Run sends.
func (m *Monitor) publish(s Status) {
	select {
	case <-m.changes:
	default:
	}
	m.changes <- s
}
