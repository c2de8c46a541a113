package network

import (
	"os"
	"sync"
	"testing"
)

func TestInhibitor(t *testing.T) {
	addr := privateBus(t)
	logind := startLogind(t, addr)
	var log logBuffer
	in := NewInhibitor(addr, log.logger())

	in.Hold(t.Context())
	if n := logind.held(t, 1); n != 1 {
		t.Fatalf("after Hold, %d inhibitors held, want 1 (log: %q)", n, log.lines())
	}
	if got, want := logind.calls[0], [4]string{"sleep", "ModelFetch", "ModelFetch is downloading", "block"}; got != want {
		t.Errorf("Inhibit(%q), want Inhibit(%q)", got, want)
	}
	in.Hold(t.Context())
	if n := logind.callCount(); n != 1 {
		t.Errorf("a second Hold called Inhibit again: %d calls, want 1", n)
	}
	in.Release()
	if n := logind.held(t, 0); n != 0 {
		t.Fatalf("after Release, %d inhibitors held, want 0", n)
	}
	in.Release()
	in.Hold(t.Context())
	if n, calls := logind.held(t, 1), logind.callCount(); n != 1 || calls != 2 {
		t.Fatalf("Hold after Release: %d held after %d calls, want 1 after 2", n, calls)
	}
	in.Release()
	if n := logind.held(t, 0); n != 0 {
		t.Fatalf("after the last Release, %d inhibitors held, want 0", n)
	}
}

func TestInhibitorConcurrent(t *testing.T) {
	addr := privateBus(t)
	logind := startLogind(t, addr)
	in := NewInhibitor(addr, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				if (i+j)%2 == 0 {
					in.Hold(t.Context())
				} else {
					in.Release()
				}
			}
		})
	}
	wg.Wait()
	in.Hold(t.Context())
	if n := logind.held(t, 1); n != 1 {
		t.Fatalf("after Holds and Releases from 8 goroutines and a last Hold, %d inhibitors held, want 1", n)
	}
	in.Release()
	if n := logind.held(t, 0); n != 0 {
		t.Fatalf("after the last Release, %d inhibitors held, want 0 (of %d taken)", n, logind.callCount())
	}
}

func TestInhibitorWithoutLogind(t *testing.T) {
	for name, addr := range map[string]string{
		"no one owns login1": privateBus(t),
		"no bus":             noBus,
	} {
		t.Run(name, func(t *testing.T) {
			var log logBuffer
			in := NewInhibitor(addr, log.logger())
			for range 3 {
				in.Hold(t.Context())
				in.Release()
			}
			in.Hold(t.Context())
			if lines := log.lines(); len(lines) != 1 || lines[0] == "" {
				t.Errorf("the log says %q, want one line", lines)
			}
			if in.held != nil {
				t.Error("Hold holds something without logind")
			}
		})
	}
}

// TestInhibitorThisMachine holds the inhibitor on this machine's own
// system bus and says what happened.
func TestInhibitorThisMachine(t *testing.T) {
	var log logBuffer
	in := NewInhibitor("", log.logger())
	in.Hold(t.Context())
	held := in.held != nil
	in.Release()
	t.Logf("system bus %s: inhibitor held: %v; log: %q", systemBus(), held, log.lines())
	if _, err := os.Stat("/run/dbus/system_bus_socket"); os.IsNotExist(err) && os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" && held {
		t.Error("held an inhibitor without a system bus")
	}
}
