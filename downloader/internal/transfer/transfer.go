// Package transfer moves one record's bytes: it resolves the file, fits
// the partial data on disk to it, fills the missing ranges over as many
// connections as help (one retry policy for every request), verifies the
// file against the byte ledger and its digest, and commits it by an
// atomic rename. It holds no Manager: Run is given its dependencies and
// tells its owner what happens through Events.
package transfer

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
	"golang.org/x/time/rate"
)

// MaxRestarts bounds how often one download may start again because the
// server changed the file, lied about ranges or let its link expire.
const MaxRestarts = 5

// maxGapPasses bounds how often a transfer goes back for bytes the ledger
// says are missing once every connection has stopped.
const maxGapPasses = 3

// Config is what the engine's configuration says to a transfer.
type Config struct {
	StallTimeout       time.Duration // no byte for this long restarts a connection
	CheckpointInterval time.Duration // how often data is synced and the journal told
	CheckpointBytes    int64         // a checkpoint also comes after this many bytes
	ScaleInterval      time.Duration // how often a transfer decides to add connections
	BackoffBase        time.Duration
	BackoffMax         time.Duration
	MaxRetries         int   // server errors in a row, with no byte between them, that fail
	MinSegment         int64 // the smallest range worth a connection of its own
	SlowRate           int64 // bytes a second below which a connection is replaced
	SlowAfter          time.Duration
	Clock              Clock           // never nil
	Network            network.Watcher // nil: the machine is online
}

// Clock is how a transfer waits out a back-off or a Retry-After (the
// engine's Config.Clock).
type Clock interface {
	// Sleep waits d, or until wake is closed (a nil wake never is), or
	// until ctx is done, and then returns ctx's cause.
	Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error
}

// Deps is what a transfer is given by its engine: it holds no Manager.
type Deps struct {
	Config
	Client   *http.Client
	Limiter  *rate.Limiter
	Log      *slog.Logger
	Now      func() time.Time
	MaxConns int
	// Total is the fetch's DownloadTotal when the fetch is this one
	// record: then it is the file's size, not only a cap (0: none).
	Total int64
	// OnDisk is a file to check before any byte is asked for (see
	// checkCopy): hashed first, here, off the engine's lock.
	OnDisk Copy
	// NetChange is closed at the next change of the network (nil: none).
	NetChange func() <-chan struct{}
}

// Copy is a file already where the record's file goes, or a finished
// copy of it that changed on disk, to check before any byte is asked
// for: hashed with the record's digest, it is the file when it matches.
type Copy struct {
	Path   string
	Digest string // expected, of the kind the request names (SHA-256 by default)
	// Mismatch is what a copy that does not match leads to.
	Mismatch Mismatch
}

// Mismatch is what a Copy that does not match its digest leads to.
type Mismatch int

// What a mismatching Copy leads to.
const (
	// Repair downloads the file again into its place: the copy is the
	// engine's, or in a folder whose files are named by their digest
	// (the Hub cache's blobs).
	Repair Mismatch = iota
	// Refuse fails the record: the file is not the engine's, and a file
	// that is not the engine's is never replaced.
	Refuse
	// Conflict fails the record with a *fetch.ConflictError and keeps the
	// file: a verified file asked for with a digest it does not have.
	Conflict
)

// Target is the record a transfer moves the bytes of: its request, its
// ledger, and the counters its owner reads without stopping it.
type Target struct {
	Request fetch.Request
	Ledger  *ledger.Ledger
	Hashed  *atomic.Int64 // bytes of the file the hash has consumed
	Conns   *atomic.Int32 // connections that hold a socket
}

func (g *Target) downloaded() int64 { return g.Ledger.WrittenTotal() }

