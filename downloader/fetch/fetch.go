// Package fetch is the vocabulary of ModelFetch's engine: what a client asks
// for (Request, Options), what it is told (Snapshot, Event, State, Reason,
// Outcome) and the errors it can match (sentinels and typed errors). It
// imports nothing of ModelFetch, so that every layer, from the engine's
// internals to the window, speaks it without importing the engine.
package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// State is where a fetch or one of its records stands.
type State string

// The states a fetch or record moves through. Queued, Running, WaitingNetwork,
// Verifying and Paused are active; Succeeded, Failed and Aborted are settled.
const (
	StateQueued         State = "queued"
	StateRunning        State = "running"
	StateWaitingNetwork State = "waiting-network"
	StateVerifying      State = "verifying"
	StatePaused         State = "paused"
	StateSucceeded      State = "succeeded"
	StateFailed         State = "failed"
	StateAborted        State = "aborted"
)

// Settled reports whether s is final: the fetch's id is free again.
func (s State) Settled() bool {
	return s == StateSucceeded || s == StateFailed || s == StateAborted
}

// Result is Background Fetch's result: empty while active.
type Result string

// The results of a settled fetch or record.
const (
	ResultNone    Result = ""
	ResultSuccess Result = "success"
	ResultFailure Result = "failure"
)

// Reason is Background Fetch's failureReason, plus integrity.
type Reason string

// The failure reasons of a fetch or record.
const (
	ReasonNone          Reason = ""
	ReasonAborted       Reason = "aborted"
	ReasonBadStatus     Reason = "bad-status"
	ReasonFetchError    Reason = "fetch-error"
	ReasonQuotaExceeded Reason = "quota-exceeded"
	ReasonTotalExceeded Reason = "download-total-exceeded"
	ReasonIntegrity     Reason = "integrity"
)

// Request is one file of a
type Request struct {
	URL string `json:"url"`
	// Name is the file name to save as; empty means the server's
	// Content-Disposition name, else the last part of the URL.
	Name string `json:"name,omitempty"`
	// SHA256 is the expected digest in hex; empty means the server's digest
	// headers decide, else none is checked.
	SHA256 string `json:"sha256,omitempty"`
	// Size is the expected length in bytes, 0 when unknown.
	Size int64 `json:"size,omitempty"`
	// GitSHA1 is the expected git blob id in hex (the SHA-1 of
	// "blob <size>\x00" and the bytes), the digest of a plain git file;
	// a request has it or SHA256, not both.
	GitSHA1 string `json:"gitSHA1,omitempty"`
	// Dest is the exact path of the finished file, instead of a free name
	// in the fetch's folder. A file already there is hashed first when the
	// request names a digest: with that digest it is taken as done, never
	// downloaded twice; with another it is replaced only when it is the
	// engine's own or in one of its roots (the Hub cache), never a file of
	// someone else's. Without a digest a file there is never replaced.
	Dest string `json:"dest,omitempty"`
	// Links are symlinks made (or atomically replaced) once the file is
	// in place, each pointing at it by a relative target.
	Links []string `json:"links,omitempty"`
	// Stamp, when set, is written once the file is in place and verified,
	// after its links: a file a tool reads to know the download is
	// complete (huggingface_hub's download metadata of a --local-dir).
	Stamp *Stamp `json:"stamp,omitempty"`
	// Model names the file as a model of a Hub repo (a Hub fetch's, set
	// by hf.NewFetch), so that it can be made available to the apps
	// people run models in under the name their own download would give.
	Model *Model `json:"model,omitempty"`
	// Share lists the apps ("ollama", "lmstudio", "jan", "gpt4all") the
	// file is made available to once it is verified (Model names it).
	Share []string `json:"share,omitempty"`
	// Lock is a lock file other programs take around their download of
	// the same file (huggingface_hub's .locks): the engine holds it while
	// it downloads and places the file, and waits while another holds it.
	Lock string `json:"lock,omitempty"`
}

// Model is a file of a Hub repo: hf.co/Org/Repo[:Quant], File its path in
// the repo; Quant is the quantization asked for ("" when none was named).
type Model struct {
	Org   string `json:"org"`
	Repo  string `json:"repo"`
	Quant string `json:"quant,omitempty"`
	File  string `json:"file"`
}

// Shared is one app a completed file was made available to, or why not.
type Shared struct {
	App  string `json:"app"`            // the app's name, "Ollama"
	Name string `json:"name,omitempty"` // the model's name there, once shared
	Path string `json:"path,omitempty"` // the app's copy or link of the file
	// Copy is the bytes a copy would cost where no link can be made: it
	// is made only when asked for with the copy allowed.
	Copy int64 `json:"copy,omitempty"`
	// Problem is the sentence of what stopped it, "" when it is shared.
	Problem string `json:"problem,omitempty"`
}

// Stamp is a small file written when a request's file is finished: Text,
// then the finished file's modification time in seconds (six decimals) on
// a line of its own.
type Stamp struct {
	Path string `json:"path"`
	Text string `json:"text"`
}

