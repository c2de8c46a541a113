package downloader

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"
	"github.com/modelfetch/modelfetch/downloader/internal/transfer"
	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/adrg/xdg"
	"github.com/modelfetch/modelfetch/downloader/network"
	"golang.org/x/time/rate"
)

// Config is how a Manager is set up. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	StateDir   string // the journal and its lock
	PartialDir string // .part files
	ModelsDir  string // completed files, in one folder per fetch
	// Roots and Home are where a client may name folders and files for
	// the engine to write (disk.Places): anything below ModelsDir and each
	// of Roots (the Hub cache), and the visible folders below Home (""
	// is the user's home folder).
	Roots []string
	Home  string

	// Client makes every request; it must not have a Timeout, since bodies
	// are many gigabytes (stalls are caught per connection instead).
	Client *http.Client
	// Wrap, when set, wraps the transport of every request the engine
	// makes, for a caller that chooses headers per origin (the Hub's
	// token: hf.Transport). It is called again with the new transport
	// beneath when the network settings change (SetNetworkSettings).
	Wrap func(http.RoundTripper) http.RoundTripper

	MaxActive      int   // records transferring at once
	MaxConnections int   // connections per record at most
	LimitRate      int64 // bytes per second over all transfers; 0 is no limit

	StallTimeout       time.Duration // no byte for this long restarts a connection
	CheckpointInterval time.Duration // how often data is synced and the journal told
	CheckpointBytes    int64         // a checkpoint also comes after this many bytes
	ProgressInterval   time.Duration // how often subscribers hear of progress
	ScaleInterval      time.Duration // how often a transfer decides to add connections
	BackoffBase        time.Duration
	BackoffMax         time.Duration
	// MaxRetries is how many server errors in a row, with no byte between
	// them, fail a record. Network errors never count.
	MaxRetries int
	// MinSegment is the smallest range worth a connection of its own.
	MinSegment int64
	// SlowRate is the floor of a connection's rate, in bytes a second: a
	// connection below it, or below a tenth of the best other one, for
	// SlowAfter while another does better is replaced; a fetch below it
	// for SlowAfter says "Very slow".
	SlowRate  int64
	SlowAfter time.Duration

	Logger *slog.Logger
	// Clock waits out back-offs and Retry-After; nil is real time.
	Clock Clock

	// Network is the machine's view of the network, which tells an
	// offline machine from a server that fails; nil takes the machine as
	// online.
	Network network.Watcher
	// Apps finds an app's model store on this machine by its name
	// ("ollama", "lmstudio", "jan", "gpt4all"), for making files
	// available to it (Request.Share, Manager.Share); nil looks where each
	// app keeps it.
	Apps func(name string) (apps.App, bool)
	// Inhibitor is held while any record runs; nil keeps nothing awake.
	Inhibitor Inhibitor
	// PauseMetered pauses downloads while Network says the connection is
	// metered (SetPauseMetered changes it).
	PauseMetered bool
	// ShareNew are the apps every Hub model's file verified from the
	// engine's start is made available to (the window's "Always make new
	// models available to"; SetShareNew changes it).
	ShareNew []string
}

// DefaultConfig is the configuration of a desktop user: XDG folders and
// settings that suit multi-gigabyte files.
func DefaultConfig() Config {
	return Config{
		StateDir:       filepath.Join(xdg.StateHome, "modelfetch"),
		PartialDir:     filepath.Join(xdg.CacheHome, "modelfetch", "partial"),
		ModelsDir:      filepath.Join(xdg.CacheHome, "modelfetch", "models"),
		MaxActive:      3,
		MaxConnections: 16,
		StallTimeout:   30 * time.Second,
		// Each checkpoint forces the data written since the last one to disk;
		// at loopback speeds one a second cost a third of the throughput.
		// A crash re-downloads at most this much of the transfer.
		CheckpointInterval: 3 * time.Second,
		// At a gigabyte a second, 3 s are 3 GB that a kill would lose; a
		// checkpoint per 256 MiB bounds that.
		CheckpointBytes:  256 << 20,
		ProgressInterval: 250 * time.Millisecond,
		ScaleInterval:    100 * time.Millisecond,
		BackoffBase:      time.Second,
		BackoffMax:       time.Minute,
		MaxRetries:       8,
		MinSegment:       4 << 20,
		SlowRate:         4 << 10,
		SlowAfter:        30 * time.Second,
	}
}

