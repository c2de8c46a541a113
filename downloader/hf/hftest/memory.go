package hftest

import (
	"io"
	"net/http"
	"sync"
)

// Transport is a RoundTripper that hands each request to the hub's handler
// in memory, without a socket, so that a test in a testing/synctest bubble
// runs the hub on the bubble's clock: an endless answer, or a time bound of
// minutes, then costs no real time. The body streams through a pipe, as
// the handler writes it, and ends when the request's context ends. It
// serves the hub's routes only, not the CDN's.
func (h *Hub) Transport() http.RoundTripper { return memory{h} }

type memory struct{ h http.Handler }

func (m memory) RoundTrip(req *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, begun: make(chan struct{})}
	go func() {
		m.h.ServeHTTP(w, req)
		if req.Body != nil {
			_ = req.Body.Close()
		}
		w.WriteHeader(http.StatusOK)
		_ = pw.Close()
	}()
	select {
	case <-w.begun:
	case <-req.Context().Done():
		_ = pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{Status: http.StatusText(w.status), StatusCode: w.status, Header: w.sent,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, ContentLength: -1, Body: pr, Request: req}, nil
}

// pipeWriter is the handler's side of an in-memory answer: the header as it
// was when the handler began to answer, and the body into a pipe, which
// blocks until the client reads and fails once it has stopped reading.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter
	once   sync.Once
	status int
	sent   http.Header
	begun  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status, w.sent = code, w.header.Clone()
		close(w.begun)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Flush has nothing to do: each Write reaches the client as it is read.
func (w *pipeWriter) Flush() {}
