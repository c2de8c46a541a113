package network

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func ips(s ...string) func() ([]net.IP, error) {
	return func() ([]net.IP, error) {
		var out []net.IP
		for _, a := range s {
			out = append(out, net.ParseIP(a))
		}
		return out, nil
	}
}

// noBus is a bus address where nothing listens.
func noBus(t *testing.T) string { return "unix:path=" + t.TempDir() + "/no-bus" }

func TestStatusFromRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, proc string
		addrs      func() ([]net.IP, error)
		want       State
	}{
		{"default route and address", "testdata/online", ips("192.0.2.2", "fe80::1"), Online},
		{"IPv6 default route only", "testdata/v6only", ips("fd00::2"), Online},
		{"no default route", "testdata/offline", ips("192.0.2.2"), Offline},
		{"only link-local addresses", "testdata/online", ips("fe80::1", "169.254.3.4"), Offline},
		{"no address", "testdata/online", ips(), Offline},
		{"no route table (not Linux)", "testdata/none", ips("192.0.2.2"), Online},
		{"no route table, no address", "testdata/none", ips(), Offline},
		{"addresses unknown", "testdata/offline", func() ([]net.IP, error) { return nil, errors.New("netlink") }, Online},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMonitor(Config{Bus: noBus(t), ProcNet: tc.proc, Addrs: tc.addrs})
			s := m.Status(t.Context())
			if s.State != tc.want || s.Source != FromRoutes {
				t.Errorf("got %v from %v, want %v from %v", s.State, s.Source, tc.want, FromRoutes)
			}
		})
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

func TestCheck(t *testing.T) {
	failing := nameServer(t, 2) // SERVFAIL for every name
	hosts := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server")
	}}
	for _, tc := range []struct {
		name   string
		proc   string
		lookup func(context.Context, string) ([]string, error)
		names  []string
		want   Status
	}{
		{"every lookup fails", "testdata/online", failing.LookupHost, []string{"hub.test", "cdn.test"}, Status{State: Offline, Source: FromLookups}},
		{"one lookup works", "testdata/online", hosts.LookupHost, []string{"hub.test", "localhost"}, Status{State: Online, Source: FromRoutes}},
		{"offline already", "testdata/offline", failing.LookupHost, []string{"hub.test"}, Status{State: Offline, Source: FromRoutes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMonitor(Config{Bus: noBus(t), ProcNet: tc.proc, Addrs: ips("192.0.2.2"), Lookup: tc.lookup, Names: tc.names})
			if got := m.Check(t.Context()); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("given up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		m := NewMonitor(Config{Bus: noBus(t), ProcNet: "testdata/online", Addrs: ips("192.0.2.2"), Lookup: failing.LookupHost, Names: []string{"hub.test"}})
		if got := m.Check(ctx); got.State != Online {
			t.Errorf("a cancelled Check says %v, want %v: a caller giving up says nothing of the network", got.State, Online)
		}
	})
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
	failing := nameServer(t, 2)
	m := NewMonitor(Config{Bus: addr, ProcNet: "testdata/offline", Addrs: ips("192.0.2.2"), Poll: time.Hour, Logger: log.logger(),
		Lookup: failing.LookupHost, Names: []string{"hub.test"}})
	if s := m.Status(t.Context()); s != (Status{State: Online, Source: FromNetworkManager}) {
		t.Fatalf("Status = %+v, want online from NetworkManager", s)
	}
	// NetworkManager's connectivity check fetched a page: lookups add nothing.
	if s := m.Check(t.Context()); s != (Status{State: Online, Source: FromNetworkManager}) {
		t.Fatalf("Check = %+v, want online from NetworkManager", s)
	}
	nm.set("Connectivity", uint32(0)) // no connectivity known: its state only
	if s := m.Check(t.Context()); s != (Status{State: Offline, Source: FromLookups}) {
		t.Fatalf("Check without connectivity = %+v, want offline from lookups", s)
	}
	nm.set("Connectivity", uint32(4))
	nm.set("ConnectivityCheckEnabled", false) // "full" is then a guess
	if s := m.Status(t.Context()); s != (Status{State: Online, Source: FromNetworkManagerState}) {
		t.Fatalf("Status without a connectivity check = %+v, want online from NetworkManager's state", s)
	}
	if s := m.Check(t.Context()); s != (Status{State: Offline, Source: FromLookups}) {
		t.Fatalf("Check without a connectivity check = %+v, want offline from lookups", s)
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
	m := NewMonitor(Config{Logger: log.logger()})
	s := m.Status(t.Context())
	t.Logf("this machine: %+v (%v, from %v); log: %q", s, s.State, s.Source, log.lines())
	if _, err := os.Stat("/run/dbus/system_bus_socket"); os.IsNotExist(err) && os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" && s.Source != FromRoutes {
		t.Errorf("without a system bus the view came from %v, want %v", s.Source, FromRoutes)
	}
}

func TestMonitorRoutesPoll(t *testing.T) {
	var up atomic.Bool
	addrs := func() ([]net.IP, error) {
		if up.Load() {
			return ips("192.0.2.2")()
		}
		return nil, nil
	}
	m := NewMonitor(Config{Bus: noBus(t), ProcNet: "testdata/online", Addrs: addrs, Poll: 10 * time.Millisecond})
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
