package network

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/windows"
)

// SetThreadExecutionState's flags (winbase.h).
const (
	esSystemRequired = 0x00000001
	esContinuous     = 0x80000000
)

var setThreadExecutionState = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetThreadExecutionState")

// awake is a hold taken with SetThreadExecutionState(ES_CONTINUOUS |
// ES_SYSTEM_REQUIRED). Windows keeps that state per thread, while Go
// moves goroutines between threads: the state is set and cleared on one
// goroutine locked to its thread, which waits for Close in between.
type awake struct {
	release chan struct{}
	done    chan error
}

// take starts the thread that holds the state, and returns once it does.
func (i *Inhibitor) take(context.Context) (io.Closer, error) {
	if err := setThreadExecutionState.Find(); err != nil {
		return nil, &unavailableError{means: "SetThreadExecutionState", err: err}
	}
	a := &awake{release: make(chan struct{}), done: make(chan error, 1)}
	held := make(chan error, 1)
	go a.hold(held)
	if err := <-held; err != nil {
		return nil, err
	}
	return a, nil
}

// hold sets the state, tells take, waits for Close, and clears the state
// on the same thread. A thread that exits would drop the state too, but
// clearing it says so.
func (a *awake) hold(held chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if prev, _, err := setThreadExecutionState.Call(esContinuous | esSystemRequired); prev == 0 {
		held <- fmt.Errorf("SetThreadExecutionState: %w", err)
		return
	}
	held <- nil
	<-a.release
	if prev, _, err := setThreadExecutionState.Call(esContinuous); prev == 0 {
		a.done <- fmt.Errorf("SetThreadExecutionState: %w", err)
		return
	}
	a.done <- nil
}

// Close lets the computer sleep again and waits until the thread has
// cleared its state.
func (a *awake) Close() error {
	close(a.release)
	return <-a.done
}
