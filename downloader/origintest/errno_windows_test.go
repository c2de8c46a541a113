package origintest

import "golang.org/x/sys/windows"

// errRefused is how the system says nothing listens at a port: Winsock's
// own number, which Go's syscall.ECONNREFUSED is not.
var errRefused error = windows.WSAECONNREFUSED