// Events is how a transfer tells its owner what happened to the record;
// the owner applies each under its lock.
type Events interface {
	// SetState sets the record's state; it clears what it waited for.
	SetState(fetch.State)
	// Reconcile fits the resolved file to what the record holds: it keeps
	// the partial data when it is the same file and discards it when not,
	// and says where the file goes.
	Reconcile(in Info, noRanges bool) (Plan, error)
	// Discard forgets the partial data, for why.
	Discard(why fetch.Restart)
	// Wait says what the record waits for before it tries again (nil:
	// nothing).
	Wait(w *fetch.WaitError)
	// Dirty says the journal should be written: the record changed (its
	// synced ranges, its hash, its plan).
	Dirty()
	// Wrote says the record's written ranges grew: the journal follows
	// them within its gap, without waiting for the disk.
	Wrote()
	// NewPart is said before the partial file is made: the journal must
	// then claim none of an earlier one's bytes.
	NewPart() error
	// SaveHash keeps the hash's state after the file's first, synced
	// bytes.
	SaveHash(state []byte)
}

// Plan is what reconciling decided for one attempt.
type Plan struct {
	Part   string // the partial file
	Dir    string // where the finished file goes
	Name   string
	Digest string // expected, of the kind the request names (SHA-256 by default)
	Limit  int64  // the most bytes this record may hold; -1 for none
	// Mismatch is the digest this file had when it last failed its
	// check: the same bytes again are not downloaded again.
	Mismatch string
	// Unverified commits the file without checking its digest.
	Unverified bool

	HashState []byte // the journalled hash of the file's first bytes
	Replace   string // a broken copy the file takes the place of
}

// Outcome is a completed record: the owner records it under its lock.
type Outcome struct {
	Path string
	Size int64
	// SHA256 is the SHA-256 the file was verified with, "" when it was
	// not (no digest, or a git blob id).
	SHA256 string
}

// stateFn is one state of a transfer; it returns the next (nil when done).
type stateFn func(ctx context.Context) (stateFn, error)

// transfer moves one record's bytes through its states: resolve →
// reconcile with the disk → transfer the missing ranges → verify →
// commit. A restart of the file goes back to resolve.
type transfer struct {
	Deps
	r      *Target
	ledger *ledger.Ledger
	events Events
	policy retryPolicy

	in       Info
	plan     Plan
	noRanges bool
	file     *os.File
	hash     *hasher
	flush    *flusher // while connections run
	out      Outcome

	restarts, gapPasses int
	retriedIntegrity    bool

	waiting atomic.Int32  // connections waiting for the network
	freed   chan struct{} // a connection gave up its socket to wait out a server (see wait)

	mu       sync.Mutex // guards the scaling below
	maxConns int
	capped   time.Time // when a server last showed a limit on connections
	plateau  bool
	lastRate float64
	grace    bool
	rates    map[*stallReader]connRate // of the connections, lately
}

// Run moves target's bytes until the record is complete, fails, or ctx
// ends, telling ev what happens on the way. Its error is a
// *fetch.FailError, or ctx's cause when ctx ended first.
func Run(ctx context.Context, d Deps, target *Target, ev Events) (Outcome, error) {
	return newTransfer(d, target, ev).run(ctx)
}

func newTransfer(d Deps, r *Target, ev Events) *transfer {
	if d.Client != nil {
		d.Client = guarded(d.Client)
	}
	t := &transfer{Deps: d, r: r, ledger: r.Ledger, events: ev, maxConns: d.MaxConns, rates: map[*stallReader]connRate{},
		freed: make(chan struct{}, 1)}
	t.policy = retryPolicy{base: d.BackoffBase, max: d.BackoffMax, maxRetries: d.MaxRetries, downloaded: r.downloaded,
		watcher: cmp.Or[network.Watcher](d.Network, network.Fixed{State: network.Online})}
	return t
}

// run drives the states until the record is complete, fails, or ctx ends.
func (t *transfer) run(ctx context.Context) (Outcome, error) {
	defer t.closeFile()
	st := stateFn(t.resolve)
	if t.OnDisk.Path != "" {
		st = t.checkCopy
	}
	for st != nil {
		next, err := st(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return Outcome{}, err
			}
			if next, err = t.restart(err); err != nil {
				return Outcome{}, err
			}
		}
		st = next
	}
	return t.out, nil
}

