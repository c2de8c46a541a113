package fetch

import (
	"errors"
	"fmt"
)

// Sentinels of the engine's failures, for code to match with errors.Is;
// a person reads the sentence Sentence makes of them.
var (
	ErrIntegrity     = errors.New("digest mismatch")
	ErrNoSpace       = errors.New("no space left on the disk")
	ErrTotalExceeded = errors.New("download total exceeded")
	ErrMissingBytes  = errors.New("missing bytes")
	ErrWrongLength   = errors.New("wrong length")
	ErrUnstable      = errors.New("the file kept changing or restarting")
	ErrGaveUp        = errors.New("gave up")
	ErrFile          = errors.New("file system")
)

// IntegrityError is a complete file whose digest is not the one expected.
type IntegrityError struct {
	Got, Want string
	Digest    string // what the digest is: "SHA-256" or "git blob id"
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("the file's %s is %s, not %s", e.Digest, e.Got, e.Want)
}

func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

// SpaceError is a disk too full for a file: Need and Free are known when
// the check before the transfer failed, 0 when a write found the disk full.
type SpaceError struct {
	Need, Free int64
	Err        error // the write's error, if a write failed
}

func (e *SpaceError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: %v", ErrNoSpace, e.Err)
	}
	return fmt.Sprintf("%v: %d bytes needed, %d free", ErrNoSpace, e.Need, e.Free)
}

func (e *SpaceError) Is(target error) bool { return target == ErrNoSpace }
func (e *SpaceError) Unwrap() error        { return e.Err }

// TotalError is a fetch larger than its DownloadTotal. AtLeast says the
// server was still sending when Size passed the limit.
type TotalError struct {
	Size, Limit int64
	AtLeast     bool
}

func (e *TotalError) Error() string {
	return fmt.Sprintf("%v: %d bytes over a limit of %d", ErrTotalExceeded, e.Size, e.Limit)
}

func (e *TotalError) Is(target error) bool { return target == ErrTotalExceeded }

// GapError is a file whose connections all stopped with bytes missing.
type GapError struct{ Gaps string }

func (e *GapError) Error() string { return fmt.Sprintf("%v %s", ErrMissingBytes, e.Gaps) }

func (e *GapError) Is(target error) bool { return target == ErrMissingBytes }

// LengthError is a partial file whose length on disk is not the file's.
type LengthError struct{ Got, Want int64 }

func (e *LengthError) Error() string {
	return fmt.Sprintf("%v: the partial file has %d bytes, not %d", ErrWrongLength, e.Got, e.Want)
}

func (e *LengthError) Is(target error) bool { return target == ErrWrongLength }

// TriesError is a record that stopped after Tries attempts failed in a
// row (ErrGaveUp: the server or the network kept failing), or after Tries
// restarts of the file with one more asked for (ErrUnstable). Err is the
// last failure.
type TriesError struct {
	Tries    int
	Restarts bool // the tries were restarts of the file
	Err      error
}

func (e *TriesError) Error() string {
	what, unit := ErrGaveUp, "tries"
	if e.Restarts {
		what, unit = ErrUnstable, "restarts"
	}
	return fmt.Sprintf("%v after %d %s: %v", what, e.Tries, unit, e.Err)
}

func (e *TriesError) Is(target error) bool {
	return target == ErrGaveUp && !e.Restarts || target == ErrUnstable && e.Restarts
}

func (e *TriesError) Unwrap() error { return e.Err }

// FileOp is what the engine was doing with a file when it failed.
type FileOp string

// The file operations that fail a record.
const (
	OpFolder FileOp = "create the folder" // the partial folder or the destination's
	OpOpen   FileOp = "open the partial file"
	OpWrite  FileOp = "write the partial file"
	OpMove   FileOp = "move the finished file to"
	OpLink   FileOp = "make the link"
	OpTaken  FileOp = "replace" // a file already at a request's Dest
	OpStamp  FileOp = "write the stamp"
)

// FileError is a file or folder the engine could not make, write or move.
type FileError struct {
	Op   FileOp
	Path string
	Err  error
}

func (e *FileError) Error() string { return chain(string(e.Op)+" "+e.Path, e.Err) }

func (e *FileError) Is(target error) bool { return target == ErrFile }
func (e *FileError) Unwrap() error        { return e.Err }

