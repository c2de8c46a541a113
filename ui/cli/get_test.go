package cli

import (
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// TestGetSaysRestart: get tells on stderr, once, that a file's download
// went back to zero and why, on a terminal and off one.
func TestGetSaysRestart(t *testing.T) {
	const why = "the file changed on the server, so it is downloaded from the start"
	for _, live := range []bool{false, true} {
		var out strings.Builder
		v := newView(instance.Env{Stderr: &out, Terminal: live}, false)
		rec := fetch.RecordSnapshot{URL: "http://127.0.0.1/model.bin", Name: "model.bin", State: fetch.StateRunning}
		event := func(rec fetch.RecordSnapshot) fetch.Event {
			return fetch.Event{Kind: fetch.EventProgress, Fetch: fetch.Snapshot{Title: "model", State: fetch.StateRunning, Records: []fetch.RecordSnapshot{rec}}}
		}
		v.show(event(rec))
		rec.Restarted = why
		for range 3 {
			v.show(event(rec))
		}
		v.done()
		want := "model.bin: " + why + "\n"
		if n := strings.Count(out.String(), want); n != 1 {
			t.Errorf("live %v: told %d times, want once: %q", live, n, out.String())
		}
	}
}
