package api

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// TestEventStreamNext feeds the Server-Sent Events parser what a server
// (ours or a broken one) might send, and checks the events and how the
// stream ends.
func TestEventStreamNext(t *testing.T) {
	ev := func(id string) string { return fmt.Sprintf(`{"kind":"progress","fetch":{"id":%q}}`, id) }
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	const (
		endEOF     = "EOF"
		endDropped = "dropped"
		endError   = "another error"
	)
	tests := []struct {
		name string
		in   string
		want []string // kind/id/len(title) of each event
		end  string
	}{
		{"one event", "event: success\ndata: " + ev("a") + "\n\n", []string{"success/a/0"}, endEOF},
		{"two events", "event: progress\ndata: " + ev("a") + "\n\nevent: success\ndata: " + ev("b") + "\n\n",
			[]string{"progress/a/0", "success/b/0"}, endEOF},
		{"no event line keeps the data's kind", "data: " + ev("a") + "\n\n", []string{"progress/a/0"}, endEOF},
		{"comments and blank lines are skipped", ": no fetches yet\n\n: keep-alive\n\n\n\nevent: snapshot\ndata: " + ev("a") + "\n\n",
			[]string{"snapshot/a/0"}, endEOF},
		{"CRLF line ends", "event: snapshot\r\ndata: " + ev("a") + "\r\n\r\n", []string{"snapshot/a/0"}, endEOF},
		{"data without a space", "event: snapshot\ndata:" + ev("a") + "\n\n", []string{"snapshot/a/0"}, endEOF},
		{"data over several lines", "event: snapshot\ndata: {\"fetch\":\ndata: {\"id\":\"a\"}}\n\n", []string{"snapshot/a/0"}, endEOF},
		{"other fields ignored", "id: 7\nretry: 100\nevent: snapshot\ndata: " + ev("a") + "\n\n", []string{"snapshot/a/0"}, endEOF},
		{"a line longer than the buffer", `data: {"kind":"progress","fetch":{"id":"a","title":"` + long + `"}}` + "\n\n",
			[]string{fmt.Sprintf("progress/a/%d", len(long))}, endEOF},
		{"dropped", "event: snapshot\ndata: " + ev("a") + "\n\nevent: dropped\ndata: {\"error\":\"fell behind\"}\n\n",
			[]string{"snapshot/a/0"}, endDropped},
		{"cut inside an event", "event: snapshot\ndata: " + ev("a") + "\n\nevent: progress\ndata: {\"fe", []string{"snapshot/a/0"}, endEOF},
		{"empty", "", nil, endEOF},
		{"invalid JSON", "event: progress\ndata: {nope}\n\n", nil, endError},
		{"one line larger than maxEvent", "data: " + strings.Repeat("x", maxEvent+1) + "\n\n", nil, endError},
		{"data lines larger than maxEvent", strings.Repeat("data: "+strings.Repeat("x", 1<<20)+"\n", maxEvent>>20+1) + "\n", nil, endError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newEventStream(io.NopCloser(strings.NewReader(tt.in)))
			var got []string
			var err error
			for {
				var ev fetch.Event
				if ev, err = st.Next(); err != nil {
					break
				}
				got = append(got, fmt.Sprintf("%s/%s/%d", ev.Kind, ev.Fetch.ID, len(ev.Fetch.Title)))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got events %v, want %v", got, tt.want)
			}
			if end := streamEnd(err); end != tt.end {
				t.Errorf("got the end %q (%v), want %q", end, err, tt.end)
			}
		})
	}
}

// streamEnd names how a stream ended, for TestEventStreamNext.
func streamEnd(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, ErrDropped):
		return "dropped"
	default:
		return "another error"
	}
}