// transfer is what c says to a transfer.
func (c Config) transfer() transfer.Config {
	return transfer.Config{StallTimeout: c.StallTimeout, CheckpointInterval: c.CheckpointInterval, CheckpointBytes: c.CheckpointBytes,
		ScaleInterval: c.ScaleInterval, BackoffBase: c.BackoffBase, BackoffMax: c.BackoffMax, MaxRetries: c.MaxRetries,
		MinSegment: c.MinSegment, SlowRate: c.SlowRate, SlowAfter: c.SlowAfter, Clock: c.Clock, Network: c.Network}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, p := range []struct{ v, def *string }{{&c.StateDir, &d.StateDir}, {&c.PartialDir, &d.PartialDir}, {&c.ModelsDir, &d.ModelsDir}} {
		if *p.v == "" {
			*p.v = *p.def
		}
	}
	for _, p := range []struct{ v, def *time.Duration }{
		{&c.StallTimeout, &d.StallTimeout}, {&c.CheckpointInterval, &d.CheckpointInterval},
		{&c.ProgressInterval, &d.ProgressInterval}, {&c.ScaleInterval, &d.ScaleInterval},
		{&c.BackoffBase, &d.BackoffBase}, {&c.BackoffMax, &d.BackoffMax}, {&c.SlowAfter, &d.SlowAfter},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	if c.MaxActive <= 0 {
		c.MaxActive = d.MaxActive
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = d.MaxConnections
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = d.MaxRetries
	}
	if c.CheckpointBytes <= 0 {
		c.CheckpointBytes = d.CheckpointBytes
	}
	if c.MinSegment <= 0 {
		c.MinSegment = d.MinSegment
	}
	if c.SlowRate <= 0 {
		c.SlowRate = d.SlowRate
	}
	if c.Client == nil {
		c.Client = newClient()
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Apps == nil {
		c.Apps = systemApps
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// newClient is an HTTP/1.1 client: CDNs cap each TCP connection, so the
// connections of a segmented transfer must be real ones, not HTTP/2 streams
// sharing one. TLS is verified as always.
func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	t.MaxIdleConnsPerHost = 64
	network.Bound(t, network.ConnectTimeout, network.FirstByteTimeout)
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// Manager runs fetches. Create it with New, start it with Run, and Close it
// when Run has returned (or when it was never run).
type Manager struct {
	cfg         Config
	limiter     *rate.Limiter
	lock        *os.File
	journalPath string
	journalErr  error

	journalMu sync.Mutex    // keeps writers of the journal file in order
	js        *journalState // what the journal on disk holds (persist.go)

	wake     chan struct{} // the dispatcher has work
	dirty    chan struct{} // the journal should be written
	activity chan struct{} // a record started running
	busy     chan struct{} // a record started or stopped running
	verify   chan struct{} // completed files are queued for checking (verifyLoop)

	places disk.Places // where a client may name paths

	mu        sync.Mutex
	fetches   map[string]*fetchState
	order     []*fetchState
	maxActive int
	maxConns  int
	only      string   // the one fetch to run ("" for all): RunOnly
	shareNew  []string // apps every verified Hub model is made available to: SetShareNew
	running   int
	subs      map[*Subscription]struct{}
	completed []journal.Completed // every verified download, oldest first
	checks    []string            // completed files for verifyLoop to look at
	paths     map[string]int      // how many entries of completed each path has

	base         *http.Client  // Config.Client, with the network settings
	client       *http.Client  // base with its transport wrapped (Config.Wrap)
	netChanged   chan struct{} // closed when the network changes
	metered      bool          // the connection is metered
	pauseMetered bool
}

// New opens the journal in cfg.StateDir, locking it so that no second
// engine writes it, and loads the fetches it holds. A journal that cannot
// be read is moved aside; JournalError reports it.
func New(cfg Config) (*Manager, error) {
	cfg = cfg.withDefaults()
	lock, err := disk.LockDir(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:          cfg,
		limiter:      rate.NewLimiter(rate.Inf, 0),
		lock:         lock,
		journalPath:  filepath.Join(cfg.StateDir, "journal.json"),
		wake:         make(chan struct{}, 1),
		dirty:        make(chan struct{}, 1),
		activity:     make(chan struct{}, 1),
		busy:         make(chan struct{}, 1),
		verify:       make(chan struct{}, 1),
		netChanged:   make(chan struct{}),
		pauseMetered: cfg.PauseMetered,
		shareNew:     slices.Clone(cfg.ShareNew),
		base:         cfg.Client,
		fetches:      map[string]*fetchState{},
		maxActive:    cfg.MaxActive,
		maxConns:     cfg.MaxConnections,
		subs:         map[*Subscription]struct{}{},
		places: disk.NewPlaces(append([]string{cfg.ModelsDir}, cfg.Roots...), cmp.Or(cfg.Home, disk.HomeDir()),
			cfg.StateDir, cfg.PartialDir),
	}
	m.client = m.wrapped(m.base)
	m.SetLimitRate(cfg.LimitRate)
	if err := m.load(); err != nil {
		lock.Close()
		return nil, err
	}
	return m, nil
}

// JournalError is the *CorruptJournalError New met, or nil.
func (m *Manager) JournalError() error { return m.journalErr }

// Close writes the journal and releases its lock. Call it after Run has
// returned.
func (m *Manager) Close() error {
	err := m.writeJournal()
	if cerr := m.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run transfers queued records until ctx is done, then stops every
// transfer (they stay queued), writes the journal and returns. It owns every
// goroutine it starts and returns only after they have exited.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { m.journalLoop(ctx) })
	wg.Go(func() { m.progressLoop(ctx) })
	wg.Go(func() { m.verifyLoop(ctx) })
	if m.cfg.Inhibitor != nil {
		wg.Go(func() { m.awakeLoop(ctx) })
	}
	if m.cfg.Network != nil {
		known := make(chan struct{})
		wg.Go(func() { m.networkLoop(ctx, known) })
		// The first dispatch must know whether the connection is metered.
		select {
		case <-known:
		case <-ctx.Done():
		}
	}
	for {
		m.dispatch(ctx, &wg)
		select {
		case <-ctx.Done():
			wg.Wait()
			return m.writeJournal()
		case <-m.wake:
		}
	}
}

// dispatch starts queued records while the pool has room.
func (m *Manager) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.meteredHold() {
		return
	}
	for _, f := range m.order {
		if f.paused || f.settled() || m.only != "" && f.id != m.only {
			continue
		}
		for _, r := range f.records {
			if m.running >= m.maxActive {
				return
			}
			if r.state != fetch.StateQueued {
				continue
			}
			rctx, cancel := context.WithCancelCause(ctx)
			r.cancel = cancel
			r.state = fetch.StateRunning
			m.running++
			wg.Go(func() { m.runRecord(rctx, r) })
			poke(m.activity)
			poke(m.busy)
		}
	}
}

// runRecord runs one record's transfer, and applies what it ended with.
func (m *Manager) runRecord(ctx context.Context, r *record) {
	d, target, share := m.prepare(r)
	out, shared, err := m.work(ctx, r, d, target, share)
	m.finish(ctx, r, out, shared, err)
}

// prepare is what a record's transfer is given, and the apps its file is
// to be made available to. m.mu is not held.
func (m *Manager) prepare(r *record) (transfer.Deps, *transfer.Target, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := transfer.Deps{Config: m.cfg.transfer(), Client: m.client, NetChange: m.netChange, Limiter: m.limiter, Log: m.cfg.Logger,
		Now: time.Now, MaxConns: cmp.Or(r.f.opts.Connections, m.maxConns)}
	if len(r.f.records) == 1 {
		d.Total = r.f.opts.DownloadTotal
	}
	d.OnDisk, r.onDisk = r.onDisk, transfer.Copy{} // checked once
	target := &transfer.Target{Request: r.req, Ledger: r.ledger, Hashed: &r.hashed, Conns: &r.conns}
	share := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(r.req.Share), m.shareNew...))))
	return d, target, share
}

