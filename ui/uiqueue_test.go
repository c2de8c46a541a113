package ui

import (
	"testing"
	"time"
)

// uiQueue stands in for Fyne's UI goroutine in tests: work the app queues
// with its Do option waits here and runs on the test goroutine inside
// waitFor, so that a test reads widgets without racing the app.
type uiQueue struct {
	queue  chan func()
	wake   chan struct{} // a test's own goroutines say something happened
	closed chan struct{} // closed when the test ends: Do no longer waits
}

func newUIQueue() uiQueue {
	return uiQueue{queue: make(chan func(), 64), wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

// do queues f for the test goroutine, as fyne.Do queues it for the UI
// goroutine.
func (q uiQueue) do(f func()) {
	select {
	case q.queue <- f:
	case <-q.closed:
	}
}

// poke makes waitFor look at its condition again.
func (q uiQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next is the next piece of UI work, not run.
func (q uiQueue) next(t testing.TB) func() {
	t.Helper()
	select {
	case f := <-q.queue:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for UI work")
		return nil
	}
}

// waitFor runs queued UI work until cond holds, failing the test after a
// generous deadline with what and, when given, state's account of why.
// cond is checked after each batch of UI work (what was queued by then),
// since only UI work changes what the window shows, and when a test's own
// goroutine calls poke.
func (q uiQueue) waitFor(t testing.TB, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case f := <-q.queue:
			f()
			q.drain()
		case <-q.wake:
		case <-deadline.C:
			if state != nil {
				what += "; " + state()
			}
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// drain runs the UI work queued now, without waiting for more: a check of
// the window lays it out, which under the race detector costs more than
// the work.
func (q uiQueue) drain() {
	for {
		select {
		case f := <-q.queue:
			f()
		default:
			return
		}
	}
}
