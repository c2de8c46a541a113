//go:build !windows

package network

import "syscall"

// The errors of a connection, as this system's sockets give them.
var (
	// refusedErrors: the host answered that nothing listens at the port.
	refusedErrors = []error{syscall.ECONNREFUSED}
	// unreachableErrors: no way to the host, or no answer to connecting.
	unreachableErrors = []error{syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT}
	// lostErrors: an open connection was reset or broken.
	lostErrors = []error{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED}
)
