//go:build windows

package disk

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// trySharedLock locks the first byte of path once, as filelock's
// WindowsFileLock does (msvcrt.locking with LK_NBLCK on the file's first
// byte, which is LockFileEx underneath).
func trySharedLock(path string) (unlock func() error, held bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o664)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	h := windows.Handle(f.Fd())
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return nil, false, f.Close()
	}
	if err != nil {
		_ = f.Close()
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() error {
		return errors.Join(windows.UnlockFileEx(h, 0, 1, 0, ol), f.Close())
	}, true, nil
}