// restart decides whether a failed state starts the file again.
func (t *transfer) restart(err error) (stateFn, error) {
	t.closeFile()
	var re *restartError
	var fe *fetch.FailError
	switch {
	case errors.As(err, &fe) && errors.Is(err, fetch.ErrIntegrity) && !t.retriedIntegrity && !sameMismatch(err, t.plan.Mismatch):
		t.retriedIntegrity = true
		return func(ctx context.Context) (stateFn, error) { return t.recheck(ctx, fe) }, nil
	case !errors.As(err, &re):
		return nil, err
	case t.restarts >= MaxRestarts:
		if fatalStatus(re.err) {
			return nil, t.policy.failure(re.err, t.restarts+1)
		}
		return nil, fetch.Failure(fetch.ReasonFetchError, t.r.downloaded(), &fetch.TriesError{Tries: t.restarts, Restarts: true, Err: err})
	}
	t.restarts++
	t.noRanges = t.noRanges || re.noRanges
	if re.discard {
		t.events.Discard(re.why)
	}
	return t.resolve, nil
}

// recheck asks the server again after a whole file did not match its
// digest: the same version (the same strong validator) would be the same
// bytes again, so it fails with mismatch; a new one is downloaded once
// more.
func (t *transfer) recheck(ctx context.Context, mismatch *fetch.FailError) (stateFn, error) {
	was := t.in.Validator
	next, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if was != "" && t.in.Validator == was {
		return nil, mismatch
	}
	t.events.Discard(fetch.RestartMismatch)
	return next, nil
}

func (t *transfer) closeFile() {
	if t.file != nil {
		t.file.Close() // a write error was reported where it happened
		t.file = nil
	}
}

// resolve learns the file's size, validator and digest from the original
// URL, waiting out the network and transient server errors.
func (t *transfer) resolve(ctx context.Context) (stateFn, error) {
	var tl tally
	for {
		in, err := resolve(ctx, t.Client, t.r.Request.URL, t.expected())
		if err == nil {
			t.events.SetState(fetch.StateRunning)
			if in.Validator != t.in.Validator {
				t.noRanges = false // a new version: its server's ranges are worth trying again
			}
			t.in = in
			return t.reconcile, nil
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		st := t.policy.decide(ctx, err, t.r.Request.URL, false, &tl, false)
		if st.stop != nil {
			return nil, t.policy.failure(st.stop, tl.failures)
		}
		if st.network {
			t.events.SetState(fetch.StateWaitingNetwork)
		}
		t.events.Wait(st.why)
		t.Log.Info("resolve failed, retrying", "url", t.r.Request.URL, "err", err, "wait", st.wait)
		if err := t.nap(ctx, st); err != nil {
			return nil, err
		}
	}
}

// checkCopy hashes the copy OnDisk names before any byte is asked for:
// when it has the digest it is the file, finished where it is; when not,
// its Mismatch decides (download it again, refuse, or a conflict).
func (t *transfer) checkCopy(ctx context.Context) (stateFn, error) {
	t.events.SetState(fetch.StateVerifying)
	sum, n, err := HashFile(ctx, t.OnDisk.Path, t.r.Request)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err == nil && strings.EqualFold(sum, t.OnDisk.Digest) {
		if err := disk.Finish(t.OnDisk.Path, t.r.Request); err != nil {
			return nil, fetch.Failure(fetch.ReasonFetchError, n, err)
		}
		t.out = Outcome{Path: t.OnDisk.Path, Size: n}
		if t.r.Request.GitSHA1 == "" {
			t.out.SHA256 = strings.ToLower(sum)
		}
		return nil, nil
	}
	switch t.OnDisk.Mismatch {
	case Refuse:
		return nil, fetch.Failure(fetch.ReasonFetchError, 0, &fetch.PlaceError{Path: t.OnDisk.Path, Problem: fetch.PlaceTaken})
	case Conflict:
		return nil, fetch.Failure(fetch.ReasonIntegrity, 0,
			&fetch.ConflictError{URL: t.r.Request.URL, Field: fetch.InvalidDigest, Old: sum, New: t.OnDisk.Digest})
	}
	t.Log.Info("a file in the download's place does not match its digest; downloading it again", "path", t.OnDisk.Path, "err", err)
	t.events.SetState(fetch.StateRunning)
	return t.resolve, nil
}

// HashFile is the digest, of the kind req names (SHA-256 by default), of
// the file at path, and its length; ctx stops it.
func HashFile(ctx context.Context, path string, req fetch.Request) (string, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	h, _ := newDigest(req, st.Size())
	n, err := disk.HashFile(ctx, path, h)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// expected is what the request says of the file before any server does:
// the size a catalog or hub listed (or the DownloadTotal of a fetch of
// this file alone), and the name asked for.
func (t *transfer) expected() expect {
	e := expect{size: -1, name: t.r.Request.Name}
	switch {
	case t.r.Request.Size > 0:
		e.size = t.r.Request.Size
	case t.Total > 0:
		e.size, e.capped = t.Total, true
	}
	return e
}

// reconcile fits the partial data on disk to the resolved file, checks the
// space and opens the partial file.
func (t *transfer) reconcile(context.Context) (stateFn, error) {
	p, err := t.events.Reconcile(t.in, t.noRanges)
	if err != nil {
		return nil, err
	}
	t.plan = p
	if err := os.MkdirAll(filepath.Dir(p.Part), 0o755); err != nil {
		return nil, fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpFolder, Path: filepath.Dir(p.Part), Err: err})
	}
	size, written, _ := t.ledger.State()
	if need := size - written.Total(); size > 0 {
		if free, err := disk.FreeSpace(filepath.Dir(p.Part)); err == nil && free < need {
			return nil, fetch.Failure(fetch.ReasonQuotaExceeded, written.Total(), &fetch.SpaceError{Need: need, Free: free})
		}
	}
	if _, err := os.Lstat(p.Part); errors.Is(err, fs.ErrNotExist) {
		if err := t.events.NewPart(); err != nil {
			return nil, writeFailure(err, 0)
		}
	}
	file, err := os.OpenFile(p.Part, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpOpen, Path: p.Part, Err: err})
	}
	t.file = file
	if len(written) == 0 && size > 0 {
		if err := disk.Preallocate(file, size); err != nil {
			return nil, writeFailure(err, 0)
		}
	}
	t.hash = nil
	if p.Digest != "" && !p.Unverified {
		t.hash = newHasher(t.r, file, t.ledger, t.events, p.HashState, size)
	}
	t.events.Dirty()
	return t.move, nil
}

