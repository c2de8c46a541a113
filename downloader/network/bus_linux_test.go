package network

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
	"golang.org/x/sys/unix"

	"github.com/modelfetch/modelfetch/downloader/network/bustest"
)

// privateBus starts a dbus-daemon of its own, standing in for the system
// bus, and returns its address. It skips the test without dbus-daemon.
func privateBus(t *testing.T) string {
	return bustest.Start(t, "--config-file=testdata/bus.conf", "--address=unix:path="+t.TempDir()+"/bus")
}

// own makes conn the owner of name, as the real service is.
func own(t *testing.T, conn *dbus.Conn, name string) {
	t.Helper()
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v, %v", name, reply, err)
	}
}

// fakeNM stands in for NetworkManager: its Manager object's properties,
// changed with set, which emits PropertiesChanged as NetworkManager does.
type fakeNM struct {
	conn  *dbus.Conn
	props *prop.Properties
}

func startNM(t *testing.T, addr string, connectivity, state, metered uint32) *fakeNM {
	t.Helper()
	conn := bustest.Connect(t, addr)
	p := func(v any) *prop.Prop { return &prop.Prop{Value: v, Emit: prop.EmitTrue} }
	props, err := prop.Export(conn, nmPath, prop.Map{nmName: {
		"Connectivity":               p(connectivity),
		"State":                      p(state),
		"Metered":                    p(metered),
		"ConnectivityCheckUri":       p("http://nmcheck.gnome.org/check_network_status.txt"),
		"ConnectivityCheckEnabled":   p(true),
		"ConnectivityCheckAvailable": p(true),
	}})
	if err != nil {
		t.Fatal(err)
	}
	own(t, conn, nmName)
	return &fakeNM{conn: conn, props: props}
}

func (n *fakeNM) set(name string, v any) { n.props.SetMust(nmName, name, v) }

// stop gives up NetworkManager's name, as when it stops.
func (n *fakeNM) stop(t *testing.T) {
	t.Helper()
	if _, err := n.conn.ReleaseName(nmName); err != nil {
		t.Fatal(err)
	}
}

// fakeLogind stands in for systemd-logind's Manager.Inhibit: each call
// gets the write end of a new pipe; the read end tells whether the caller
// still holds it.
type fakeLogind struct {
	mu    sync.Mutex
	calls [][4]string
	reads []*os.File
	own   []*os.File // our copies of the write ends, until the reply is out
}

func startLogind(t *testing.T, addr string) *fakeLogind {
	t.Helper()
	conn := bustest.Connect(t, addr)
	l := &fakeLogind{}
	if err := conn.Export(l, login1Path, login1Name+".Manager"); err != nil {
		t.Fatal(err)
	}
	own(t, conn, login1Name)
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, f := range append(l.reads, l.own...) {
			_ = f.Close()
		}
	})
	return l
}

// Inhibit is the D-Bus method.
func (l *fakeLogind) Inhibit(what, who, why, mode string) (dbus.UnixFD, *dbus.Error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, [4]string{what, who, why, mode})
	l.reads = append(l.reads, r)
	l.own = append(l.own, w)
	return dbus.UnixFD(w.Fd()), nil
}

// held waits until want inhibitors are held, for at most 5 s, and returns
// how many are. Call it only after Hold returned: the reply, with its copy
// of the descriptor, is then out, and our own copies can go. dbus-daemon
// closes its copy a moment after passing it on, so a release shows only
// when that copy is gone too.
func (l *fakeLogind) held(t *testing.T, want int) int {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.own {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	l.own = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		// A pipe's read end reports POLLHUP once every write end is closed.
		fds := make([]unix.PollFd, len(l.reads))
		for i, r := range l.reads {
			fds[i] = unix.PollFd{Fd: int32(r.Fd()), Events: unix.POLLIN}
		}
		if _, err := unix.Poll(fds, 0); err != nil {
			t.Fatal(err)
		}
		var open []unix.PollFd
		for _, fd := range fds {
			if fd.Revents&unix.POLLHUP == 0 {
				open = append(open, unix.PollFd{Fd: fd.Fd, Events: unix.POLLIN})
			}
		}
		if len(open) == want || time.Now().After(deadline) {
			return len(open)
		}
		// Wakes as soon as one more is released.
		if _, err := unix.Poll(open, 100); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
	}
}

func (l *fakeLogind) callCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}
