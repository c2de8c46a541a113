package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"golang.org/x/sys/windows"
)

// FreeSpace is the bytes the user may still write in dir: the caller's
// figure, which already counts a disk quota.
func FreeSpace(dir string) (int64, error) {
	var avail, total, free uint64
	p, err := windows.UTF16PtrFromString(longPath(dir))
	if err == nil {
		err = windows.GetDiskFreeSpaceEx(p, &avail, &total, &free)
	}
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return int64(min(avail, 1<<63-1)), nil
}

// IsNoSpace reports whether err means the disk (or quota) is full.
func IsNoSpace(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) ||
		errors.Is(err, windows.ERROR_DISK_QUOTA_EXCEEDED)
}

// Lock takes an exclusive lock on the first byte of the file at path,
// made if missing, held until the returned file is closed or the process
// dies. Windows' locks are mandatory, which is why only a file of its own
// is ever locked, never one that is read or written. Another holder is
// ErrLocked: the caller does not wait.
func Lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	if err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, fetch.ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// SyncDir does nothing: Windows cannot open a folder to flush it, and the
// renames that must survive a crash are made with MOVEFILE_WRITE_THROUGH
// (see rename), which returns only once the rename is on disk.
func SyncDir(string) error { return nil }

// crossDevice reports whether a rename failed because its two names are
// on different volumes.
func crossDevice(err error) bool { return errors.Is(err, windows.ERROR_NOT_SAME_DEVICE) }

// openRead opens path for reading, sharing it for deletion too: a file
// opened as os.Open opens one cannot be renamed or deleted until it is
// closed, and hashing a large finished file takes a while, during which a
// person may delete it in Explorer, or a download replace it.
func openRead(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(longPath(path))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// busyFor is how long a rename waits for whatever holds one of its files
// (a virus scanner or an indexer opens a new file for a moment); Go's own
// tools wait as long (cmd/internal/robustio).
const busyFor = 2 * time.Second

// rename moves src over dst, replacing it, and returns once the rename is
// on disk. Windows refuses to rename a file that is open anywhere without
// FILE_SHARE_DELETE (a sharing violation) and to replace one that is open
// (access denied): the engine closes its own files first, and waits a
// little for other programs' to be closed.
func rename(src, dst string) error {
	from, err := windows.UTF16PtrFromString(longPath(src))
	if err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	to, err := windows.UTF16PtrFromString(longPath(dst))
	if err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	wait := 10 * time.Millisecond
	for start := time.Now(); ; wait = min(2*wait, 250*time.Millisecond) {
		err = windows.MoveFileEx(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
		if err == nil {
			return nil
		}
		if !busy(err) || time.Since(start) > busyFor {
			return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
		}
		time.Sleep(wait)
	}
}

// busy reports whether err may be another program holding the file for a
// moment.
func busy(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// longPath is an absolute path as the wide-character calls take one past
// MAX_PATH (260 characters): with the \\?\ prefix (\\?\UNC\ for a share).
// Go's os package does the same for its own calls; this is for the calls
// made here directly. The prefix turns off the system's clean-up of the
// path, so the path is cleaned first.
func longPath(p string) string {
	// 248: a folder's name must leave room for an 8.3 file name (MAX_PATH-12).
	if len(p) < 248 || !filepath.IsAbs(p) || strings.HasPrefix(p, `\\?\`) || strings.HasPrefix(p, `\\.\`) {
		return p
	}
	p = filepath.Clean(p)
	if strings.HasPrefix(p, `\\`) {
		return `\\?\UNC\` + p[2:]
	}
	return `\\?\` + p
}

// timeOfDay is SYSTEM_TIMEOFDAY_INFORMATION.
type timeOfDay struct {
	BootTime, CurrentTime, TimeZoneBias int64
	TimeZoneID, Reserved                uint32
	BootTimeBias, SleepTimeBias         uint64
}

// BootID names this boot of the machine by the time it started, as the
// kernel keeps it (in 100 ns since 1601). Bytes written but not yet synced
// survive the death of a process but not a reboot, so the journal's
// written ranges are trusted only while the boot is the same. Setting the
// clock moves the kernel's boot time too: the journal then only distrusts
// a few seconds of written bytes, which is safe.
func BootID() string {
	var t timeOfDay
	err := windows.NtQuerySystemInformation(int32(windows.SystemTimeOfDayInformation), unsafe.Pointer(&t), uint32(unsafe.Sizeof(t)), nil)
	if err != nil || t.BootTime == 0 {
		return ""
	}
	return "nt-" + strconv.FormatInt(t.BootTime, 10)
}
