package network

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"
)

// The view of a Linux machine: NetworkManager over D-Bus, else the route
// tables and the addresses.

func TestStatusFromRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, proc string
		addrs      []string
		want       State
	}{
		{"default route and address", "testdata/online", []string{"192.0.2.2/24", "fe80::1/64"}, Online},
		{"IPv6 default route only", "testdata/v6only", []string{"fd00::2/64"}, Online},
		{"no default route", "testdata/offline", []string{"192.0.2.2/24"}, Offline},
		{"a LAN without a way out", "testdata/lan", []string{"10.1.0.5/16", "fd12:3456::5/64"}, Offline},
		{"only link-local addresses", "testdata/online", []string{"fe80::1/64", "169.254.3.4/16"}, Offline},
		{"no address", "testdata/online", nil, Offline},
		{"no route table", "testdata/none", []string{"192.0.2.2/24"}, Online},
		{"no route table, no address", "testdata/none", nil, Offline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMonitor(Config{Bus: noBus, ProcNet: tc.proc, Addrs: prefixes(tc.addrs...), Lookup: noLookup(t)})
			s := m.Status(t.Context())
			if s.State != tc.want || s.Source != FromRoutes {
				t.Errorf("got %v from %v, want %v from %v", s.State, s.Source, tc.want, FromRoutes)
			}
		})
	}
}

// TestRouted: a server is reached without the default route through
// the kernel's route for a network the machine is on, or a route set by
// hand; not through a reject route, loopback's, or the default one.
func TestRouted(t *testing.T) {
	for _, tc := range []struct {
		proc, ip string
		want     bool
	}{
		{"testdata/lan", "10.1.2.3", true},         // on the LAN
		{"testdata/lan", "10.2.0.9", true},         // through a gateway of the LAN
		{"testdata/lan", "10.3.0.9", false},        // a reject route
		{"testdata/lan", "fd12:3456::9", true},     // on the LAN, IPv6
		{"testdata/lan", "198.51.100.7", false},    // nowhere
		{"testdata/online", "192.0.2.9", true},     // on the link
		{"testdata/online", "198.51.100.7", false}, // only through the default route
		{"testdata/v6only", "192.168.2.4", true},
		{"testdata/v6only", "2001:db8::1", false},
	} {
		m := NewMonitor(Config{Bus: noBus, ProcNet: tc.proc, Addrs: prefixes(), Lookup: noLookup(t)})
		if got := m.sys.routed(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("routed(%s) with %s = %v, want %v", tc.ip, tc.proc, got, tc.want)
		}
	}
}

func TestNMStatus(t *testing.T) {
	const uri = "http://check.example/"
	for _, tc := range []struct {
		conn, state, metered uint32
		want                 Status
		ok                   bool
	}{
		{4, 70, 2, Status{State: Online, Source: FromNetworkManager}, true},
		{4, 70, 1, Status{State: Online, Metered: true, Source: FromNetworkManager}, true},
		{4, 70, 3, Status{State: Online, Metered: true, Source: FromNetworkManager}, true},
		{4, 70, 4, Status{State: Online, Source: FromNetworkManager}, true},
		{2, 70, 0, Status{State: Portal, PortalURL: uri, Source: FromNetworkManager}, true},
		{3, 70, 0, Status{State: Offline, Source: FromNetworkManager}, true},
		{1, 20, 0, Status{State: Offline, Source: FromNetworkManager}, true},
		{0, 70, 0, Status{State: Online, Source: FromNetworkManagerState}, true},
		{0, 60, 0, Status{State: Offline, Source: FromNetworkManagerState}, true},
		{0, 20, 0, Status{State: Offline, Source: FromNetworkManagerState}, true},
		{0, 0, 0, Status{}, false},
	} {
		got, ok := nmStatus(tc.conn, tc.state, tc.metered, uri)
		if got != tc.want || ok != tc.ok {
			t.Errorf("nmStatus(%d, %d, %d) = %+v, %v, want %+v, %v", tc.conn, tc.state, tc.metered, got, ok, tc.want, tc.ok)
		}
	}
}

// until waits for want from w, passing over the Status of a change half
// made (two properties set one after the other); it returns the last seen.
func until(t *testing.T, w Watcher, want Status) Status {
	t.Helper()
	var s Status
	for range 3 {
		if s = next(t, w); s == want {
			break
		}
	}
	return s
}

func TestMonitorNetworkManager(t *testing.T) {
	addr := privateBus(t)
	nm := startNM(t, addr, 4, 70, 4)
	var log logBuffer
	// The routes say offline: only NetworkManager can say online.
	m := NewMonitor(Config{Bus: addr, ProcNet: "testdata/offline", Addrs: prefixes("192.0.2.2/24"), Poll: time.Hour, Logger: log.logger(),
		Lookup: noLookup(t)})
	if s := m.Status(t.Context()); s != (Status{State: Online, Source: FromNetworkManager}) {
		t.Fatalf("Status = %+v, want online from NetworkManager", s)
	}
	nm.set("Connectivity", uint32(0)) // no connectivity known: its state only
	if s := m.Status(t.Context()); s != (Status{State: Online, Source: FromNetworkManagerState}) {
		t.Fatalf("Status without connectivity = %+v, want online from NetworkManager's state", s)
	}
	nm.set("Connectivity", uint32(4))
	nm.set("ConnectivityCheckEnabled", false) // "full" is then a guess
	if s := m.Status(t.Context()); s != (Status{State: Online, Source: FromNetworkManagerState}) {
		t.Fatalf("Status without a connectivity check = %+v, want online from NetworkManager's state", s)
	}
	nm.set("ConnectivityCheckEnabled", true)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	if s := next(t, m); s.State != Online {
		t.Fatalf("first Status = %+v, want online", s)
	}
	// The poll is an hour: only NetworkManager's signals can bring these.
	steps := []struct {
		change func()
		want   Status
	}{
		{func() { nm.set("Connectivity", uint32(2)) }, Status{State: Portal, PortalURL: "http://nmcheck.gnome.org/check_network_status.txt", Source: FromNetworkManager}},
		{func() { nm.set("Connectivity", uint32(4)); nm.set("Metered", uint32(1)) }, Status{State: Online, Metered: true, Source: FromNetworkManager}},
		{func() { nm.set("Connectivity", uint32(1)) }, Status{State: Offline, Metered: true, Source: FromNetworkManager}},
		{func() { nm.stop(t) }, Status{State: Offline, Source: FromRoutes}},
	}
	for i, st := range steps {
		st.change()
		if s := until(t, m, st.want); s != st.want {
			t.Fatalf("step %d: got %+v, want %+v", i, s, st.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := <-m.Changes(); ok {
		t.Error("Changes is open after Run returned")
	}
	t.Logf("log: %q", log.lines())
}

// TestStatusThisMachine asks this machine, and says what it saw.
func TestStatusThisMachine(t *testing.T) {
	var log logBuffer
	m := NewMonitor(Config{Logger: log.logger(), Lookup: noLookup(t)})
	s := m.Status(t.Context())
	t.Logf("this machine: %+v (%v, from %v); log: %q", s, s.State, s.Source, log.lines())
	if _, err := os.Stat("/run/dbus/system_bus_socket"); os.IsNotExist(err) && os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" && s.Source != FromRoutes {
		t.Errorf("without a system bus the view came from %v, want %v", s.Source, FromRoutes)
	}
}
