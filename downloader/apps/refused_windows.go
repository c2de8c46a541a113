//go:build windows

package apps

import (
	"errors"
	"syscall"
)

// Windows' answers to CreateHardLink when the volume will not make the
// link: another volume, a file system without hard links (FAT), or too
// many links to the file.
const (
	errorNotSameDevice syscall.Errno = 17
	errorInvalidFunc   syscall.Errno = 1
	errorNotSupported  syscall.Errno = 50
	errorTooManyLinks  syscall.Errno = 1142
)

// linkRefused reports whether a hard link failed because the volume will
// not make it, so that a copy is the way left.
func linkRefused(err error) bool {
	for _, e := range []syscall.Errno{errorNotSameDevice, errorInvalidFunc, errorNotSupported, errorTooManyLinks} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
