package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// ErrNotRunning means no ModelFetch serves the API at the socket: the
// caller may run the engine itself.
var ErrNotRunning = errors.New("no ModelFetch is running")

// Error is an answer of the server that is not a success.
type Error struct {
	Status  int    // the HTTP status, e.g. 404
	Message string // the server's sentence
}

func (e *Error) Error() string { return fmt.Sprintf("local api answered %d: %s", e.Status, e.Message) }

// Sentence is the server's own sentence (a downloader.Sayer).
func (e *Error) Sentence() string { return e.Message }

// Is makes errors.Is(err, downloader.ErrNotFound) true for a 404, so that
// callers treat a missing fetch the same whether the engine runs in their
// process or behind the socket.
func (e *Error) Is(target error) bool {
	return target == fetch.ErrNotFound && e.Status == http.StatusNotFound
}

// Client talks to the API over its socket (a named pipe on Windows). It is safe for concurrent
// use and holds idle connections; CloseIdleConnections releases them.
type Client struct {
	path string
	hc   *http.Client
}

// NewClient returns a client of the server at socketPath (see SocketPath).
func NewClient(socketPath string) *Client {
	t := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, socketPath)
		},
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       time.Minute,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
	// No Timeout: event streams last as long as the fetch; ctx bounds calls.
	return &Client{path: socketPath, hc: &http.Client{Transport: t}}
}

// CloseIdleConnections closes the connections kept for later calls.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// do sends a request and decodes a JSON answer into out (when not nil).
// Statuses of 400 and up become *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.StatusCode, readError(resp)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("read the answer of %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode the request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	// The host is a placeholder: the transport always dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://modelfetch"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if notRunning(err) {
			return nil, fmt.Errorf("nothing answers at %s: %w", c.path, ErrNotRunning)
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// notRunning reports whether a dial error means there is no server (see
// noServer, one list per system).
func notRunning(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && slices.ContainsFunc(noServer, func(e error) bool { return errors.Is(err, e) })
}

func readError(resp *http.Response) error {
	var body errorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) != nil || body.Error == "" {
		body.Error = fmt.Sprintf("ModelFetch answered %s", resp.Status)
	}
	return &Error{Status: resp.StatusCode, Message: body.Error}
}

// Ping checks that a server answers; ErrNotRunning when none does.
func (c *Client) Ping(ctx context.Context) (Instance, error) {
	var in Instance
	_, err := c.do(ctx, http.MethodGet, "/v1", nil, &in)
	return in, err
}

// Create asks for a fetch (ask.Ask), as downloader.Manager.Ensure does:
// it starts one, or joins the active one for the same files (resuming it
// if paused). created reports which: false means another client had asked
// first, or the files were already downloaded.
func (c *Client) Create(ctx context.Context, req CreateRequest) (res Created, created bool, err error) {
	status, err := c.do(ctx, http.MethodPost, "/v1/fetches", req, &res)
	return res, status == http.StatusCreated, err
}

// List returns every fetch, oldest first.
func (c *Client) List(ctx context.Context) ([]fetch.Snapshot, error) {
	var snaps []fetch.Snapshot
	_, err := c.do(ctx, http.MethodGet, "/v1/fetches", nil, &snaps)
	return snaps, err
}

// Get returns the fetch with id.
func (c *Client) Get(ctx context.Context, id string) (fetch.Snapshot, error) {
	var snap fetch.Snapshot
	_, err := c.do(ctx, http.MethodGet, "/v1/fetches/"+url.PathEscape(id), nil, &snap)
	return snap, err
}

// Remove forgets a settled fetch; its files stay.
func (c *Client) Remove(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/fetches/"+url.PathEscape(id), nil, nil)
	return err
}

func (c *Client) action(ctx context.Context, id, action string) (fetch.Snapshot, error) {
	var snap fetch.Snapshot
	_, err := c.do(ctx, http.MethodPost, "/v1/fetches/"+url.PathEscape(id)+"/"+action, nil, &snap)
	return snap, err
}

// Pause pauses the fetch with id, keeping its partial data.
func (c *Client) Pause(ctx context.Context, id string) (fetch.Snapshot, error) {
	return c.action(ctx, id, "pause")
}

