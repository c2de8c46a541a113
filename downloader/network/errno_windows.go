package network

import "golang.org/x/sys/windows"

// The errors of a connection, as Winsock gives them: Go's syscall.E*
// constants are Unix numbers, which a Windows socket never returns.
var (
	// refusedErrors: the host answered that nothing listens at the port.
	refusedErrors = []error{windows.WSAECONNREFUSED}
	// unreachableErrors: no way to the host, or no answer to connecting.
	unreachableErrors = []error{windows.WSAEHOSTUNREACH, windows.WSAENETUNREACH, windows.WSAETIMEDOUT}
	// lostErrors: an open connection was reset or broken.
	lostErrors = []error{windows.WSAECONNRESET, windows.WSAECONNABORTED, windows.ERROR_BROKEN_PIPE}
)
