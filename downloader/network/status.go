package network

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
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
	// FromRoutes is the routing table and the interfaces' addresses.
	FromRoutes
	// FromLookups is a failure of every name lookup (Check).
	FromLookups
)

func (s Source) String() string {
	switch s {
	case FromNetworkManager:
		return "NetworkManager connectivity"
	case FromNetworkManagerState:
		return "NetworkManager state"
	case FromRoutes:
		return "routes and addresses"
	case FromLookups:
		return "name lookups"
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
// Monitor is the real one; tests of the engine put in their own.
type Watcher interface {
	// Status is the network now.
	Status(ctx context.Context) Status
	// Check is Status, made sure of when it says Online but only routes
	// or NetworkManager's state said so: Offline when every name lookup
	// fails. The engine asks it when a host's name cannot be looked up.
	Check(ctx context.Context) Status
	// Changes delivers a Status whenever it changes (the latest only: a
	// slow reader misses intermediate ones).
	Changes() <-chan Status
}

// Config says where Monitor looks. The zero value is the real machine.
type Config struct {
	// Bus is the address of the system bus ("" is the system's own).
	Bus string
	// ProcNet is where the route tables are ("" is /proc/net).
	ProcNet string
	// Addrs lists the addresses of the interfaces that are up (nil is the
	// machine's).
	Addrs func() ([]net.IP, error)
	// Lookup looks a name up (nil is net.DefaultResolver.LookupHost).
	Lookup func(ctx context.Context, host string) ([]string, error)
	// Names are what Check looks up: hosts that exist (nil is
	// DefaultNames).
	Names []string
	// Poll is how often Run reads the view again without being told of a
	// change (0 is 5 s).
	Poll   time.Duration
	Logger *slog.Logger
}

// DefaultNames are the Hugging Face Hub and the host of the built-in
// catalog: if none of them can be looked up, the machine is offline
// whatever its routes say.
var DefaultNames = []string{"huggingface.co", "storage.googleapis.com"}

// Monitor is the Watcher of the real machine. Run keeps Changes fed.
type Monitor struct {
	cfg     Config
	changes chan Status

	mu   sync.Mutex
	conn *dbus.Conn // Run's connection to the system bus, if any
	noNM bool       // said that NetworkManager is absent
}

// lookupTimeout bounds Check's name lookups: a name server that does not
// answer in this time is as good as none.
const lookupTimeout = 5 * time.Second

var _ Watcher = (*Monitor)(nil)

// NewMonitor is a Monitor looking where cfg says.
func NewMonitor(cfg Config) *Monitor {
	if cfg.ProcNet == "" {
		cfg.ProcNet = "/proc/net"
	}
	if cfg.Addrs == nil {
		cfg.Addrs = upAddrs
	}
	if cfg.Lookup == nil {
		cfg.Lookup = net.DefaultResolver.LookupHost
	}
	if cfg.Names == nil {
		cfg.Names = DefaultNames
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Monitor{cfg: cfg, changes: make(chan Status, 1)}
}

// Changes delivers each new Status while Run runs; it is closed when Run
// returns.
func (m *Monitor) Changes() <-chan Status { return m.changes }

// Status asks NetworkManager, and when it does not run or does not know,
// reads the routes and addresses.
func (m *Monitor) Status(ctx context.Context) Status {
	s, err := m.fromNM(ctx)
	switch {
	case err == nil:
		m.setNoNM(false, nil)
		return s
	case ctx.Err() == nil: // a caller giving up says nothing of NetworkManager
		m.setNoNM(true, err)
	}
	return m.fromRoutes()
}

// setNoNM logs when NetworkManager goes and comes back.
func (m *Monitor) setNoNM(no bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if no == m.noNM {
		return
	}
	m.noNM = no
	if no {
		m.cfg.Logger.Info("NetworkManager does not answer; the network is judged from routes and addresses", "err", err)
	}
}

// Check is Status, with name lookups when only routes or NetworkManager's
// state said Online.
func (m *Monitor) Check(ctx context.Context) Status {
	s := m.Status(ctx)
	if s.State != Online || s.Source == FromNetworkManager {
		return s
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	for _, name := range m.cfg.Names {
		if _, err := m.cfg.Lookup(lctx, name); err == nil {
			return s
		}
	}
	if ctx.Err() != nil {
		return s // the caller gave up: that says nothing of the network
	}
	return Status{State: Offline, Metered: s.Metered, Source: FromLookups}
}

// Run watches the network until ctx is done: it publishes the first
// Status at once, then each change, as NetworkManager signals it or as
// the poll finds it. It owns its connection to the bus and closes Changes
// when it returns.
func (m *Monitor) Run(ctx context.Context) error {
	defer close(m.changes)
	defer m.unwatch()
	signals := m.watch(ctx)
	tick := time.NewTicker(m.cfg.Poll)
	defer tick.Stop()
	last := m.Status(ctx)
	m.publish(last)
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-signals:
			if !ok { // the bus went away
				m.unwatch()
				signals = nil
			}
		case <-tick.C:
			if signals == nil { // the bus may have started since
				signals = m.watch(ctx)
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
