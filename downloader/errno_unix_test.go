//go:build unix

package downloader

import "syscall"

// errNetUnreachable is how the system says no route leads to a host.
var errNetUnreachable error = syscall.ENETUNREACH
