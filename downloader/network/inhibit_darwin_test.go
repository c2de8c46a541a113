package network

import (
	"syscall"
	"testing"
)

// TestInhibitorDarwin holds a caffeinate child while held, and ends it
// on Release.
func TestInhibitorDarwin(t *testing.T) {
	var log logBuffer
	in := NewInhibitor("", log.logger())
	in.Hold(t.Context())
	c, ok := in.held.(caffeinate)
	if !ok {
		t.Fatalf("Hold holds %T; log: %q", in.held, log.lines())
	}
	if err := c.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("caffeinate is not running: %v", err)
	}
	in.Release()
	if c.cmd.ProcessState == nil {
		t.Error("Release did not wait for caffeinate to end")
	}
}
