package network

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fullListener is an address on 127.0.0.1 where a connection is never
// made: a socket that listens with no room in its queue and never
// accepts, after one connection filled it. Linux drops the SYNs that
// follow, so that connecting waits as for a host that does not answer.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	for range 8 { // fill the queue until a connection is not made
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Skip("the listen queue never filled")
	return ""
}

// TestBoundConnect: a connection not made within the connect bound fails
// as ServerNotAnswering, naming host:port.
func TestBoundConnect(t *testing.T) {
	addr := fullListener(t)
	const connect = 200 * time.Millisecond
	tr := &http.Transport{}
	Bound(tr, connect, time.Minute)
	u := "http://" + addr + "/model.gguf"
	began := time.Now()
	err := do(t, &http.Client{Transport: tr}, u)
	took := time.Since(began)
	if e := wantKind(t, err, u, ServerNotAnswering); e.Host != addr {
		t.Errorf("Host = %q, want %q", e.Host, addr)
	}
	if took < connect || took > connect+2*time.Second {
		t.Errorf("failed after %v, want about %v", took, connect)
	}
}
