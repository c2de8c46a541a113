//go:build unix

package apps

import (
	"errors"
	"syscall"
)

// linkRefused reports whether a hard link failed because the file system
// will not make it (another file system, no hard links, too many links,
// or links to files of another owner forbidden), so that a copy is the
// way left; a folder that cannot be written is not such a refusal.
func linkRefused(err error) bool {
	for _, e := range []syscall.Errno{syscall.EXDEV, syscall.EPERM, syscall.EMLINK, syscall.ENOTSUP, syscall.EOPNOTSUPP} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