// Resume lets a paused fetch carry on.
func (c *Client) Resume(ctx context.Context, id string) (fetch.Snapshot, error) {
	return c.action(ctx, id, "resume")
}

// Abort cancels the fetch with id. Aborting a settled fetch changes
// nothing; the snapshot says which happened.
func (c *Client) Abort(ctx context.Context, id string) (fetch.Snapshot, error) {
	return c.action(ctx, id, "abort")
}

// Retry queues a failed fetch again (a 409 *Error when it has not failed).
func (c *Client) Retry(ctx context.Context, id string) (fetch.Snapshot, error) {
	return c.action(ctx, id, "retry")
}

// Share makes the verified model files of the fetch with id available to
// app ("ollama", "lmstudio", "jan", "gpt4all"), copying where no link can
// be made only with allowCopy (see Manager.Share); the records' Shared of
// the answer say how it went. A fetch with no such file is a 409 *Error.
func (c *Client) Share(ctx context.Context, id, app string, allowCopy bool) (fetch.Snapshot, error) {
	var snap fetch.Snapshot
	_, err := c.do(ctx, http.MethodPost, "/v1/fetches/"+url.PathEscape(id)+"/share", ShareBody{App: app, Copy: allowCopy}, &snap)
	return snap, err
}

// Unshare removes what was made in the app (its key, "ollama") for the
// files of the fetch id, and nothing else (Manager.Unshare).
func (c *Client) Unshare(ctx context.Context, id, app string) (fetch.Snapshot, error) {
	var snap fetch.Snapshot
	_, err := c.do(ctx, http.MethodDelete, "/v1/fetches/"+url.PathEscape(id)+"/share/"+url.PathEscape(app), nil, &snap)
	return snap, err
}

// MatchURL returns the path of the completed download of rawURL; a 404
// *Error when there is none.
func (c *Client) MatchURL(ctx context.Context, rawURL string) (string, error) {
	var res MatchResult
	if _, err := c.do(ctx, http.MethodGet, "/v1/match?url="+url.QueryEscape(rawURL), nil, &res); err != nil {
		return "", err
	}
	if len(res.Paths) != 1 {
		return "", fmt.Errorf("the server matched %d files for one URL", len(res.Paths))
	}
	return res.Paths[0], nil
}

// MatchModel returns the paths of a catalog model's completed files; a 404
// *Error when one is missing.
func (c *Client) MatchModel(ctx context.Context, model string) ([]string, error) {
	var res MatchResult
	_, err := c.do(ctx, http.MethodGet, "/v1/match?model="+url.QueryEscape(model), nil, &res)
	return res.Paths, err
}

// Catalog returns the models that can be fetched by id.
func (c *Client) Catalog(ctx context.Context) ([]catalog.Model, error) {
	var models []catalog.Model
	_, err := c.do(ctx, http.MethodGet, "/v1/catalog", nil, &models)
	return models, err
}

// Model returns one catalog model.
func (c *Client) Model(ctx context.Context, id string) (catalog.Model, error) {
	var m catalog.Model
	_, err := c.do(ctx, http.MethodGet, "/v1/catalog/"+url.PathEscape(id), nil, &m)
	return m, err
}

// Show asks the running app to bring its window forward; a 501 *Error
// means it runs without one.
func (c *Client) Show(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/show", nil, nil)
	return err
}

// Events opens the event stream of the fetch with id, or of every fetch
// when id is empty. The caller must Close it. It starts with a KindSnapshot
// event per fetch.
func (c *Client) Events(ctx context.Context, id string) (*EventStream, error) {
	path := "/v1/events"
	if id != "" {
		path = "/v1/fetches/" + url.PathEscape(id) + "/events"
	}
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return newEventStream(resp.Body), nil
}

// ErrDropped is the end of a stream the server closed because this client
// fell behind; open a new one to carry on.
var ErrDropped = errors.New("the event stream fell behind and was closed by ModelFetch")

// EventStream reads Server-Sent Events. It is not safe for concurrent use.
type EventStream struct {
	body io.ReadCloser
	r    *bufio.Reader
}

