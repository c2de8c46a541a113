package ui

import (
	"slices"
	"sync"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/network/bustest"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/godbus/dbus/v5"
)

// notifyCall is one Notify call the stand-in server received.
type notifyCall struct {
	id            uint32
	summary, body string
	actions       []string
	expire        int32
	desktopEntry  string
}

// notificationServer stands in for the desktop's notification daemon:
// it records Notify calls.
type notificationServer struct {
	mu    sync.Mutex
	calls []notifyCall
	poke  func()
}

func (s *notificationServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, expire int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := notifyCall{id: uint32(len(s.calls) + 1), summary: summary, body: body, actions: actions, expire: expire}
	if v, ok := hints["desktop-entry"]; ok {
		c.desktopEntry, _ = v.Value().(string)
	}
	s.calls = append(s.calls, c)
	s.poke()
	return c.id, nil
}

func (s *notificationServer) CloseNotification(uint32) *dbus.Error { return nil }

func (s *notificationServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "stand-in", "modelfetch tests", "1", "1.2", nil
}

func (s *notificationServer) recorded() []notifyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// notifyingHarness is a window whose notifications go over a private bus
// to a stand-in notification server, which it returns with the server's
// connection.
func notifyingHarness(t *testing.T) (*harness, *dbus.Conn, *notificationServer) {
	t.Helper()
	addr := bustest.Start(t)
	server := bustest.Connect(t, addr)
	stand := &notificationServer{}
	if err := server.Export(stand, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	if reply, err := server.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("could not own %s: %v (%v)", notifyName, err, reply)
	}
	h := newHarnessWith(t, false, func(o *Options) {
		o.Notify = nil // the window's own D-Bus notifier
		o.Bus = func() (*dbus.Conn, error) { return dbus.Connect(addr) }
	})
	stand.poke = h.poke
	return h, server, stand
}

func TestNotificationsOverDBus(t *testing.T) {
	h, server, stand := notifyingHarness(t)
	test.Tap(h.gemmaCard().button)
	h.waitFor("one Notify call", func() bool { return len(stand.recorded()) == 1 })
	c := stand.recorded()[0]
	file := firstPath(mustGet(t, h, "gemma-2b"))
	if c.summary != "Gemma 2B ready" || c.body != "g-2b-it-gpu-int4.bin in "+shortDir(file) {
		t.Errorf("got %q / %q, want the title and the file in a short folder", c.summary, c.body)
	}
	if c.expire != -1 {
		t.Errorf("got expire_timeout %d, want -1: the server's own expiry", c.expire)
	}
	if !slices.Contains(c.actions, actionOpen) || !slices.Contains(c.actions, actionClick) || c.desktopEntry != "io.github.modelfetch" {
		t.Errorf("got actions %q and desktop entry %q, want Open folder, the default action and ours", c.actions, c.desktopEntry)
	}
	// A click on Open folder reveals the file.
	if err := server.Emit(notifyPath, notifyName+".ActionInvoked", c.id, actionOpen); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the file to be revealed", func() bool { return len(h.revealed) == 1 })
	if h.revealed[0] != file {
		t.Errorf("got %q revealed, want %q", h.revealed[0], file)
	}
	// Once closed, a late click on an old id reveals nothing.
	if err := server.Emit(notifyPath, notifyName+".NotificationClosed", c.id, uint32(2)); err != nil {
		t.Fatal(err)
	}
	if err := server.Emit(notifyPath, notifyName+".ActionInvoked", c.id, actionClick); err != nil {
		t.Fatal(err)
	}
	// Signals arrive in order: once a click on a later notification is
	// seen, the late click was handled, and must have revealed nothing.
	ids := h.fetchURLs("second.bin")
	h.waitFor("a second Notify call", func() bool { return len(stand.recorded()) == 2 })
	if err := server.Emit(notifyPath, notifyName+".ActionInvoked", stand.recorded()[1].id, actionClick); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the second file to be revealed", func() bool { return len(h.revealed) >= 2 })
	want := []string{file, firstPath(mustGet(t, h, ids[0]))}
	if !slices.Equal(h.revealed, want) {
		t.Errorf("got %q revealed, want %q: nothing for a closed notification", h.revealed, want)
	}
}

