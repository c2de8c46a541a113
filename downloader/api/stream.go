package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Stream event names besides the engine's kinds (progress, success,
// failure, abort).
const (
	// KindSnapshot is the first event of a stream for each fetch it
	// covers: the fetch as it stands when the stream starts, so that a
	// client that connects (or reconnects) late misses nothing, and one
	// waiting for a fetch that already settled learns it at once.
	KindSnapshot fetch.EventKind = "snapshot"
	// KindDropped is the last event of a stream whose client fell behind:
	// reconnect, and the snapshot catches up.
	KindDropped fetch.EventKind = "dropped"
)

func (s *Server) fetchEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.m.Get(id); !ok {
		notFound(w, id)
		return
	}
	s.stream(w, r, id)
}

func (s *Server) allEvents(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, "")
}

// stream sends the events of the fetch with id (every fetch when id is
// empty) as Server-Sent Events until the client leaves, the server stops,
// or the client falls behind. The engine never waits for a stream: it
// drops a subscription whose buffer is full, and the stream then ends.
// Every write has a deadline, so a client that stops reading ties up only
// this handler, and only for Options.WriteTimeout.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, id string) {
	sub := s.m.Subscribe(id, s.opts.StreamBuffer)
	defer sub.Close()
	s.streams.Add(1)
	s.opened.Add(1)
	defer s.streams.Add(-1)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)

	// Subscribed first, then the snapshot: an event in between is sent
	// twice at worst, never missed.
	var buf bytes.Buffer
	snaps := s.snapshots(id)
	for _, snap := range snaps {
		if !s.send(w, rc, &buf, fetch.Event{Kind: KindSnapshot, Fetch: snap}) {
			return
		}
	}
	if len(snaps) == 0 && !s.write(w, rc, []byte(": no fetches yet\n\n")) {
		return
	}

	beat := time.NewTicker(s.opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if !s.write(w, rc, []byte(": keep-alive\n\n")) {
				return
			}
		case ev, ok := <-sub.C:
			if !ok {
				// The engine dropped us: tell the client why, if it still
				// reads at all.
				s.dropped.Add(1)
				s.writeLast(w, rc, []byte("event: "+string(KindDropped)+"\ndata: {\"error\":\"this stream fell behind and was closed; reconnect to carry on\"}\n\n"))
				return
			}
			if !s.send(w, rc, &buf, ev) {
				return
			}
		}
	}
}

// snapshots are the fetch with id as it stands, or every fetch when id is
// empty.
func (s *Server) snapshots(id string) []fetch.Snapshot {
	if id == "" {
		return s.m.Snapshots()
	}
	if snap, ok := s.m.Get(id); ok {
		return []fetch.Snapshot{snap}
	}
	return nil
}

// send writes ev as one Server-Sent Event, using buf for its bytes, and
// reports whether the stream may go on.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, buf *bytes.Buffer, ev fetch.Event) bool {
	buf.Reset()
	buf.WriteString("event: ")
	buf.WriteString(string(ev.Kind))
	buf.WriteString("\ndata: ")
	data, err := s.encoded.get(ev)
	if err != nil {
		s.opts.Logger.Error("encode an event", "err", err)
		return false
	}
	buf.Write(data)
	buf.WriteString("\n\n")
	if !s.write(w, rc, buf.Bytes()) {
		return false
	}
	s.events.Add(1)
	return true
}

// write sends b and flushes it, giving up after Options.WriteTimeout. The
// deadline stays set when the handler returns, so the server's final write
// of the response cannot hang on a stuck client either. It reports
// whether the stream may go on, counting a client that stopped reading
// (the deadline passed) as dropped, and one that left as just gone.
func (s *Server) write(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	if err := rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil {
		s.opts.Logger.Debug("set a write deadline", "err", err)
	}
	_, err := w.Write(b)
	if err == nil {
		err = rc.Flush()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.dropped.Add(1)
	}
	return err == nil
}

// writeLast writes the last words of a dropped stream, for a client that
// still reads; one that does not is not waited for.
func (s *Server) writeLast(w http.ResponseWriter, rc *http.ResponseController, b []byte) {
	if err := rc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		return
	}
	if _, err := w.Write(b); err == nil {
		rc.Flush()
	}
}

// encodings remembers the JSON of recent events. The engine publishes one
// Event to every subscriber, so a hundred streams would otherwise encode
// the same snapshot a hundred times, taking CPU from the downloads.
type encodings struct {
	mu    sync.Mutex
	byKey map[encodingKey][]byte
	order []encodingKey // oldest first, at most maxEncodings
}

// encodingKey identifies one published event: the subscribers' copies of
// an Event share its records' backing array, and a new snapshot always
// has a new one. Holding the pointer keeps the array alive, so it cannot
// be reused by another snapshot while the key is remembered.
type encodingKey struct {
	kind fetch.EventKind
	rec  *fetch.RecordSnapshot
}

// maxEncodings bounds the memory: enough for every fetch's latest events.
const maxEncodings = 256

func (c *encodings) get(ev fetch.Event) ([]byte, error) {
	if len(ev.Fetch.Records) == 0 || ev.Kind == KindSnapshot {
		return json.Marshal(ev)
	}
	key := encodingKey{ev.Kind, &ev.Fetch.Records[0]}
	c.mu.Lock()
	data, ok := c.byKey[key]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[encodingKey][]byte{}
	}
	if _, ok := c.byKey[key]; !ok {
		if len(c.order) == maxEncodings {
			delete(c.byKey, c.order[0])
			c.order = append(c.order[:0], c.order[1:]...)
		}
		c.byKey[key] = data
		c.order = append(c.order, key)
	}
	return data, nil
}
