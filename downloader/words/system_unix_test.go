//go:build unix

package words

import "golang.org/x/sys/unix"

// The system's numbers for the errors TestSentence words.
var (
	errnoRefused     = unix.ECONNREFUSED
	errnoDenied      = unix.EACCES
	errnoNoSpace     = unix.ENOSPC
	errnoReadOnly    = unix.EROFS
	errnoIO          = unix.EIO
	errnoCrossDevice = unix.EXDEV
	errnoNotDir      = unix.ENOTDIR
	errnoInUse       = unix.EADDRINUSE
)
