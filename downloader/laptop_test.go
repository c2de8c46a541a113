package downloader

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// changingView is a network.Watcher whose status the test sets.
type changingView struct {
	mu      sync.Mutex
	st      network.Status
	changes chan network.Status
}

func newChangingView(st network.Status) *changingView {
	return &changingView{st: st, changes: make(chan network.Status, 1)}
}

func (v *changingView) Status(context.Context) network.Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.st
}

func (v *changingView) Check(ctx context.Context) network.Status { return v.Status(ctx) }
func (v *changingView) Changes() <-chan network.Status           { return v.changes }

func (v *changingView) set(st network.Status) {
	v.mu.Lock()
	v.st = st
	v.mu.Unlock()
	v.changes <- st
}

// TestMeteredPause: on a metered connection, with the setting on, nothing
// runs and the fetch says why; off the metered connection it finishes.
func TestMeteredPause(t *testing.T) {
	o := newOrigin(t, 1<<20, origintest.Throttle(4<<20))
	v := newChangingView(network.Status{State: network.Online, Metered: true})
	cfg := testConfig(t)
	cfg.Network, cfg.PauseMetered = v, true
	m := start(t, cfg)
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	says(t, m, fetch.StatePaused, "metered")
	if n := o.GETs.Load(); n != 0 {
		t.Fatalf("%d requests on a metered connection", n)
	}
	v.set(network.Status{State: network.Online})
	settleWhole(t, m, "model", o.Bytes(modelPath))

	// Metered again while running: it pauses, keeping its bytes.
	m.SetPauseMetered(true)
	m.Fetch("again", []fetch.Request{{URL: o.URL + "/models/other.bin"}}, fetch.Options{})
	until(t, "bytes arrive", func() bool { s, _ := m.Get("again"); return s.Downloaded > 0 })
	v.set(network.Status{State: network.Online, Metered: true})
	until(t, "it pauses", func() bool {
		s, _ := m.Get("again")
		return s.State == fetch.StatePaused && s.Records[0].Connections == 0
	})
	m.SetPauseMetered(false)
	if s := settle(t, m, "again"); s.State != fetch.StateSucceeded {
		t.Fatalf("state %s (%s)", s.State, s.Message)
	}
}

// standIn is an Inhibitor that counts what it is asked.
type standIn struct {
	mu             sync.Mutex
	holds, release int
	held           bool
}

func (s *standIn) Hold(context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds++
	s.held = true
}

func (s *standIn) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release++
	s.held = false
}

func (s *standIn) state() (held bool, holds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held, s.holds
}

// TestInhibitor: the machine is kept awake while a download runs, and let
// sleep once none does.
func TestInhibitor(t *testing.T) {
	o := newOrigin(t, 1<<20, origintest.Throttle(4<<20))
	in := &standIn{}
	cfg := testConfig(t)
	cfg.Inhibitor = in
	m := start(t, cfg)
	if held, _ := in.state(); held {
		t.Fatal("held with nothing to do")
	}
	m.Fetch("model", []fetch.Request{{URL: o.FileURL(modelPath)}}, fetch.Options{})
	until(t, "the inhibitor is held", func() bool { held, _ := in.state(); return held })
	settle(t, m, "model")
	until(t, "the inhibitor is released", func() bool { held, _ := in.state(); return !held })
	if _, holds := in.state(); holds != 1 {
		t.Errorf("held %d times for one download", holds)
	}
}

// TestNetworkSettings: a proxy set in the settings carries the requests
// started after it; a bad one is refused with its sentence.
func TestNetworkSettings(t *testing.T) {
	o := newOrigin(t, 64<<10)
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		o.ServeHTTP(w, r) // a proxy in front of the origin: it gets the absolute URL
	}))
	defer proxy.Close()
	cfg := testConfig(t)
	m := start(t, cfg)
	if err := m.SetNetworkSettings(network.Settings{Proxy: "ftp://x"}); network.Sentence(err, 0) == "" {
		t.Errorf("a bad proxy gave %v, want a sentence", err)
	}
	if err := m.SetNetworkSettings(network.Settings{Proxy: proxy.URL}); err != nil {
		t.Fatal(err)
	}
	// Loopback is never proxied: ask through a name that is not.
	m.Fetch("model", []fetch.Request{{URL: "http://model.test/models/model.bin"}}, fetch.Options{})
	s := settle(t, m, "model")
	if s.State != fetch.StateSucceeded || proxied.Load() == 0 {
		t.Fatalf("state %s (%s), %d proxied requests", s.State, s.Message, proxied.Load())
	}
	checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
}
