package network

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// view is a Watcher with the system view injected.
type view struct{ status Status }

func (v view) Status(context.Context) Status { return v.status }
func (v view) Changes() <-chan Status        { return nil }

// routedView is a view that is also a Router: the hosts in local are
// reached without the default route. It records the hosts it is asked.
type routedView struct {
	view
	local map[string]bool
	asked []string
}

func (v *routedView) Local(_ context.Context, host string) bool {
	v.asked = append(v.asked, host)
	return v.local[host]
}

func TestJudge(t *testing.T) {
	refusedURL := "http://" + origintest.ClosedAddr(t) + "/model.gguf"
	refused := do(t, http.DefaultClient, refusedURL)
	// A connection to a LAN server that timed out, and a name that no name
	// server answered for, as net/http gives them.
	lanURL := "http://10.1.2.3/model.gguf"
	timedOut := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 80},
		Err: os.NewSyscallError("connect", syscall.ETIMEDOUT)}
	mirrorURL := "http://mirror.lan/model.gguf"
	noName := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "mirror.lan"}}
	online := Status{State: Online, Source: FromRoutes}
	offline := Status{State: Offline, Source: FromRoutes}
	limited := Status{State: Offline, Source: FromNetworkManager}
	portal := Status{State: Portal, PortalURL: "http://portal.test/login", Source: FromNetworkManager}
	loop := &Error{Kind: RedirectLoop, Host: "hub.test", URL: "https://hub.test/a"}
	for _, tc := range []struct {
		name   string
		err    error
		url    string
		status Status
		local  map[string]bool // nil: the Watcher is no Router
		want   Kind
		action Action
		asked  []string
	}{
		{"refused, online", refused, refusedURL, online, nil, Refused, Retry, nil},
		{"refused, offline: the host answered", refused, refusedURL, offline, nil, Refused, Retry, nil},
		{"refused, NetworkManager limited: the host answered", refused, refusedURL, limited, map[string]bool{}, Refused, Retry, nil},
		{"refused, portal", refused, refusedURL, portal, map[string]bool{}, CaptivePortal, Wait, []string{"127.0.0.1"}},
		{"refused on loopback, portal", refused, refusedURL, portal, map[string]bool{"127.0.0.1": true}, Refused, Retry, []string{"127.0.0.1"}},
		{"LAN server not answering, limited, on the LAN", timedOut, lanURL, limited, map[string]bool{"10.1.2.3": true}, ServerNotAnswering, Retry, []string{"10.1.2.3"}},
		{"server not answering, offline, not local", timedOut, lanURL, offline, map[string]bool{}, Disconnected, Wait, []string{"10.1.2.3"}},
		{"server not answering, offline, no Router", timedOut, lanURL, offline, nil, Disconnected, Wait, nil},
		{"server not answering, online", timedOut, lanURL, online, map[string]bool{}, ServerNotAnswering, Retry, nil},
		{"no name server, offline, the mirror's name", noName, mirrorURL, offline, map[string]bool{}, Disconnected, Wait, []string{"mirror.lan"}},
		{"no name server, online", noName, mirrorURL, online, map[string]bool{}, LookupFailed, Retry, nil},
		{"redirect loop, online", loop, "https://hub.test/a", online, nil, RedirectLoop, Fail, nil},
		{"redirect loop, offline: the server answered", loop, "https://hub.test/a", offline, nil, RedirectLoop, Fail, nil},
		{"redirect loop, portal", loop, "https://hub.test/a", portal, nil, CaptivePortal, Wait, nil},
		{"refused, the view unknown", refused, refusedURL, Status{}, nil, Refused, Retry, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w Watcher = view{tc.status}
			rv := &routedView{view: view{tc.status}, local: tc.local}
			if tc.local != nil {
				w = rv
			}
			e := Judge(t.Context(), w, tc.err, tc.url)
			if e == nil || e.Kind != tc.want || e.Kind.Action() != tc.action {
				t.Fatalf("got %v, want a %v that makes the policy %v", e, tc.want, tc.action)
			}
			if tc.want == CaptivePortal && e.URL != tc.status.PortalURL {
				t.Errorf("URL = %q, want %q", e.URL, tc.status.PortalURL)
			}
			if !errors.Is(e, tc.err) {
				t.Errorf("%v lost its cause %v", e, tc.err)
			}
			if !slices.Equal(rv.asked, tc.asked) {
				t.Errorf("Local asked about %q, want %q", rv.asked, tc.asked)
			}
		})
	}
	if e := Judge(t.Context(), view{offline}, context.Canceled, refusedURL); e != nil {
		t.Errorf("a cancelled attempt is judged %v, want nil", e)
	}
}

// TestOfflineWithoutPublicDNS: on a machine whose name servers answer no
// public name (an air-gapped LAN, a company DNS, this machine), "offline"
// is decided from the system's own view and the server being fetched:
// a refused port on 127.0.0.1 is "nothing answers at 127.0.0.1:PORT"
// whether the routes are up or not, and no name is looked up but the
// server's own. Every name server the process could ask, the default
// resolver included, is one that records what it is asked.
func TestOfflineWithoutPublicDNS(t *testing.T) {
	resolver, asked := recordingNameServer(t, 2) // SERVFAIL: no public DNS
	saved := net.DefaultResolver
	net.DefaultResolver = resolver
	t.Cleanup(func() { net.DefaultResolver = saved })
	tr := &http.Transport{}
	Bound(tr, ConnectTimeout, FirstByteTimeout)
	client := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)

	addr := origintest.ClosedAddr(t)
	refusedURL := "http://" + addr + "/model.gguf"
	_, port, _ := net.SplitHostPort(addr)
	mirrorURL := "http://mirror.lan:" + port + "/model.gguf" // a name no name server here knows
	for _, tc := range []struct {
		name, proc, url string
		want            Kind
		host            string
	}{
		{"refused, routes up", "testdata/online", refusedURL, Refused, addr},
		{"refused, no default route", "testdata/offline", refusedURL, Refused, addr},
		{"the mirror's name not found, routes up", "testdata/online", mirrorURL, LookupFailed, "mirror.lan"},
		{"the mirror's name not found, no default route", "testdata/offline", mirrorURL, Disconnected, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs := prefixes("192.0.2.2/24")
			if tc.proc == "testdata/offline" {
				addrs = prefixes() // Windows and macOS: offline by the addresses
			}
			m := NewMonitor(Config{Bus: noBus, ProcNet: tc.proc, Addrs: addrs})
			err := do(t, client, tc.url)
			e := Judge(t.Context(), m, err, tc.url)
			if e == nil || e.Kind != tc.want || e.Host != tc.host {
				t.Fatalf("judged %v, want %v at %q", e, tc.want, tc.host)
			}
		})
	}
	for _, name := range asked() {
		if name != "mirror.lan" {
			t.Errorf("looked up %q; only the server's name, mirror.lan, may be", name)
		}
	}
	t.Logf("names looked up: %q", asked())
}
