package network

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
)

// caffeinatePath is macOS's own tool (since 10.8) for what IOKit's
// IOPMAssertionCreateWithName does, which Go reaches only through cgo and
// the SDK.
const caffeinatePath = "/usr/bin/caffeinate"

// take starts `caffeinate -i -w PID`: it holds a "prevent idle sleep"
// assertion until it is killed, and -w makes it exit with this process,
// so that a crash or kill -9 never leaves a Mac kept awake.
func (i *Inhibitor) take(context.Context) (io.Closer, error) {
	cmd := exec.Command(caffeinatePath, "-i", "-w", strconv.Itoa(os.Getpid()))
	if err := cmd.Start(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &unavailableError{means: "caffeinate", err: err}
		}
		return nil, err
	}
	return caffeinate{cmd}, nil
}

// caffeinate is the running child; Close ends it and its assertion.
type caffeinate struct{ cmd *exec.Cmd }

func (c caffeinate) Close() error {
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	err := c.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // killed, as asked (or gone before)
	}
	return err
}
