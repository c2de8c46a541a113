package downloader

import "golang.org/x/sys/windows"

// errNetUnreachable is how the system says no route leads to a host:
// Winsock's own number, which Go's syscall.ENETUNREACH is not.
var errNetUnreachable error = windows.WSAENETUNREACH