// FailError is why a record failed: a reason, the HTTP status and the
// byte where it happened, and the cause. Sentence words it for people.
type FailError struct {
	Reason Reason
	Status int
	Offset int64
	Err    error
}

func (e *FailError) Error() string {
	return chain(fmt.Sprintf("%s at byte %d", e.Reason, e.Offset), e.Err)
}

func (e *FailError) Unwrap() error { return e.Err }

// chain is an error's text: head, then the error under it if any.
func chain(head string, err error) string {
	if err == nil {
		return head
	}
	return head + ": " + err.Error()
}

// Failure is a *FailError of reason at offset, caused by err; an HTTP
// status in err's chain becomes its Status.
func Failure(reason Reason, offset int64, err error) *FailError {
	fe := &FailError{Reason: reason, Offset: offset, Err: err}
	var se *StatusError
	if errors.As(err, &se) {
		fe.Status = se.Code
	}
	return fe
}

// ErrConflict is matched by a *ConflictError.
var ErrConflict = errors.New("these files are already known with another SHA-256 or name")

// ConflictError is Ensure's answer when a URL of the request is known, in
// the fetch it returns, with another digest or name. Ensure again with
// Options.Replace set to use the new ones.
type ConflictError struct {
	URL   string
	Field Invalid // InvalidDigest or InvalidName: which one differs
	Old   string
	New   string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: %s of %q is %q, not %q", ErrConflict, e.Field, e.URL, e.Old, e.New)
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// CorruptJournalError says the journal could not be read and where it was
// moved so that nothing is lost.
type CorruptJournalError struct {
	Path    string
	MovedTo string
	Err     error
}

func (e *CorruptJournalError) Error() string {
	return fmt.Sprintf("corrupt journal %s moved to %s: %v", e.Path, e.MovedTo, e.Err)
}

func (e *CorruptJournalError) Unwrap() error { return e.Err }

// Causes of a request's failure that a record's failure may carry.
var (
	// ErrInvalidResponse is a response that contradicts what was asked
	// or what is known; a few in a row fail the record.
	ErrInvalidResponse = errors.New("invalid response")
	// ErrStalled is a connection that delivered no byte for too long.
	ErrStalled = errors.New("no data arrived for too long")
)

// ErrHeldElsewhere is what a record waits for while another program
// downloads the same file (it holds the request's Lock).
var ErrHeldElsewhere = errors.New("another program is downloading this file")

// ErrAborted is the cause of a fetch that was cancelled (Manager.Abort).
var ErrAborted = errors.New("aborted")

// PlaceProblem says why a client may not name a path (see PlaceError).
type PlaceProblem string

// The problems of a path a client named.
const (
	PlaceRelative   PlaceProblem = "relative"   // not an absolute path
	PlaceDotDot     PlaceProblem = "dot-dot"    // it contains ".."
	PlaceZeroByte   PlaceProblem = "zero-byte"  // it contains a zero byte
	PlaceUnresolved PlaceProblem = "unresolved" // its links cannot be followed
	PlaceInternal   PlaceProblem = "internal"   // inside the engine's own folders
	PlaceHidden     PlaceProblem = "hidden"     // in a hidden folder of the home folder
	PlaceOutside    PlaceProblem = "outside"    // outside every folder a client may name
	PlaceTaken      PlaceProblem = "taken"      // something that is not the engine's is there
)

// PlaceError is a path a client named (a fetch's Dir, a request's Dest,
// a link, a stamp) where the engine will not write, and why.
type PlaceError struct {
	Path    string
	Problem PlaceProblem
	Part    string   // the hidden folder, for PlaceHidden
	Allowed []string // the folders a client may name, for PlaceOutside
}

func (e *PlaceError) Error() string {
	return fmt.Sprintf("the engine will not write at %q: %s", e.Path, e.Problem)
}

// ErrNotShareable is a fetch with no file an app could be given: none is
// a Hub model's file, complete, with the SHA-256 it was verified by.
var ErrNotShareable = errors.New("no verified model file to share")

// AppError is an app a file could not be made available to: its store is
// not on this machine (apps.ErrNotFound), a file is in the way, or (Copy)
// no link can be made and a copy of that many bytes was not allowed.
type AppError struct {
	App  string
	Copy int64
	Err  error
}

func (e *AppError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("share with %s: a copy of %d bytes is needed", e.App, e.Copy)
	}
	return chain("share with "+e.App, e.Err)
}

func (e *AppError) Unwrap() error { return e.Err }
