package network

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	login1Name = "org.freedesktop.login1"
	login1Path = "/org/freedesktop/login1"
)

// Inhibitor keeps the computer from sleeping while downloads run, with a
// systemd-logind "sleep" inhibitor in "block" mode: logind holds it until
// the file descriptor it hands out is closed. Without logind (no system
// bus, or no one owns its name) Hold does nothing and says so once in the
// log. Hold and Release are idempotent and safe from several goroutines;
// the engine calls Hold when a download starts running and Release when
// none runs, and must call Release before it exits.
type Inhibitor struct {
	bus string // "" is the system bus
	log *slog.Logger

	mu   sync.Mutex
	fd   *os.File // held while not nil
	told bool     // a failure was logged
}

// NewInhibitor is an Inhibitor talking to logind on the bus at addr (""
// is the system bus), logging to log (nil: nowhere).
func NewInhibitor(addr string, log *slog.Logger) *Inhibitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Inhibitor{bus: addr, log: log}
}

// inhibitTimeout bounds the call to logind, which Release waits behind.
const inhibitTimeout = 10 * time.Second

// Hold takes the inhibitor unless it is held.
func (i *Inhibitor) Hold(ctx context.Context) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fd != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, inhibitTimeout)
	defer cancel()
	fd, err := i.inhibit(ctx, "sleep", "ModelFetch", "ModelFetch is downloading", "block")
	if err != nil {
		i.tell(err)
		return
	}
	i.fd = fd
}

// Release lets the computer sleep again, if Hold held it.
func (i *Inhibitor) Release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fd == nil {
		return
	}
	if err := i.fd.Close(); err != nil {
		i.log.Warn("releasing the sleep inhibitor", "err", err)
	}
	i.fd = nil
}

// inhibit is org.freedesktop.login1.Manager.Inhibit: the returned file is
// the inhibitor, released when it is closed.
func (i *Inhibitor) inhibit(ctx context.Context, what, who, why, mode string) (*os.File, error) {
	conn, err := dialBus(ctx, i.bus)
	if err != nil {
		return nil, err
	}
	defer func() {
		// The inhibitor lives on in the descriptor, not in the connection.
		if err := conn.Close(); err != nil {
			i.log.Debug("closing the system bus connection", "err", err)
		}
	}()
	var fd dbus.UnixFD
	err = conn.Object(login1Name, login1Path).CallWithContext(ctx, login1Name+".Manager.Inhibit", 0, what, who, why, mode).Store(&fd)
	if err != nil {
		return nil, fmt.Errorf("inhibit %s: %w", what, err)
	}
	return os.NewFile(uintptr(fd), "logind inhibitor"), nil
}

// tell logs the first failure to hold the inhibitor; later ones would
// only repeat it at every download.
func (i *Inhibitor) tell(err error) {
	if i.told {
		return
	}
	i.told = true
	if absent(err) {
		i.log.Info("systemd-logind is not available, so the computer may sleep during downloads", "err", err)
		return
	}
	i.log.Warn("the computer could not be kept awake during downloads", "err", err)
}
