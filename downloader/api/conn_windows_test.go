package api

import (
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// otherUser is a user other than the test's (a SID no machine gives out).
func otherUser() userID { return "S-1-5-21-0-0-0-1001" }

// pipeLocal is FILE_PIPE_LOCAL_INFORMATION.
type pipeLocal struct {
	Type, Configuration, MaxInstances, Instances, InQuota, ReadAvailable, OutQuota, WriteQuotaAvailable, State, End uint32
}

// filePipeLocalInformation is NtQueryInformationFile's class for pipeLocal.
const filePipeLocalInformation = 24

// peek is what the client end conn of a pipe holds unread, and whether the
// server closed its end (the pipe is closing, whatever is still unread).
func peek(tb testing.TB, conn net.Conn) (avail uint32, closed bool) {
	tb.Helper()
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	var info pipeLocal
	var qerr error
	if err := raw.Control(func(h uintptr) {
		var iosb windows.IO_STATUS_BLOCK
		qerr = windows.NtQueryInformationFile(windows.Handle(h), &iosb, (*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), filePipeLocalInformation)
	}); err != nil {
		tb.Fatal(err)
	}
	if qerr != nil {
		tb.Fatal(qerr)
	}
	return info.ReadAvailable, info.State == windows.FILE_PIPE_CLOSING_STATE
}

// queued is how many bytes wait in conn for the client to read.
func queued(t *testing.T, conn net.Conn) int {
	avail, _ := peek(t, conn)
	return int(avail)
}

// waitHangUp waits, without reading, until the server closes conn (a read
// would make room for the write the server may be stuck in), giving up at
// ctxT(tb)'s deadline. Nothing signals that on a pipe, so it looks every
// 10 ms.
func waitHangUp(tb testing.TB, conn net.Conn) {
	tb.Helper()
	ctx := ctxT(tb)
	look := time.NewTicker(10 * time.Millisecond)
	defer look.Stop()
	for {
		if _, closed := peek(tb, conn); closed {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatal("gave up waiting for the server to close the connection")
		case <-look.C:
		}
	}
}
