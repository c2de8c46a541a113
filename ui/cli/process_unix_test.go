//go:build unix

package cli

import (
	"io/fs"
	"os"
	"syscall"
	"testing"
)

// interrupt is Ctrl-C in the process's terminal.
func (p *proc) interrupt(t *testing.T) { p.signal(t, os.Interrupt) }

// terminate asks the process to stop, as a service manager does.
func (p *proc) terminate(t *testing.T) { p.signal(t, syscall.SIGTERM) }

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// checkStaleSocket checks that a killed server left its socket behind, as
// the test of what comes after needs.
func checkStaleSocket(t *testing.T, path string) {
	t.Helper()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("after kill -9 the socket is not left behind (%v), so the test shows nothing", err)
	}
}
