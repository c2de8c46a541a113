package downloader

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// preallocate reserves size bytes for f, so that a full disk shows at the
// start rather than half way, and the blocks of a segmented file lie
// together. File systems that cannot reserve are not an error.
func preallocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}

// fdatasync makes f's data durable without its timestamps: the size of a
// preallocated file does not change, so there is no metadata to wait for.
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
