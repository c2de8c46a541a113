package network

import (
	"context"
	"errors"

	"github.com/godbus/dbus/v5"
)

const (
	nmName = "org.freedesktop.NetworkManager"
	nmPath = "/org/freedesktop/NetworkManager"
)

// NetworkManager's NMConnectivityState, NMState and NMMetered values.
const (
	nmConnNone    = 1
	nmConnPortal  = 2
	nmConnLimited = 3
	nmConnFull    = 4

	nmStateConnectedGlobal = 70

	nmMeteredYes      = 1
	nmMeteredGuessYes = 3
)

// errNMUnknown is a NetworkManager that knows neither its connectivity
// nor its state (it is starting).
var errNMUnknown = errors.New("NetworkManager knows no state")

// fromNM reads NetworkManager's properties, on Run's connection or on one
// of its own.
func (v *system) fromNM(ctx context.Context) (Status, error) {
	v.mu.Lock()
	conn := v.conn
	v.mu.Unlock()
	if conn == nil {
		c, err := dialBus(ctx, v.cfg.Bus)
		if err != nil {
			return Status{}, err
		}
		defer v.closeBus(c)
		conn = c
	}
	var props map[string]dbus.Variant
	err := conn.Object(nmName, nmPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, nmName).Store(&props)
	if err != nil {
		return Status{}, err
	}
	uri, _ := props["ConnectivityCheckUri"].Value().(string)
	s, ok := nmStatus(u32(props["Connectivity"]), u32(props["State"]), u32(props["Metered"]), uri)
	if s.Source == FromNetworkManager && !(checks(props["ConnectivityCheckEnabled"]) && checks(props["ConnectivityCheckAvailable"])) {
		// Without its check NetworkManager guesses "full" from a default
		// route: no better than the routes.
		s.Source = FromNetworkManagerState
	}
	if !ok {
		return Status{}, errNMUnknown
	}
	return s, nil
}

// checks reads a connectivity check flag; NetworkManager before 1.10 has
// none, and checks when it is configured to.
func checks(v dbus.Variant) bool {
	b, ok := v.Value().(bool)
	return b || !ok
}

func u32(v dbus.Variant) uint32 {
	n, _ := v.Value().(uint32)
	return n
}

// nmStatus turns NetworkManager's properties into a Status; ok is false
// when it knows nothing. Limited connectivity (a network without the
// internet) counts as Offline: waiting costs nothing, and failing a fetch
// because the internet is out is what a person must not see (Judge still
// takes the failure of a server on the LAN, a mirror, as the server's).
// Without a
// connectivity check, only a global connection state is Online.
func nmStatus(connectivity, state, metered uint32, checkURI string) (s Status, ok bool) {
	s.Metered = metered == nmMeteredYes || metered == nmMeteredGuessYes
	s.Source = FromNetworkManager
	switch connectivity {
	case nmConnFull:
		s.State = Online
	case nmConnPortal:
		s.State, s.PortalURL = Portal, checkURI
	case nmConnNone, nmConnLimited:
		s.State = Offline
	default:
		if state == 0 {
			return Status{}, false
		}
		s.Source, s.State = FromNetworkManagerState, Offline
		if state == nmStateConnectedGlobal {
			s.State = Online
		}
	}
	return s, true
}

// watch connects Run to the bus and subscribes it to NetworkManager's
// changes; the channel is closed when the connection ends. Without a bus
// it returns nil: the poll will try again.
func (v *system) watch(ctx context.Context) <-chan signal {
	conn, err := dialBus(ctx, v.cfg.Bus)
	if err != nil {
		return nil
	}
	err = conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(nmPath), dbus.WithMatchMember("PropertiesChanged"))
	if err == nil {
		// NetworkManager starting or stopping changes the view too.
		err = conn.AddMatchSignalContext(ctx, dbus.WithMatchSender("org.freedesktop.DBus"),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, nmName))
	}
	if err != nil {
		v.cfg.Logger.Debug("watching NetworkManager", "err", err)
		v.closeBus(conn)
		return nil
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	v.mu.Lock()
	v.conn = conn
	v.mu.Unlock()
	return signals
}

// unwatch closes Run's connection, if it has one.
func (v *system) unwatch() {
	v.mu.Lock()
	conn := v.conn
	v.conn = nil
	v.mu.Unlock()
	if conn != nil {
		v.closeBus(conn)
	}
}

func (v *system) closeBus(conn *dbus.Conn) {
	if err := conn.Close(); err != nil {
		v.cfg.Logger.Debug("closing the system bus connection", "err", err)
	}
}
