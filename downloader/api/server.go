// Package api is ModelFetch's local API: HTTP and JSON over a unix socket
// (a named pipe on Windows) that only the user can reach, so that other
// programs (a terminal, a script, an inference server waiting for its
// model) use the one running engine instead of starting a second one.
// Server serves it for a downloader.Manager; Client is its typed client.
//
// Resources (all JSON; errors are {"error": "a sentence"} with a 4xx or
// 5xx status):
//
//	GET    /v1                          this instance: {"api": "v1", "pid": …}
//	POST   /v1/fetches                  create a fetch (201), or attach to the active one for the same files (200)
//	GET    /v1/fetches                  every fetch, oldest first
//	GET    /v1/fetches/{id}             one fetch
//	DELETE /v1/fetches/{id}             forget a settled fetch (its files stay)
//	POST   /v1/fetches/{id}/pause       pause, keeping the partial data
//	POST   /v1/fetches/{id}/resume      carry on
//	POST   /v1/fetches/{id}/abort       cancel, deleting the partial data
//	POST   /v1/fetches/{id}/retry       retry a failed fetch from where it stopped
//	GET    /v1/fetches/{id}/events      Server-Sent Events of that fetch
//	GET    /v1/events                   Server-Sent Events of every fetch
//	GET    /v1/match?url=U | ?model=ID  the paths of completed, verified files
//	GET    /v1/catalog                  the models that can be fetched by id
//	GET    /v1/catalog/{id}             one model
//	POST   /v1/show                     bring the window forward (204; 501 when headless)
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelfetch/modelfetch/downloader/ask"
	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/hf"
)

// Limits on what a client may send.
const (
	// MaxBody is the largest request body: a fetch of a thousand files
	// fits many times over.
	MaxBody = 1 << 20
	// MaxRequests is the most files one fetch may have.
	MaxRequests = 1000
)

// Options configure a Server. Zero fields take sensible defaults.
type Options struct {
	// Catalog is what GET /v1/catalog lists and what a create by model id
	// looks in.
	Catalog []catalog.Model
	// StreamBuffer is how many events may wait for one event stream before
	// the engine drops it (default 64).
	StreamBuffer int
	// Heartbeat is how often an idle event stream sends a comment, so that
	// clients and proxies see the connection is alive (default 15s).
	Heartbeat time.Duration
	// WriteTimeout is how long writing one event to a stream may block
	// before the client is given up as stuck (default 10s).
	WriteTimeout time.Duration
	Logger       *slog.Logger
	// Hub gives the client that resolves the Hugging Face names a create
	// may give as its model. It is asked on every create, so that a token
	// saved meanwhile (the window's Settings) applies at once; nil, or a
	// nil client, refuses them. HubCache is the Hub cache their files go
	// to.
	Hub      func() *hf.Client
	HubCache string
	// Show brings the window forward, for a second start of the app that
	// hands over to this one (POST /v1/show). Nil when there is no window
	// (a headless engine): the route then answers 501. It is called on a
	// request goroutine and must not block.
	Show func()
}

// Stats count what the event streams did, for tests and diagnostics.
type Stats struct {
	Streams int64 // open now
	Opened  int64 // since the server started
	Dropped int64 // ended because the client did not keep up (the engine dropped it, or a write timed out)
	Events  int64 // events written to streams
}

// Server serves the API of one Manager. Create it with New, call Listen,
// then Serve; Serve closes everything when its context ends. Close releases
// a server that was never served.
type Server struct {
	m       *downloader.Manager
	opts    Options
	asks    ask.Resolver
	handler http.Handler

	uid        userID // the only user whose connections are accepted
	sendBuffer int    // the send buffer of accepted connections; tests make it small

	mu      sync.Mutex
	ln      net.Listener // closing it removes what Listen made
	path    string
	closing bool
	active  sync.WaitGroup // running handlers

	encoded encodings // the JSON of recent events, shared by the streams

	streams, opened, dropped, events atomic.Int64
}

// New returns a server for m.
func New(m *downloader.Manager, opts Options) *Server {
	opts.StreamBuffer = cmp.Or(opts.StreamBuffer, 64)
	opts.Heartbeat = cmp.Or(opts.Heartbeat, 15*time.Second)
	opts.WriteTimeout = cmp.Or(opts.WriteTimeout, 10*time.Second)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		m:    m,
		opts: opts,
		uid:  currentUser(),
		asks: ask.Resolver{Catalog: opts.Catalog, Hub: opts.Hub, HubCache: opts.HubCache, Place: m.Place},
	}
	s.handler = s.routes()
	return s
}