// work holds the file's shared lock, if its request names one (waiting
// while another program downloads the same file), runs the transfer, and
// makes the verified file available to the apps named. It holds no
// engine lock.
func (m *Manager) work(ctx context.Context, r *record, d transfer.Deps, target *transfer.Target, share []string) (transfer.Outcome, []fetch.Shared, error) {
	if lock := target.Request.Lock; lock != "" {
		unlock, err := disk.WaitSharedLock(ctx, lock, func() { recordEvents{m, r}.Wait(&fetch.WaitError{Err: fetch.ErrHeldElsewhere}) })
		if err == nil {
			defer unlock() // also when ctx ended just as the lock was taken
		}
		if ctx.Err() != nil {
			return transfer.Outcome{}, nil, context.Cause(ctx)
		}
		if err != nil { // the lock only keeps two programs from one download: go on without it
			m.cfg.Logger.Warn("take the download's shared lock", "lock", lock, "err", err)
		}
		if d.OnDisk.Path == "" { // the other program may have put the file in place meanwhile
			m.mu.Lock()
			d.OnDisk = m.toCheck(target.Request)
			m.mu.Unlock()
		}
	}
	out, err := transfer.Run(ctx, d, target, recordEvents{m, r})
	var shared []fetch.Shared
	if model := target.Request.Model; err == nil && out.SHA256 != "" && model != nil && len(share) > 0 {
		shared = m.shareFile(appModel(out.Path, out.SHA256, out.Size, *model), share, false)
	}
	return out, shared, err
}

