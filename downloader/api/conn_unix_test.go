//go:build unix

package api

import (
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// queued is how many bytes wait in conn for the client to read.
func queued(t *testing.T, conn net.Conn) int {
	t.Helper()
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var qerr error
	if err := raw.Control(func(fd uintptr) { n, qerr = unix.IoctlGetInt(int(fd), inq) }); err != nil {
		t.Fatal(err)
	}
	if qerr != nil {
		t.Fatal(qerr)
	}
	return n
}