// Digested reports whether the request names its content's digest, which
// makes its Dest content-addressed.
func (r Request) Digested() bool { return r.SHA256 != "" || r.GitSHA1 != "" }

// Options describe a fetch as a person sees it.
type Options struct {
	Title string `json:"title,omitempty"`
	Icon  string `json:"icon,omitempty"`
	// DownloadTotal caps the bytes of all records together; 0 means the sum
	// of the sizes the servers report, with no cap. For a fetch of one
	// record it is that file's size: an answer of another length is not
	// the file.
	DownloadTotal int64 `json:"downloadTotal,omitempty"`
	// Dir is where completed files go instead of the models folder.
	Dir string `json:"dir,omitempty"`
	// Connections caps the connections per file; 0 means automatic.
	Connections int `json:"connections,omitempty"`
	// Replace tells Ensure to use new digests and names for files it
	// already knows with others (see ConflictError); it is not kept.
	Replace bool `json:"replace,omitempty"`
}

// Snapshot is a fetch as it stands at one moment. It is a copy: holding it
// holds no lock and it never changes.
type Snapshot struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Icon          string `json:"icon,omitempty"`
	State         State  `json:"state"`
	Result        Result `json:"result"`
	FailureReason Reason `json:"failureReason"`
	Message       string `json:"message,omitempty"`
	// SignIn is the network's sign-in page while a captive portal holds
	// the download back (Message says so), for a client to open.
	SignIn        string           `json:"signIn,omitempty"`
	Status        int              `json:"status,omitempty"`
	Downloaded    int64            `json:"downloaded"`
	DownloadTotal int64            `json:"downloadTotal"` // -1 while unknown
	Speed         float64          `json:"speed"`         // bytes per second
	ETA           time.Duration    `json:"eta"`           // -1 while unknown
	Paused        bool             `json:"paused"`
	Created       time.Time        `json:"created"`
	Records       []RecordSnapshot `json:"records"`
}

// RecordSnapshot is one file of a fetch at one moment.
type RecordSnapshot struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	// Path is the completed file once succeeded, under the name tools
	// open: its request's first link, else the file itself.
	Path          string `json:"path,omitempty"`
	State         State  `json:"state"`
	Result        Result `json:"result"`
	FailureReason Reason `json:"failureReason"`
	Message       string `json:"message,omitempty"`
	Status        int    `json:"status,omitempty"`
	Offset        int64  `json:"offset,omitempty"` // where a failure happened
	Downloaded    int64  `json:"downloaded"`
	Size          int64  `json:"size"` // -1 while unknown
	Verified      int64  `json:"verified"`
	SHA256        string `json:"sha256,omitempty"`
	Connections   int    `json:"connections"`
	// Restarted says why the downloaded bytes went back to zero, if they did.
	Restarted string `json:"restarted,omitempty"`
	// Actual is the SHA-256 the complete file had when it failed its
	// check; its data is kept (see Manager.SetDigest, KeepUnverified).
	Actual string `json:"actual,omitempty"`
	// Unverified says the file was kept without its digest checked.
	Unverified bool `json:"unverified,omitempty"`
	// Shared are the apps the completed file was made available to (see
	// Request.Share, Manager.Share), or why not.
	Shared []Shared `json:"shared,omitempty"`
}

// Paths returns the completed files of a succeeded
func (s Snapshot) Paths() []string {
	paths := make([]string, 0, len(s.Records))
	for _, r := range s.Records {
		if r.Path != "" {
			paths = append(paths, r.Path)
		}
	}
	return paths
}

// Active reports whether the fetch is not yet settled.
func (s Snapshot) Active() bool { return !s.State.Settled() }

// EventKind says what an Event reports.
type EventKind string

// The kinds of events a subscriber receives.
const (
	EventProgress EventKind = "progress" // bytes, speed or state changed
	EventSuccess  EventKind = "success"
	EventFailure  EventKind = "failure"
	EventAbort    EventKind = "abort"
	EventRemove   EventKind = "remove" // a settled fetch left the list
)

// Event tells a subscriber that a fetch changed.
type Event struct {
	Kind  EventKind `json:"kind"`
	Fetch Snapshot  `json:"fetch"`
}

// Errors the Manager returns for caller mistakes.
var (
	ErrDuplicateID = errors.New("a fetch with this id is already active")
	ErrNotFound    = errors.New("no fetch with this id")
	ErrInvalidID   = errors.New("a fetch id is 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'")
	ErrNoRequests  = errors.New("a fetch needs at least one request")
	ErrLocked      = errors.New("another ModelFetch engine is using the journal")
	ErrNotSettled  = errors.New("the fetch is still active")
	ErrNotFailed   = errors.New("only a failed or cancelled fetch can be retried")
)

// StatusError is an HTTP response that ended a request.
type StatusError struct {
	Code       int
	URL        string
	RetryAfter time.Duration // what the server asked us to wait, 0 if nothing
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s", e.Code, http.StatusText(e.Code))
}
