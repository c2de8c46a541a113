package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/enginetest"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// origin serves generated files (origintest.PutNamed) on 127.0.0.1: at
// /files/NAME, and held until released at /hold/NAME.
type origin struct{ *origintest.Server }

func newOrigin(tb testing.TB, sizes map[string]int) *origin {
	tb.Helper()
	o := &origin{origintest.Start(tb, origintest.OnPaths("/hold/", origintest.Hold))}
	for name, size := range sizes {
		o.PutNamed(name, size)
		o.Put("/hold/"+name, o.Bytes(origintest.NamedPath(name)))
	}
	return o
}

func (o *origin) url(name string) string { return o.FileURL(origintest.NamedPath(name)) }

func (o *origin) sha(name string) string { return o.SHA256(origintest.NamedPath(name)) }

// env is a real engine on temporary folders, served on a real socket.
type env struct {
	origin  *origin
	root    string // everything on disk lives below
	home    string
	cfg     downloader.Config
	m       *downloader.Manager
	srv     *Server
	sock    string
	c       *Client
	catalog []catalog.Model

	stopServer func() // ends Serve and waits for it; the cleanup calls it too
}

// shortTemp is a temporary folder with a short path: a socket address holds
// 107 bytes, and t.TempDir's paths carry the test's name.
func shortTemp(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "mfapi")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

type envOptions struct {
	sizes      map[string]int
	held       bool // catalog models point at /hold/ URLs
	tweak      func(*Options)
	roots      []string // the engine's Config.Roots besides the home's Hub cache
	sendBuffer int
	otherUser  bool // the server accepts only another user's connections
	progress   time.Duration
}

func newEnv(tb testing.TB, eo envOptions) *env {
	tb.Helper()
	e := &env{origin: newOrigin(tb, eo.sizes), root: shortTemp(tb)}
	e.home = filepath.Join(e.root, "home")
	e.cfg = downloader.Config{
		StateDir:           filepath.Join(e.home, ".local", "state", "modelfetch"),
		PartialDir:         filepath.Join(e.home, ".cache", "modelfetch", "partial"),
		ModelsDir:          filepath.Join(e.home, ".cache", "modelfetch", "models"),
		Roots:              append([]string{filepath.Join(e.home, ".cache", "huggingface", "hub")}, eo.roots...),
		Home:               e.home,
		Client:             &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}},
		StallTimeout:       5 * time.Second,
		CheckpointInterval: 50 * time.Millisecond,
		ProgressInterval:   max(eo.progress, 20*time.Millisecond),
		ScaleInterval:      20 * time.Millisecond,
		BackoffBase:        5 * time.Millisecond,
		BackoffMax:         50 * time.Millisecond,
		MaxRetries:         2,
		MaxActive:          4,
		MaxConnections:     4,
		MinSegment:         1 << 20,
	}
	names := make([]string, 0, len(eo.sizes))
	for name := range eo.sizes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		u := e.origin.url(name)
		if eo.held {
			u = e.origin.URL + "/hold/" + name
		}
		e.catalog = append(e.catalog, catalog.Model{ID: "model-" + strings.ToLower(name), Title: "Model " + name,
			Files: []catalog.ModelFile{{URL: u, Name: name + ".bin", Size: int64(eo.sizes[name]), SHA256: e.origin.sha(name)}}})
	}
	e.m = enginetest.Start(tb, e.cfg)
	m := e.m

	opts := Options{Catalog: e.catalog, HubCache: e.cfg.Roots[0], WriteTimeout: 2 * time.Second}
	if eo.tweak != nil {
		eo.tweak(&opts)
	}
	e.srv = New(m, opts)
	e.srv.sendBuffer = eo.sendBuffer
	if eo.otherUser {
		e.srv.uid = otherUser()
	}
	e.sock = filepath.Join(e.root, "run", "modelfetch.sock")
	if err := e.srv.Listen(e.sock); err != nil {
		tb.Fatal(err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(serveCtx) }()
	e.c = NewClient(e.sock)
	var stopOnce sync.Once
	e.stopServer = func() {
		stopOnce.Do(func() {
			stopServe()
			if err := <-served; err != nil {
				tb.Errorf("Serve: %v", err)
			}
		})
	}
	// Registered last, so it runs first: the server stops before the engine.
	tb.Cleanup(func() {
		e.c.CloseIdleConnections()
		e.stopServer()
		if _, err := os.Lstat(e.sock); !errors.Is(err, fs.ErrNotExist) {
			tb.Errorf("the socket is still there after Serve returned: %v", err)
		}
	})
	return e
}

// waitSettled waits until every fetch in ids has settled and returns
// their final snapshots, in the order of ids: Manager.Wait on each, under
// ctxT(tb).
func waitSettled(tb testing.TB, m *downloader.Manager, ids ...string) []fetch.Snapshot {
	tb.Helper()
	snaps := make([]fetch.Snapshot, len(ids))
	for i, id := range ids {
		var err error
		if snaps[i], err = m.Wait(ctxT(tb), id, nil); err != nil {
			tb.Fatalf("gave up waiting for %s to settle: %v", id, err)
		}
	}
	return snaps
}

// openStuckStream asks the server at sock for every event over a
// connection of its own and reads the answer's header, so that the stream
// is open when it returns; then nothing reads it again: a client that
// stopped reading. The test's end closes it.
func openStuckStream(tb testing.TB, sock string) net.Conn {
	tb.Helper()
	conn, err := dial(ctxT(tb), sock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET /v1/events HTTP/1.1\r\nHost: modelfetch\r\n\r\n"); err != nil {
		tb.Fatal(err)
	}
	// A byte at a time: a buffered reader would read on into the stream.
	stop := context.AfterFunc(ctxT(tb), func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var head []byte
	b := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := conn.Read(b); err != nil {
			tb.Fatalf("reading the header of the stream: got %q, %v", head, err)
		}
		head = append(head, b[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) {
		tb.Fatalf("got the header %q, want a 200", head)
	}
	return conn
}

// tree lists every file and folder below root with its size, to show that
// a refused request wrote nothing.
func tree(t *testing.T, root string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "lock" || strings.HasPrefix(d.Name(), "journal.json") {
			return nil // the engine's own bookkeeping, rewritten at will
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ctxT is the test's context, ended after a minute at most: what a test
// waits for happens in seconds, or not at all.
func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
