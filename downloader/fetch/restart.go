package fetch

import "time"

// Restart says why a record's bytes went back to zero (or, for an expired
// link, why it asked the origin again); the words package words it.
type Restart string

// The reasons a record starts its file again.
const (
	RestartChanged      Restart = "changed"        // the server has another version of the file
	RestartLength       Restart = "length-changed" // the server's length changed
	RestartNoRanges     Restart = "no-ranges"      // the server cannot resume
	RestartWholeFile    Restart = "whole-file"     // the server sent all of it for a part
	RestartRangeRefused Restart = "range-refused"  // the server refused the missing part
	RestartPartialLost  Restart = "partial-lost"   // the partial file was missing or short
	RestartExpired      Restart = "link-expired"   // a signed link expired: asked again, bytes kept
	RestartMismatch     Restart = "mismatch"       // the file failed its digest and changed on the server
)

// WaitError is what an active record waits for before it tries again: the
// failure that made it wait, how long, and which try comes next (Try of
// Of; Of is 0 when the wait is for the network, which has no bound).
type WaitError struct {
	Err     error
	Wait    time.Duration
	Try, Of int
}

func (e *WaitError) Error() string { return "waiting " + e.Wait.String() + ": " + e.Err.Error() }

func (e *WaitError) Unwrap() error { return e.Err }