// finish applies what a record's transfer ended with. m.mu is not held.
func (m *Manager) finish(ctx context.Context, r *record, out transfer.Outcome, shared []fetch.Shared, err error) {
	stopped := ctx.Err() != nil
	m.mu.Lock()
	defer m.mu.Unlock()
	r.cancel(nil) // releases the context; stopped was read before
	r.cancel = nil
	m.running--
	switch {
	case err == nil:
		r.state = fetch.StateSucceeded
		// A replacement that came too late is dropped: the file was
		// checked against the digest it had.
		r.path, r.size, r.hashState, r.mismatch, r.amended, r.message, r.waiting = out.Path, out.Size, nil, "", nil, "", nil
		// A changed copy found intact was named and digested by no download.
		r.name, r.sha256 = cmp.Or(r.name, filepath.Base(out.Path)), cmp.Or(r.sha256, out.SHA256)
		r.shared = mergeShared(r.shared, shared)
		m.remember(r)
		if r.sha256 == "" {
			m.queueCheck(r.path) // one verified without a digest gets the SHA-256 of its bytes
		}
	case stopped && r.f.aborted:
		// The fetch's flag, not the cause: a context cancelled by Pause keeps
		// errPaused as its cause when an Abort follows before it stopped.
		r.state = fetch.StateAborted
		m.removePartial(r)
	case stopped:
		r.state, r.waiting = fetch.StateQueued, nil // paused, amended, or the engine is stopping
		if r.amended != nil {
			r.amend(*r.amended)
		}
	default:
		var fe *fetch.FailError
		var ie *fetch.IntegrityError
		if errors.As(err, &ie) {
			r.mismatch = ie.Got
		}
		if !errors.As(err, &fe) {
			fe = fetch.Failure(fetch.ReasonFetchError, r.downloaded(), err)
		}
		r.state = fetch.StateFailed
		// The sentence is made once, here, so that the journal, the API's
		// JSON and every client carry the same words.
		r.reason, r.message, r.status, r.offset, r.waiting = fe.Reason, words.Sentence(fe), fe.Status, fe.Offset, nil
		if r.downloaded() == 0 {
			m.removePartial(r) // its preallocated space holds nothing useful
		}
		m.cfg.Logger.Warn("record failed", "fetch", r.f.id, "url", r.req.URL, "err", err)
	}
	m.settle(r.f)
	m.markRecord(r)
	poke(m.wake)
	poke(m.busy)
}

// settle makes a fetch whose records are all settled settled too, and
// tells subscribers. m.mu is held.
func (m *Manager) settle(f *fetchState) {
	if f.settled() {
		return
	}
	var failed *record
	for _, r := range f.records {
		if !r.state.Settled() {
			return
		}
		if r.state == fetch.StateFailed && failed == nil {
			failed = r
		}
	}
	kind := fetch.EventSuccess
	switch {
	case f.aborted:
		f.state, f.reason, f.message, kind = fetch.StateAborted, fetch.ReasonAborted, words.Sentence(fetch.ErrAborted), fetch.EventAbort
		os.Remove(filepath.Join(m.cfg.PartialDir, f.id))
	case failed != nil:
		f.state, f.reason, f.message, f.status, kind = fetch.StateFailed, failed.reason, failed.message, failed.status, fetch.EventFailure
	default:
		f.state, f.reason, f.message = fetch.StateSucceeded, fetch.ReasonNone, ""
		os.Remove(filepath.Join(m.cfg.PartialDir, f.id))
	}
	m.publish(fetch.Event{Kind: kind, Fetch: m.snapshot(f)})
}

