package network

import (
	"context"
	"errors"
	"os"

	"github.com/godbus/dbus/v5"
)

// systemBus is the system bus's address: $DBUS_SYSTEM_BUS_ADDRESS, else
// the standard socket.
func systemBus() string {
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/run/dbus/system_bus_socket"
}

// dialBus opens a private connection to the bus at addr ("" is the system
// bus). The connection closes when ctx is done or when Close is called.
func dialBus(ctx context.Context, addr string) (*dbus.Conn, error) {
	if addr == "" {
		addr = systemBus()
	}
	return dbus.Connect(addr, dbus.WithContext(ctx))
}

// absent reports whether err, from dialBus or a call, means the service
// is not there (no bus, or no one owns its name) rather than that it
// answered with an error.
func absent(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner"
	}
	return true
}