// move transfers the missing ranges over as many connections as help.
func (t *transfer) move(ctx context.Context) (stateFn, error) {
	if err := t.connections(ctx); err != nil {
		return nil, err
	}
	return t.verify, nil
}

// verify refuses a file whose ledger is not exactly [0, size): it goes
// back for the gap, a few times, before failing; then it checks the
// length and the digest.
func (t *transfer) verify(ctx context.Context) (stateFn, error) {
	size, written, _ := t.ledger.State()
	if size < 0 || !written.Covers(size) {
		gaps := written.Gaps(size)
		t.Log.Warn("the file has gaps once every connection stopped", "url", t.r.Request.URL, "gaps", gaps.String(), "pass", t.gapPasses)
		if t.gapPasses++; t.gapPasses <= maxGapPasses {
			return t.move, nil
		}
		return nil, fetch.Failure(fetch.ReasonFetchError, written.Total(), &fetch.GapError{Gaps: gaps.String()})
	}
	if want := t.expected().sizeFor(size); want >= 0 && size != want {
		e := &network.Error{Kind: network.WrongLength, URL: t.in.URL, Got: size, Want: want}
		if u, err := url.Parse(t.in.URL); err == nil {
			e.Host = u.Host
		}
		return nil, fetch.Failure(fetch.ReasonFetchError, size, fmt.Errorf("%w: %w", fetch.ErrWrongLength, e))
	}
	if t.in.Size < 0 {
		if err := t.file.Truncate(size); err != nil {
			return nil, writeFailure(err, size)
		}
	}
	st, err := t.file.Stat()
	if err != nil {
		return nil, fetch.Failure(fetch.ReasonFetchError, size, &fetch.FileError{Op: fetch.OpOpen, Path: t.plan.Part, Err: err})
	}
	if st.Size() != size {
		return nil, fetch.Failure(fetch.ReasonFetchError, size, &fetch.LengthError{Got: st.Size(), Want: size})
	}
	if t.hash != nil {
		t.events.SetState(fetch.StateVerifying)
		sum, err := t.hash.finish(ctx, size)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(sum, t.plan.Digest) {
			return nil, fetch.Failure(fetch.ReasonIntegrity, size, &fetch.IntegrityError{Got: sum, Want: t.plan.Digest, Digest: digestName(t.r.Request)})
		}
	}
	return t.commit, nil
}

