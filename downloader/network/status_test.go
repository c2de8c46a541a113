package network

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// prefixes is a Config.Addrs that lists s ("192.0.2.2/24").
func prefixes(s ...string) func() ([]netip.Prefix, error) {
	return func() ([]netip.Prefix, error) {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out, nil
	}
}

// noBus is a bus address where nothing can listen (Linux; other systems
// do not read it): a socket under a file that is not a folder.
const noBus = "unix:path=/dev/null/no-bus"

// noLookup is a Config.Lookup that fails the test: nothing may be looked
// up where it is given.
func noLookup(t *testing.T) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		t.Errorf("looked up %q", host)
		return nil, errors.New("no lookups in this test")
	}
}

// names is a Config.Lookup that answers from a table and records every
// name it is asked.
type names struct {
	table map[string][]netip.Addr
	mu    sync.Mutex
	asked []string
}

func (n *names) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asked = append(n.asked, host)
	if ips, ok := n.table[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such name in this test")
}

func (n *names) names() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.asked)
}

// next waits for the next Status from w.
func next(t *testing.T, w Watcher) Status {
	t.Helper()
	select {
	case s, ok := <-w.Changes():
		if !ok {
			t.Fatal("Changes closed")
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no change within 10 s")
	}
	return Status{}
}

// TestStatusFromAddresses: the interfaces' view (all of it on Windows and
// macOS) is Online with a routable address, and never Offline when the
// addresses cannot be listed.
func TestStatusFromAddresses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		addrs func() ([]netip.Prefix, error)
		want  State
	}{
		{"an address", prefixes("192.0.2.2/24", "fe80::1/64"), Online},
		{"a private address", prefixes("10.1.0.5/16"), Online},
		{"a unique local IPv6 address", prefixes("fd12:3456::5/64"), Online},
		{"only link-local addresses", prefixes("fe80::1/64", "169.254.3.4/16"), Offline},
		{"no address", prefixes(), Offline},
		{"addresses unknown", func() ([]netip.Prefix, error) { return nil, errors.New("netlink") }, Online},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMonitor(Config{Addrs: tc.addrs, Lookup: noLookup(t)})
			if s := m.cfg.addrStatus(); s.State != tc.want || s.Source != FromRoutes {
				t.Errorf("got %v from %v, want %v from %v", s.State, s.Source, tc.want, FromRoutes)
			}
		})
	}
}

// TestUpAddrs reads this machine's interfaces: every prefix is a valid
// one, never loopback.
func TestUpAddrs(t *testing.T) {
	ps, err := upAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.IsValid() || p.Addr().IsLoopback() || p.Addr().Is4In6() {
			t.Errorf("upAddrs gave %v", p)
		}
	}
	t.Logf("this machine: %v", ps)
}

// TestLocal: a server on loopback, or on a network of the machine's, is
// local; its name, and only its name, is looked up.
func TestLocal(t *testing.T) {
	n := &names{table: map[string][]netip.Addr{
		"mirror.lan": {netip.MustParseAddr("10.1.7.7")},
		"hub.test":   {netip.MustParseAddr("198.51.100.7")},
		"me.test":    {netip.MustParseAddr("::ffff:127.0.0.1")},
	}}
	// testdata/lan's routes (Linux) and these addresses (elsewhere) agree
	// on the LAN.
	m := NewMonitor(Config{Bus: noBus, ProcNet: "testdata/lan", Addrs: prefixes("10.1.0.5/16", "fd12:3456::5/64"), Lookup: n.lookup})
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"fd12:3456::9", true},
		{"198.51.100.7", false},
		{"mirror.lan", true},
		{"me.test", true},
		{"hub.test", false},
		{"unknown.test", false},
	} {
		if got := m.Local(t.Context(), tc.host); got != tc.want {
			t.Errorf("Local(%s) = %v, want %v", tc.host, got, tc.want)
		}
	}
	if got, want := n.names(), []string{"mirror.lan", "me.test", "hub.test", "unknown.test"}; !slices.Equal(got, want) {
		t.Errorf("looked up %q, want exactly the servers' names %q", got, want)
	}
}

func TestMonitorRoutesPoll(t *testing.T) {
	var up atomic.Bool
	addrs := func() ([]netip.Prefix, error) {
		if up.Load() {
			return prefixes("192.0.2.2/24")()
		}
		return nil, nil
	}
	m := NewMonitor(Config{Bus: noBus, ProcNet: "testdata/online", Addrs: addrs, Poll: 10 * time.Millisecond, Lookup: noLookup(t)})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	if s := next(t, m); s != (Status{State: Offline, Source: FromRoutes}) {
		t.Fatalf("first Status = %+v, want offline from routes", s)
	}
	up.Store(true) // the interface got its address
	if s := next(t, m); s != (Status{State: Online, Source: FromRoutes}) {
		t.Fatalf("then %+v, want online from routes", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