// Handler is the API as an http.Handler, for serving it elsewhere (tests,
// a different listener). Listen and Serve use it.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen makes the endpoint at path (see SocketPath) that only the user
// can reach: on Unix a socket of mode 0600 in a folder of the user's,
// guarded by a lock on path+".lock" so that of two servers starting at
// once one gets ErrRunning, replacing a socket a crashed server left; on
// Windows a named pipe (see pipeName). Where a server answers already,
// it is ErrRunning; anything else at path is an error, and left alone.
func (s *Server) Listen(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return fmt.Errorf("the local API already listens at %s", s.path)
	}
	ln, err := listen(path, endpoint{user: s.uid, sendBuffer: s.sendBuffer, log: s.opts.Logger})
	if err != nil {
		return err
	}
	s.ln, s.path = ln, path
	return nil
}

// Serve answers requests until ctx is done, then closes the listener and
// every event stream, waits for its handlers to return, removes the socket
// and returns nil. It owns every goroutine it starts.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return ErrNotListening
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Every request's context ends with ctx, which is what ends the
		// event streams.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		served <- err
	}
	// Plain requests take milliseconds; a stream whose client is stuck in
	// a write is cut by Close.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if serr := srv.Shutdown(sctx); serr != nil {
		srv.Close()
	}
	cancel()
	<-served
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.active.Wait()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Close stops listening and removes the socket (if it is still the one
// Listen made). Serve calls it; call it yourself only when Serve never
// ran.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s.ln = nil
	return err
}

// Stats returns the counters of the event streams.
func (s *Server) Stats() Stats {
	return Stats{Streams: s.streams.Load(), Opened: s.opened.Load(), Dropped: s.dropped.Load(), Events: s.events.Load()}
}

// enter registers a handler with Serve's wait, or reports that the server
// is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.active.Add(1)
	return true
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1", s.instance)
	mux.HandleFunc("POST /v1/fetches", s.create)
	mux.HandleFunc("GET /v1/fetches", s.list)
	mux.HandleFunc("GET /v1/fetches/{id}", s.get)
	mux.HandleFunc("DELETE /v1/fetches/{id}", s.remove)
	for _, action := range []string{"pause", "resume", "abort", "retry"} {
		mux.HandleFunc("POST /v1/fetches/{id}/"+action, func(w http.ResponseWriter, r *http.Request) { s.control(w, r, action) })
	}
	mux.HandleFunc("POST /v1/fetches/{id}/share", s.share)
	mux.HandleFunc("DELETE /v1/fetches/{id}/share/{app}", s.unshare)
	mux.HandleFunc("GET /v1/fetches/{id}/events", s.fetchEvents)
	mux.HandleFunc("GET /v1/events", s.allEvents)
	mux.HandleFunc("GET /v1/match", s.match)
	mux.HandleFunc("GET /v1/catalog", s.catalog)
	mux.HandleFunc("GET /v1/catalog/{id}", s.model)
	mux.HandleFunc("POST /v1/show", s.show)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enter() {
			writeError(w, http.StatusServiceUnavailable, "ModelFetch is shutting down; try again in a moment.")
			return
		}
		defer s.active.Done()
		defer func() {
			// A bug in a handler must not take the engine down with it;
			// http.ErrAbortHandler is how a handler gives up on a client.
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Logger.Error("local API handler panicked", "panic", v, "path", r.URL.Path)
				writeError(w, http.StatusInternalServerError, "The request failed inside ModelFetch; the problem has been logged.")
			}
		}()
		if _, pattern := mux.Handler(r); pattern == "" {
			s.noRoute(w, r, mux)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// noRoute answers what the mux has no handler for (unknown path, wrong
// method, or a redirect to a cleaned path) with a JSON error, keeping the
// status and headers (Allow, Location) the mux chose.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	h, _ := mux.Handler(r)
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	for _, k := range []string{"Allow", "Location"} {
		if v := rec.header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	switch rec.status {
	case http.StatusMethodNotAllowed:
		writeError(w, rec.status, fmt.Sprintf("The resource %s does not accept %s; it accepts %s.", r.URL.Path, r.Method, rec.header.Get("Allow")))
	case http.StatusNotFound, 0:
		writeError(w, http.StatusNotFound, fmt.Sprintf("There is no resource at %s; the resources are listed in docs/api.md.", r.URL.Path))
	default:
		writeError(w, rec.status, fmt.Sprintf("The resource %s is at %s.", r.URL.Path, rec.header.Get("Location")))
	}
}

// recorder captures the status and headers of the mux's own answers.
type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// errorBody is every error's JSON.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"The answer could not be encoded."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// A write error means the client went away; there is no one to tell.
	w.Write(append(data, '\n'))
}

// Instance describes the server answering GET /v1.
type Instance struct {
	API string `json:"api"`
	PID int    `json:"pid"`
}

func (s *Server) instance(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Instance{API: "v1", PID: os.Getpid()})
}

