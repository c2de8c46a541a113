// Package bustest gives a test a D-Bus daemon of its own, for the tests
// of what speaks D-Bus: the network's view (NetworkManager, logind), the
// Secret Service, the desktop's notifications and tray.
package bustest

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Start runs dbus-daemon with args (a session bus when there are none)
// until the test ends, and returns the address it listens on. It skips
// the test where dbus-daemon is not installed.
func Start(t testing.TB, args ...string) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed (Debian: dbus)")
	}
	if len(args) == 0 {
		args = []string{"--session"}
	}
	cmd := exec.Command(daemon, append(args, "--nofork", "--print-address")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = testLog{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed: its error says only that
	})
	// The daemon prints its address once it listens.
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// Connect opens a connection to the bus at addr, closed when the test
// ends.
func Connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// testLog is an io.Writer to the test's log.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
