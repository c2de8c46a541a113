//go:build !windows

package instance

import "os"

// openAppend opens path for appending, made 0600 if missing.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}