// Fetch starts a fetch of requests under id. An id that belongs to an
// active fetch is ErrDuplicateID; a settled fetch's id is reused, as
// Ensure does with Options.Replace (a failed fetch of the same URLs is
// retried, keeping its partial data, with the digests and names given).
// A request whose URL was already downloaded and verified is not
// downloaded again.
func (m *Manager) Fetch(id string, requests []fetch.Request, opts fetch.Options) (fetch.Snapshot, error) {
	opts, err := m.check(id, requests, opts)
	if err != nil {
		return fetch.Snapshot{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.fetches[id]; ok && !old.settled() {
		return m.snapshot(old), fetch.ErrDuplicateID
	}
	opts.Replace = true
	s, _, err := m.ensure(id, false, requests, opts)
	return s, err
}

func sameURLs(f *fetchState, requests []fetch.Request) bool {
	return slices.EqualFunc(f.records, requests, func(r *record, req fetch.Request) bool { return r.req.URL == req.URL })
}

// Get returns a snapshot of the fetch with id.
func (m *Manager) Get(id string) (fetch.Snapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if !ok {
		return fetch.Snapshot{}, false
	}
	return m.snapshot(f), true
}

// IDs lists the fetches in the order they were started.
func (m *Manager) IDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, len(m.order))
	for i, f := range m.order {
		ids[i] = f.id
	}
	return ids
}

// Snapshots returns every fetch, in the order they were started.
func (m *Manager) Snapshots() []fetch.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]fetch.Snapshot, len(m.order))
	for i, f := range m.order {
		out[i] = m.snapshot(f)
	}
	return out
}

// Abort stops the fetch with id and removes its partial files. It reports
// whether the fetch was active; aborting a settled or unknown fetch does
// nothing.
func (m *Manager) Abort(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if !ok || f.settled() || f.aborted {
		return false // a second Abort while the first winds down is not news
	}
	f.aborted = true
	for _, r := range f.records {
		switch {
		case r.cancel != nil:
			r.cancel(fetch.ErrAborted) // runRecord removes the partial file once stopped
		case !r.state.Settled():
			r.state = fetch.StateAborted
			m.removePartial(r)
		}
	}
	m.settle(f)
	m.markDirty()
	return true
}

// Pause stops the fetch with id, keeping its partial data; it stays paused
// across restarts until Resume.
func (m *Manager) Pause(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if !ok {
		return fetch.ErrNotFound
	}
	if f.settled() || f.paused {
		return nil
	}
	f.paused = true
	for _, r := range f.records {
		if r.cancel != nil {
			r.cancel(errPaused)
		}
	}
	m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
	m.markDirty()
	return nil
}

// Resume lets a paused fetch carry on from where it stopped.
func (m *Manager) Resume(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if !ok {
		return fetch.ErrNotFound
	}
	if !f.paused {
		return nil
	}
	f.paused = false
	m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
	m.markDirty()
	poke(m.wake)
	return nil
}

// PauseAll pauses every active fetch.
func (m *Manager) PauseAll() {
	for _, id := range m.IDs() {
		m.Pause(id)
	}
}

// ResumeAll resumes every paused fetch.
func (m *Manager) ResumeAll() {
	for _, id := range m.IDs() {
		m.Resume(id)
	}
}

// Retry queues the failed records of a failed fetch again, which resume
// from the partial data they kept, or the records of a cancelled fetch,
// which start again ("Download again").
func (m *Manager) Retry(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	switch {
	case !ok:
		return fetch.ErrNotFound
	case f.state != fetch.StateFailed && f.state != fetch.StateAborted:
		return fetch.ErrNotFailed
	}
	m.retry(f)
	return nil
}

// failed is the failed fetch with id: ErrNotFound when there is none,
// ErrNotFailed when it did not fail. m.mu is held.
func (m *Manager) failed(id string) (*fetchState, error) {
	f, ok := m.fetches[id]
	if !ok {
		return nil, fetch.ErrNotFound
	}
	if f.state != fetch.StateFailed {
		return nil, fetch.ErrNotFailed
	}
	return f, nil
}

func (m *Manager) retry(f *fetchState) {
	f.state, f.reason, f.message, f.status, f.paused, f.aborted = fetch.StateQueued, fetch.ReasonNone, "", 0, false, false
	for _, r := range f.records {
		if r.state == fetch.StateFailed || r.state == fetch.StateAborted {
			r.state, r.reason, r.message, r.status, r.offset = fetch.StateQueued, fetch.ReasonNone, "", 0, 0
		}
	}
	m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
	m.markDirty()
	poke(m.wake)
}