// commit syncs the file and moves it to its final name, never over an
// existing file but a broken copy of the same download.
func (t *transfer) commit(context.Context) (stateFn, error) {
	size, _, _ := t.ledger.State()
	if err := t.checkpoint(); err != nil {
		return nil, writeFailure(err, size)
	}
	err := t.file.Close()
	t.file = nil
	if err != nil {
		return nil, writeFailure(err, size)
	}
	dest, err := t.dest()
	if err != nil {
		return nil, fetch.Failure(fetch.ReasonFetchError, size, err)
	}
	if err := disk.Move(t.plan.Part, dest); err != nil {
		if disk.IsNoSpace(err) {
			return nil, writeFailure(err, size)
		}
		return nil, fetch.Failure(fetch.ReasonFetchError, size, &fetch.FileError{Op: fetch.OpMove, Path: dest, Err: err})
	}
	if err := disk.Finish(dest, t.r.Request); err != nil {
		return nil, fetch.Failure(fetch.ReasonFetchError, size, err)
	}
	t.out = Outcome{Path: dest, Size: size}
	if t.hash != nil && t.r.Request.GitSHA1 == "" {
		t.out.SHA256 = strings.ToLower(t.plan.Digest) // verified above
	}
	return nil, nil
}

// dest is where the finished file goes, its folder made: the request's
// exact Dest, else a free name in the fetch's folder. A file at Dest is
// replaced only when the request's digest names the content, so that a
// person's own file is never overwritten.
func (t *transfer) dest() (string, error) {
	dest := t.r.Request.Dest
	if dest == "" {
		dest = filepath.Join(t.plan.Dir, t.plan.Name)
		if dest != t.plan.Replace { // a broken copy is replaced in place, not numbered
			dest = disk.FreePath(dest)
		}
	} else if _, err := os.Lstat(dest); err == nil && !t.r.Request.Digested() {
		return "", &fetch.FileError{Op: fetch.OpTaken, Path: dest, Err: fs.ErrExist}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o777); err != nil {
		return "", &fetch.FileError{Op: fetch.OpFolder, Path: filepath.Dir(dest), Err: err}
	}
	return dest, nil
}

// checkpoint makes the bytes written so far durable: it syncs the file and
// only then marks them synced, so that the journal never claims a byte the
// disk does not hold.
func (t *transfer) checkpoint() error {
	_, written, _ := t.ledger.State()
	if err := disk.SyncData(t.file); err != nil {
		return err
	}
	t.ledger.MarkSynced(written)
	t.events.Dirty()
	if t.hash != nil {
		t.hash.poke()
	}
	return nil
}

// piece is how much of the file one request asks for. Pieces are handed
// out in file order, so that the bytes complete roughly front to back and
// the hash can follow them during the transfer; a piece is large enough
// that the round trip of its request is a few per cent of its time.
func (t *transfer) piece() int64 { return 4 * t.MinSegment }

// minSteal is the least an idle connection takes from a busy one at the
// end of a file: small, so that the last pieces do not leave connections
// idle while one finishes alone.
func (t *transfer) minSteal() int64 { return t.MinSegment / 4 }

// ranged reports whether the file may be split over connections.
func (t *transfer) ranged() bool { return t.in.Ranges && !t.noRanges }

// sameMismatch reports whether err is the mismatch already seen: the same
// bytes, which downloading again would not change.
func sameMismatch(err error, seen string) bool {
	var ie *fetch.IntegrityError
	return seen != "" && errors.As(err, &ie) && strings.EqualFold(ie.Got, seen)
}