func mustGet(t *testing.T, h *harness, id string) fetch.Snapshot {
	t.Helper()
	s, ok := h.m.Get(id)
	if !ok {
		t.Fatalf("no fetch %s", id)
	}
	return s
}

func TestCloseWithoutTrayHostAsks(t *testing.T) {
	addr := bustest.Start(t)
	h := newHarnessWith(t, true, func(o *Options) {
		o.Bus = func() (*dbus.Conn, error) { return dbus.Connect(addr) }
	})
	h.u.SetupTray(&fakeTray{})
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool { return h.rowState("gemma-2b") == "Downloading" })
	if h.u.hasTrayHost() {
		t.Fatal("got a tray host on a bus without a StatusNotifierWatcher")
	}
	h.u.closeWindow()
	h.waitFor("the question", func() bool { return h.u.dialog != nil })
	q := h.u.quitAsk
	if q == nil || h.u.dialog != q.dialog {
		t.Fatalf("got %T on closing, want the question", h.u.dialog)
	}
	h.u.typedKey(fyne.KeyEscape) // changes nothing
	if s := mustGet(t, h, "gemma-2b"); !s.Active() || s.Paused {
		t.Fatalf("got the download %s after Escape on the question, want it going on", s.State)
	}
	h.u.closeWindow()
	h.waitFor("the question again", func() bool { return h.u.dialog != nil })
	test.Tap(h.u.quitAsk.keep)
	select {
	case <-h.u.done:
		t.Fatal("got the app stopped, want it downloading in the background")
	default:
	}
	if s := mustGet(t, h, "gemma-2b"); !s.Active() || s.Paused {
		t.Errorf("got the download %s, want it going on", s.State)
	}

	watcher := bustest.Connect(t, addr)
	if _, err := watcher.RequestName(trayWatcher, dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	if !h.u.hasTrayHost() {
		t.Error("got no tray host with a StatusNotifierWatcher on the bus")
	}
	h.srv.Release()
}

func TestCloseAsksThenPausesAndQuits(t *testing.T) {
	h := newHarness(t, true) // no bus: no tray at all
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool { return h.rowState("gemma-2b") == "Downloading" })
	h.u.closeWindow()
	if h.u.quitAsk == nil || h.u.dialog != h.u.quitAsk.dialog {
		t.Fatalf("got %T on closing with a download going and no tray, want the question", h.u.dialog)
	}
	test.Tap(h.u.quitAsk.quit)
	select {
	case <-h.u.done:
	default:
		t.Fatal("got the window's poller still running after Pause and quit")
	}
	if s := mustGet(t, h, "gemma-2b"); !s.Paused {
		t.Errorf("got the download %s after Pause and quit, want it paused", s.State)
	}
	h.srv.Release()
}

func TestCloseQuitsWhenNothingDownloads(t *testing.T) {
	h := newHarness(t, false)
	h.u.closeWindow()
	select {
	case <-h.u.done:
	default:
		t.Fatalf("got the app still running (dialog %T), want it quit at once", h.u.dialog)
	}
}

func TestNotifierFallsBackWithoutServer(t *testing.T) {
	for name, connect := range map[string]func() (*dbus.Conn, error){
		"no bus": func() (*dbus.Conn, error) { return nil, errNoBus },
		// A bus where nothing owns org.freedesktop.Notifications.
		"no server": func() (*dbus.Conn, error) { return dbus.Connect(bustest.Start(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			got := make(chan note, 1)
			n := startNotifier(connect, func(string) { t.Error("got a reveal without a click") }, func(nt note) { got <- nt })
			defer n.close()
			want := note{title: "Gemma 2B ready", body: "g.bin in ~/Models", reveal: "/home/ada/Models/g.bin"}
			n.send(want)
			if nt := <-got; nt != want {
				t.Errorf("got %+v through the fallback, want %+v", nt, want)
			}
		})
	}
}