// CreateRequest is the body of POST /v1/fetches: either Model (a catalog
// id) or Requests, plus the engine's options. ID is optional: a model's
// CreateRequest is a create's body: what a client asks for (ask.Ask).
type CreateRequest = ask.Ask

// Created is a create's answer: the fetch, and for a Hugging Face name
// that named no quantization, the one taken (ask.Fetch.Picked).
type Created struct {
	fetch.Snapshot
	Picked string `json:"picked,omitempty"`
}

// createFields lists CreateRequest's fields for error messages.
const createFields = `"id", "model", "requests" (each with "url", "name", "sha256", "gitSHA1", "size", "dest", "links", "stamp", "model", "share"), "revision", "include", "exclude", "for", "title", "icon", "downloadTotal", "dir", "connections" and "replace"`

// errMore is a request body with more after its JSON object.
var errMore = errors.New("more follows the JSON object")

// decode reads one JSON value of at most MaxBody bytes into v, answering
// the client itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errMore
		}
	}
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", tooBig.Limit))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "The request body ends in the middle of its JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The request body has the unknown field %s; a fetch has %s.",
			strings.TrimPrefix(err.Error(), "json: unknown field "), createFields))
	case errors.As(err, &syntax):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntax.Offset))
	case errors.As(err, &typ) && typ.Field == "":
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The request body must be a JSON object, not %s.", withArticle(typ.Value)))
	case errors.As(err, &typ):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The field %q must be %s, not %s.", typ.Field, withArticle(jsonKind(typ.Type.Kind().String())), withArticle(typ.Value)))
	case errors.Is(err, errMore):
		writeError(w, http.StatusBadRequest, "More follows the JSON object; send one object.")
	default:
		// Whatever else the decoder meets; its words are Go's, not a person's.
		writeError(w, http.StatusBadRequest, "The request body is not a fetch.")
	}
	return false
}

// withArticle is "a string", "an array" and so on.
func withArticle(kind string) string {
	if kind == "" {
		return "nothing"
	}
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// jsonKind names a Go kind as JSON does.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req CreateRequest
	if !decode(w, r, &req) {
		return
	}
	if len(req.Requests) > MaxRequests {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A fetch may have at most %d files, and %d were asked for.", MaxRequests, len(req.Requests)))
		return
	}
	f, err := s.asks.Resolve(r.Context(), req)
	if err != nil {
		writeError(w, http.StatusBadRequest, words.Sentence(err))
		return
	}
	snap, outcome, err := s.m.Ensure(f.ID, f.Requests, f.Options)
	switch {
	case err == nil && outcome == fetch.OutcomeCreated:
		w.Header().Set("Location", "/v1/fetches/"+snap.ID)
		writeJSON(w, http.StatusCreated, Created{snap, f.Picked})
	case err == nil:
		writeJSON(w, http.StatusOK, Created{snap, f.Picked})
	case errors.Is(err, fetch.ErrDuplicateID):
		// Ensure joins the same files, so this is another download.
		writeError(w, http.StatusConflict, fmt.Sprintf("A different download with id %q is in progress; choose another id.", f.ID))
	case errors.Is(err, fetch.ErrConflict):
		writeError(w, http.StatusConflict, words.Sentence(err))
	default:
		// Ensure fails only on what it was given (ErrInvalidID, ErrNoRequests,
		// a *RequestError, a *PlaceError): the client's doing.
		writeError(w, http.StatusBadRequest, words.Sentence(err))
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.m.Snapshots())
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	snap, ok := s.m.Get(r.PathValue("id"))
	if !ok {
		notFound(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

func notFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, fmt.Sprintf("There is no fetch with id %q (see GET /v1/fetches).", id))
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch err := s.m.Remove(id); {
	case errors.Is(err, fetch.ErrNotFound):
		notFound(w, id)
	case errors.Is(err, fetch.ErrNotSettled):
		writeError(w, http.StatusConflict, fmt.Sprintf("The fetch %q is still active; abort it first.", id))
	case err != nil:
		writeError(w, http.StatusInternalServerError, words.Sentence(err))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// control is pause, resume, abort and retry: each answers with the fetch
// as it stands afterwards.
func (s *Server) control(w http.ResponseWriter, r *http.Request, action string) {
	id := r.PathValue("id")
	if _, ok := s.m.Get(id); !ok {
		notFound(w, id)
		return
	}
	var err error
	switch action {
	case "pause":
		err = s.m.Pause(id)
	case "resume":
		err = s.m.Resume(id)
	case "abort":
		// Idempotent like the engine's: a settled fetch stays as it is, and
		// the answer shows its state.
		s.abort(r.Context(), id)
	case "retry":
		err = s.m.Retry(id)
	}
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		notFound(w, id)
		return
	case errors.Is(err, fetch.ErrNotFailed):
		writeError(w, http.StatusConflict, fmt.Sprintf("The fetch %q has not failed, so there is nothing to retry.", id))
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, words.Sentence(err))
		return
	}
	snap, ok := s.m.Get(id)
	if !ok {
		notFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// ShareBody is what POST /v1/fetches/{id}/share asks for: make the
// fetch's verified model files available to App, copying them where no
// link can be made only when Copy allows it (Manager.Share).
type ShareBody struct {
	App  string `json:"app"`
	Copy bool   `json:"copy,omitempty"`
}

// share answers with the fetch, whose records' Shared say how it went
// for the app; 409 when the fetch has no file an app could be given.
func (s *Server) share(w http.ResponseWriter, r *http.Request) {
	var body ShareBody
	if !decode(w, r, &body) {
		return
	}
	snap, err := s.m.Share(r.Context(), r.PathValue("id"), body.App, body.Copy)
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		notFound(w, r.PathValue("id"))
	case errors.Is(err, fetch.ErrNotShareable):
		writeError(w, http.StatusConflict, words.Sentence(err))
	case err != nil:
		writeError(w, http.StatusInternalServerError, words.Sentence(err))
	default:
		writeJSON(w, http.StatusOK, snap)
	}
}

// unshare removes what was made in the app for the fetch's files, and
// answers with the fetch.
func (s *Server) unshare(w http.ResponseWriter, r *http.Request) {
	snap, err := s.m.Unshare(r.PathValue("id"), r.PathValue("app"))
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		notFound(w, r.PathValue("id"))
	case err != nil:
		writeError(w, http.StatusConflict, words.Sentence(err))
	default:
		writeJSON(w, http.StatusOK, snap)
	}
}

// abortWait bounds how long an abort waits for the fetch's transfers to
// stop, so that its answer shows the fetch aborted.
const abortWait = 5 * time.Second

// abort aborts the fetch with id and waits, briefly, until the engine has
// stopped its transfers: Abort only asks running transfers to stop.
func (s *Server) abort(ctx context.Context, id string) {
	sub := s.m.Subscribe(id, 16)
	defer sub.Close()
	s.m.Abort(id)
	timeout := time.NewTimer(abortWait)
	defer timeout.Stop()
	for {
		if snap, ok := s.m.Get(id); !ok || snap.State.Settled() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-timeout.C:
			return
		case _, ok := <-sub.C:
			if !ok {
				// Dropped: the engine is busy publishing; keep checking.
				sub = s.m.Subscribe(id, 16)
				defer sub.Close()
			}
		}
	}
}

