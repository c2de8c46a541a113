//go:build unix

package disk

import (
	"errors"
	"fmt"
	"os"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"golang.org/x/sys/unix"
)

// FreeSpace is the bytes an unprivileged user may still write in dir.
func FreeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// IsNoSpace reports whether err means the disk (or quota) is full.
func IsNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// Lock takes an exclusive lock on the file at path, made if missing,
// held until the returned file is closed or the process dies. Another
// holder is ErrLocked: the caller does not wait.
func Lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fetch.ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// SyncDir makes a rename in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// openRead opens path for reading; others may still rename or remove it.
func openRead(path string) (*os.File, error) { return os.Open(path) }

// rename moves src over dst, replacing it; SyncDir makes it durable.
func rename(src, dst string) error { return os.Rename(src, dst) }

// crossDevice reports whether a rename failed because its two names are
// on different file systems.
func crossDevice(err error) bool { return errors.Is(err, unix.EXDEV) }
