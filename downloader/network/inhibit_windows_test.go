package network

import "testing"

// TestInhibitorWindows holds and releases SetThreadExecutionState's
// state on its own thread, twice, and says what happened.
func TestInhibitorWindows(t *testing.T) {
	var log logBuffer
	in := NewInhibitor("", log.logger())
	for range 2 {
		in.Hold(t.Context())
		in.Hold(t.Context())
		if in.held == nil {
			t.Fatalf("Hold holds nothing; log: %q", log.lines())
		}
		in.Release()
		if in.held != nil {
			t.Fatal("Release kept the hold")
		}
	}
	if lines := log.lines(); len(lines) != 1 || lines[0] != "" {
		t.Errorf("the log says %q, want nothing", lines)
	}
}