// Remove forgets a settled fetch. Completed files stay where they are;
// the partial files of a failed fetch are deleted.
func (m *Manager) Remove(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[id]
	if !ok {
		return fetch.ErrNotFound
	}
	if !f.settled() {
		return fetch.ErrNotSettled
	}
	m.publish(fetch.Event{Kind: fetch.EventRemove, Fetch: m.snapshot(f)})
	m.drop(f)
	m.markDirty()
	return nil
}

func (m *Manager) drop(f *fetchState) {
	for _, r := range f.records {
		m.removePartial(r)
	}
	os.Remove(filepath.Join(m.cfg.PartialDir, f.id))
	delete(m.fetches, f.id)
	m.order = slices.DeleteFunc(m.order, func(g *fetchState) bool { return g == f })
}

// RunOnly makes the engine run only the fetch with id ("" for every
// fetch again): the others stay as they are, queued, for the engine that
// runs them all. A `modelfetch get` that took over after the window quit
// downloads what it was asked for, not the window's whole list.
func (m *Manager) RunOnly(id string) {
	m.mu.Lock()
	m.only = id
	m.mu.Unlock()
	poke(m.wake)
}

// SetShareNew makes every Hub model's file verified from now on available
// to the apps named (the window's "Always make new models available
// to"), besides those its request names.
func (m *Manager) SetShareNew(apps []string) {
	m.mu.Lock()
	m.shareNew = slices.Clone(apps)
	m.mu.Unlock()
}

// SetMaxActive changes how many records transfer at once.
func (m *Manager) SetMaxActive(n int) {
	if n <= 0 {
		n = DefaultConfig().MaxActive
	}
	m.mu.Lock()
	m.maxActive = n
	m.mu.Unlock()
	poke(m.wake)
}

// SetMaxConnections changes the cap on connections per record for
// transfers that start from now on.
func (m *Manager) SetMaxConnections(n int) {
	if n <= 0 {
		n = DefaultConfig().MaxConnections
	}
	m.mu.Lock()
	m.maxConns = n
	m.mu.Unlock()
}

// SetLimitRate caps the bytes per second of all transfers together, at
// once; 0 removes the cap.
func (m *Manager) SetLimitRate(bytesPerSecond int64) {
	if bytesPerSecond <= 0 {
		m.limiter.SetLimit(rate.Inf)
		return
	}
	// A burst of a tenth of a second keeps the flow smooth, within the
	// bounds of what one read returns.
	// From no cap, the limiter fills to the new burst with any time at
	// all (rate.Inf is the largest float) and with none when both calls
	// read one instant, as Windows' coarse clock can: a nanosecond apart,
	// a new cap starts with its burst on every system.
	now := time.Now()
	m.limiter.SetBurstAt(now, int(min(max(bytesPerSecond/10, 16<<10), transfer.ReadSize)))
	m.limiter.SetLimitAt(now.Add(time.Nanosecond), rate.Limit(bytesPerSecond))
}

// Cancellation causes of a running record.
var (
	errPaused  = errors.New("paused")
	errAmended = errors.New("asked for again with another digest or name")
)

// poke wakes whoever waits on c, without blocking.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// progressLoop tells subscribers of progress while anything runs, and
// sleeps while nothing does.
func (m *Manager) progressLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !m.reportProgress(time.Now()) {
			t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-m.activity:
				t.Reset(m.cfg.ProgressInterval)
			}
		}
	}
}

// reportProgress updates speeds and publishes the fetches that changed. It
// reports whether anything is running.
func (m *Manager) reportProgress(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.order {
		if f.settled() {
			continue
		}
		d := f.downloaded()
		if !f.meter.at.IsZero() && d > f.meter.bytes {
			f.grewAt = now
		}
		f.meter.sample(now, d)
		s := m.head(f)
		f.slowSince = slowSince(f.slowSince, s, now, m.cfg.SlowRate)
		if s.Downloaded != f.lastSent.Downloaded || s.State != f.lastSent.State || s.Speed != f.lastSent.Speed {
			if m.listening(f.id) { // a fetch of many files is not copied for nobody
				m.publish(fetch.Event{Kind: fetch.EventProgress, Fetch: m.snapshot(f)})
			}
			f.lastSent = s
		}
	}
	return m.running > 0
}

// removePartial deletes a record's .part file. m.mu is held.
func (m *Manager) removePartial(r *record) {
	if err := os.Remove(m.partPath(r)); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.cfg.Logger.Warn("remove partial file", "err", err)
	}
	r.resetPlan()
}

func (m *Manager) partPath(r *record) string {
	return filepath.Join(m.cfg.PartialDir, r.f.id, fmt.Sprintf("%d.part", r.index))
}
