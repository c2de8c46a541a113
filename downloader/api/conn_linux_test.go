package api

import (
	"cmp"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inq asks a socket how many bytes wait to be read.
const inq = unix.SIOCINQ

// waitHangUp waits, without reading, until the server closes conn (a read
// would make room for the write the server may be stuck in), giving up at
// ctxT(tb)'s deadline.
func waitHangUp(tb testing.TB, conn net.Conn) {
	tb.Helper()
	deadline, _ := ctxT(tb).Deadline()
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	var n int
	var perr error
	err = raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		for {
			n, perr = unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
			if !errors.Is(perr, unix.EINTR) {
				return
			}
		}
	})
	if err = cmp.Or(err, perr); err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		tb.Fatal("gave up waiting for the server to close the connection")
	}
}