// matchCached answers a match of a Hub model with the files the Hub cache
// holds (ask.Resolver.Cached).
func (s *Server) matchCached(w http.ResponseWriter, model string, paths []string, err error) {
	switch {
	case errors.Is(err, hf.ErrNotCached):
		writeError(w, http.StatusNotFound, fmt.Sprintf("No file of %s is in the Hugging Face cache.", model))
	case err != nil:
		writeError(w, http.StatusBadRequest, words.Sentence(err))
	default:
		writeJSON(w, http.StatusOK, MatchResult{Paths: paths})
	}
}

// MatchResult is the answer of GET /v1/match: the completed files, in the
// order of the model's files (one for a URL).
type MatchResult struct {
	Paths []string `json:"paths"`
}

func (s *Server) match(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rawURL, model := q.Get("url"), q.Get("model")
	var urls []string
	switch {
	case (rawURL == "") == (model == ""):
		writeError(w, http.StatusBadRequest, "Give exactly one of the query parameters url and model.")
		return
	case rawURL != "":
		urls = []string{rawURL}
	default:
		if paths, ok, err := s.asks.Cached(ask.Ask{Model: model}); ok {
			s.matchCached(w, model, paths, err)
			return
		}
		m, ok := catalog.Find(s.opts.Catalog, model)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("There is no model %q in the catalog (see GET /v1/catalog), and it is not a Hugging Face name.", model))
			return
		}
		for _, f := range m.Files {
			urls = append(urls, f.URL)
		}
	}
	res := MatchResult{Paths: []string{}}
	for _, u := range urls {
		p, ok := s.m.Match(r.Context(), u)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("The file at %s has not been downloaded (or it is gone).", u))
			return
		}
		res.Paths = append(res.Paths, p)
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	models := s.opts.Catalog
	if models == nil {
		models = []catalog.Model{} // [] rather than null
	}
	writeJSON(w, http.StatusOK, models)
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	m, ok := catalog.Find(s.opts.Catalog, r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("There is no model %q in the catalog (see GET /v1/catalog).", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	if s.opts.Show == nil {
		writeError(w, http.StatusNotImplemented, "This ModelFetch runs without a window.")
		return
	}
	s.opts.Show()
	w.WriteHeader(http.StatusNoContent)
}
