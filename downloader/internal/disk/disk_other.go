//go:build !linux && !windows

package disk

import "os"

// Preallocate does nothing where the system has no fallocate: segments are
// written with WriteAt, which extends the file as needed.
func Preallocate(*os.File, int64) error { return nil }

// SyncData is a full sync where the system has no fdatasync.
func SyncData(f *os.File) error { return f.Sync() }

// BootID is empty where the system does not say which boot this is: the
// journal's written ranges are then never trusted, only its synced ones.
func BootID() string { return "" }
