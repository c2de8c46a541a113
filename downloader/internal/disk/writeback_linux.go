package disk

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// StartWriteback asks the kernel to start writing the n bytes of f at off
// to disk, without waiting for them: a later SyncData then finds them
// written or on their way instead of all still dirty. It makes nothing
// durable (no metadata, no disk cache flush), so it claims nothing; only
// SyncData does. A file system that cannot do it is not an error.
func StartWriteback(f *os.File, off, n int64) error {
	err := unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ESPIPE) {
		return nil
	}
	return err
}
