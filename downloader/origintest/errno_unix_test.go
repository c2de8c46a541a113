//go:build unix

package origintest

import "syscall"

// errRefused is how the system says nothing listens at a port.
var errRefused error = syscall.ECONNREFUSED