// newEventStream reads the events of body, which Close closes.
func newEventStream(body io.ReadCloser) *EventStream {
	return &EventStream{body: body, r: bufio.NewReaderSize(body, 64<<10)}
}

// maxEvent bounds one event's data, so that a broken server cannot make
// the client buffer without end.
const maxEvent = 4 << 20

// Next returns the next event. At the end of the stream it returns io.EOF,
// or ErrDropped when the server dropped this client.
func (st *EventStream) Next() (fetch.Event, error) {
	var name string
	var data []byte
	for {
		text, err := st.line()
		if err != nil {
			return fetch.Event{}, err
		}
		switch {
		case text == "":
			if data != nil {
				return decodeEvent(name, data)
			}
		case strings.HasPrefix(text, ":"):
			// A comment: the heartbeat.
		case strings.HasPrefix(text, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(text, "event:"))
		case strings.HasPrefix(text, "data:"):
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(text, "data:"), " ")...)
			if len(data) > maxEvent {
				return fetch.Event{}, fmt.Errorf("an event is larger than %d bytes", maxEvent)
			}
		}
	}
}

// line reads the next line without its end, gathering a line longer than
// the reader's buffer up to maxEvent. The end of the stream, even in the
// middle of a line, is io.EOF.
func (st *EventStream) line() (string, error) {
	line, err := st.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(buf) <= maxEvent {
			line, err = st.r.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	switch {
	case err == nil:
		return strings.TrimRight(string(line), "\r\n"), nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "", io.EOF
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("an event is larger than %d bytes", maxEvent)
	default:
		return "", err
	}
}

// decodeEvent makes the event named name (empty: the kind in data) of
// its data.
func decodeEvent(name string, data []byte) (fetch.Event, error) {
	if name == string(KindDropped) {
		return fetch.Event{}, ErrDropped
	}
	var ev fetch.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return fetch.Event{}, fmt.Errorf("an event of the stream is not valid: %w", err)
	}
	if name != "" {
		ev.Kind = fetch.EventKind(name)
	}
	return ev, nil
}

// Close ends the stream.
func (st *EventStream) Close() error { return st.body.Close() }

// Wait follows the fetch with id until it settles and returns its final
// snapshot, calling show (when not nil) with every event on the way. When
// the server drops the stream because show was slow, Wait reconnects and
// carries on from the snapshot. It returns early with ctx's error, or an
// error when the server goes away (ErrNotRunning once it is gone).
func (c *Client) Wait(ctx context.Context, id string, show func(fetch.Event)) (fetch.Snapshot, error) {
	for {
		st, err := c.Events(ctx, id)
		if err != nil {
			return fetch.Snapshot{}, err
		}
		snap, done, err := follow(st, show)
		st.Close()
		switch {
		case done:
			return snap, nil
		case ctx.Err() != nil:
			return fetch.Snapshot{}, ctx.Err()
		case errors.Is(err, ErrDropped):
			continue
		case errors.Is(err, io.EOF):
			// The server stopped (or restarted); a new stream tells which.
			if perr := c.stillThere(ctx); perr != nil {
				return fetch.Snapshot{}, perr
			}
			continue
		default:
			return fetch.Snapshot{}, err
		}
	}
}

// stillThere asks whether a server that ended a stream still answers:
// nil when it does, ErrNotRunning once it is gone. A server on its way
// out may take the question and close it unanswered (it had not closed
// its socket or pipe yet): asked again a moment later, it is gone or
// answers.
func (c *Client) stillThere(ctx context.Context) error {
	for range 20 {
		_, err := c.Ping(ctx)
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("ModelFetch at %s closes every request unanswered: %w", c.path, ErrNotRunning)
}

// follow reads st until the fetch settles.
func follow(st *EventStream, show func(fetch.Event)) (fetch.Snapshot, bool, error) {
	for {
		ev, err := st.Next()
		if err != nil {
			return fetch.Snapshot{}, false, err
		}
		if show != nil {
			show(ev)
		}
		if ev.Fetch.State.Settled() {
			return ev.Fetch, true, nil
		}
	}
}
