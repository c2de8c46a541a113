//go:build !linux

package downloader

import "os"

// preallocate does nothing where the system has no fallocate: segments are
// written with WriteAt, which extends the file as needed.
func preallocate(*os.File, int64) error { return nil }

// fdatasync is a full sync where the system has no fdatasync.
func fdatasync(f *os.File) error { return f.Sync() }

// bootID is empty where the system does not say which boot this is: the
// journal's written ranges are then never trusted, only its synced ones.
func bootID() string { return "" }
