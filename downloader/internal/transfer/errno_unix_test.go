//go:build unix

package transfer

import "syscall"

// The system's errors of a connection the tests make up.
var (
	errRefused  error = syscall.ECONNREFUSED
	errTimedOut error = syscall.ETIMEDOUT
)
