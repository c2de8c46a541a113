package transfer

import "golang.org/x/sys/windows"

// The system's errors of a connection the tests make up: Winsock's own
// numbers, which Go's syscall.E* are not.
var (
	errRefused  error = windows.WSAECONNREFUSED
	errTimedOut error = windows.WSAETIMEDOUT
)
