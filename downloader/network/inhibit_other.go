//go:build !linux && !windows && !darwin

package network

import (
	"context"
	"errors"
	"io"
)

// take has no means on this system.
func (i *Inhibitor) take(context.Context) (io.Closer, error) {
	return nil, &unavailableError{means: "a sleep inhibitor", err: errors.ErrUnsupported}
}
