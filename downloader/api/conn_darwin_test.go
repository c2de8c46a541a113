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
const inq = 0x4004667f // FIONREAD, _IOR('f', 127, int), which x/sys lacks

// waitHangUp waits, without reading, until the server closes conn (a read
// would make room for the write the server may be stuck in), giving up at
// ctxT(tb)'s deadline. macOS's poll has no POLLRDHUP: kqueue's read filter
// says EV_EOF once the other end closed, whatever is still buffered.
func waitHangUp(tb testing.TB, conn net.Conn) {
	tb.Helper()
	deadline, _ := ctxT(tb).Deadline()
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	kq, err := unix.Kqueue()
	if err != nil {
		tb.Fatal(err)
	}
	defer unix.Close(kq)
	var hungUp bool
	var kerr error
	err = raw.Control(func(fd uintptr) {
		var change unix.Kevent_t
		unix.SetKevent(&change, int(fd), unix.EVFILT_READ, unix.EV_ADD)
		events := make([]unix.Kevent_t, 1)
		for !hungUp && kerr == nil && time.Now().Before(deadline) {
			timeout := unix.NsecToTimespec(int64(time.Until(deadline)))
			var n int
			n, kerr = unix.Kevent(kq, []unix.Kevent_t{change}, events, &timeout)
			if errors.Is(kerr, unix.EINTR) {
				kerr = nil
			}
			hungUp = n > 0 && events[0].Flags&unix.EV_EOF != 0
		}
	})
	if err = cmp.Or(err, kerr); err != nil {
		tb.Fatal(err)
	}
	if !hungUp {
		tb.Fatal("gave up waiting for the server to close the connection")
	}
}
