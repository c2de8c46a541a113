package disk

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Preallocate reserves size bytes for f, so that a full disk shows at the
// start rather than half way, and the blocks of a segmented file lie
// together. File systems that cannot reserve are not an error.
func Preallocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}

// BootID names this boot of the machine. Bytes written to a file but not
// yet synced survive the death of a process (they are in the page cache)
// but not a reboot, so the journal's written ranges are trusted only while
// the boot is the same.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// SyncData makes f's data durable without its timestamps: the size of a
// preallocated file does not change, so there is no metadata to wait for.
func SyncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
