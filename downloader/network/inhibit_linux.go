package network

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/godbus/dbus/v5"
)

const (
	login1Name = "org.freedesktop.login1"
	login1Path = "/org/freedesktop/login1"
)

// take is org.freedesktop.login1.Manager.Inhibit("sleep", …, "block"):
// logind holds the inhibitor until the file descriptor it hands out,
// returned here, is closed.
func (i *Inhibitor) take(ctx context.Context) (io.Closer, error) {
	conn, err := dialBus(ctx, i.bus)
	if err != nil {
		return nil, &unavailableError{means: "systemd-logind", err: err}
	}
	defer func() {
		// The inhibitor lives on in the descriptor, not in the connection.
		if err := conn.Close(); err != nil {
			i.log.Debug("closing the system bus connection", "err", err)
		}
	}()
	var fd dbus.UnixFD
	err = conn.Object(login1Name, login1Path).CallWithContext(ctx, login1Name+".Manager.Inhibit", 0,
		"sleep", "ModelFetch", "ModelFetch is downloading", "block").Store(&fd)
	if err != nil {
		if absent(err) {
			return nil, &unavailableError{means: "systemd-logind", err: err}
		}
		return nil, fmt.Errorf("inhibit sleep: %w", err)
	}
	return os.NewFile(uintptr(fd), "logind inhibitor"), nil
}
