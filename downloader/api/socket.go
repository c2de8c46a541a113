package api

import (
	"errors"
	"log/slog"
)

// Errors of Listen.
var (
	// ErrRunning means another process already serves the API at the
	// socket: use it as a client instead of starting a second engine.
	ErrRunning = errors.New("another ModelFetch is already serving the local API")
	// ErrNotListening is Serve called before a successful Listen.
	ErrNotListening = errors.New("the local API is not listening: call Listen first")
)

// socketName is the socket's file name in whichever folder holds it.
const socketName = "modelfetch.sock"

// endpoint is what the system's listen needs: whose connections to take,
// and how.
type endpoint struct {
	user       userID // the only user whose connections are accepted
	sendBuffer int    // the send buffer of accepted connections, 0 for the system's default
	log        *slog.Logger
}
