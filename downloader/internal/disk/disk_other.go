//go:build !linux && !windows

package disk

// BootID is empty where the system does not say which boot this is: the
// journal's written ranges are then never trusted, only its synced ones.
func BootID() string { return "" }
