//go:build !linux

package disk

import "os"

// Preallocate sets f's length to size where the system has no fallocate.
// On NTFS that reserves the clusters (the file is not sparse), so that a
// full disk shows at the start (ERROR_DISK_FULL) rather than half way;
// elsewhere (APFS) the file is sparse and nothing is reserved. Either way
// the file is as long as a resume expects. NTFS fills a gap before a write
// with zeros once a write lands past what was written so far; pieces are
// handed out in file order, so those gaps stay a few pieces long.
// (FileAllocationInfo would reserve on NTFS without the length, but wine
// does not implement it, and the length is what Linux's fallocate sets.)
func Preallocate(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil || st.Size() >= size {
		return err
	}
	return f.Truncate(size)
}

// SyncData is a full sync where the system has no fdatasync
// (FlushFileBuffers on Windows).
func SyncData(f *os.File) error { return f.Sync() }
