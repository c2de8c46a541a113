package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/ask"
	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// TestTakeOverRunsOnlyItsOwn: when the running ModelFetch a get waits on
// stops, the get carries its own download on, says so, and leaves the
// other downloads as the journal has them, for ModelFetch to run.
func TestTakeOverRunsOnlyItsOwn(t *testing.T) {
	s := newSandbox(t)
	mine, other := newOrigin(t, "a.bin"), newOrigin(t, "b.bin")
	srv := s.start("serve")
	c := s.waitServing(srv)
	if _, _, err := c.Create(t.Context(), ask.Ask{ID: "other", Requests: []fetch.Request{{URL: other.url("b.bin")}}}); err != nil {
		t.Fatal(err)
	}
	g := s.start("get", "--id", "mine", mine.url("a.bin"))
	s.waitDurable(srv, fileSize/4)
	srv.kill(t)
	srv.wait(t)
	before := s.fetchJournal("other")

	checkFile(t, mine, "a.bin", g.succeeded(t))
	if !strings.Contains(g.stderr.String(), "mine") {
		t.Errorf("the get that took over said %q, want which download it carries on", g.stderr.String())
	}
	after := s.fetchJournal("other")
	if after.durable != before.durable || after.state == fetch.StateSucceeded {
		t.Errorf("the other download went from %d durable bytes (%s) to %d (%s), want it left as it was",
			before.durable, before.state, after.durable, after.state)
	}
}

// journaledFetch is one fetch as the journal on disk has it.
type journaledFetch struct {
	state   fetch.State
	durable int64
}

// fetchJournal is the fetch id as the journal has it.
func (s *sandbox) fetchJournal(id string) journaledFetch {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.state, "modelfetch", "journal.json"))
	if err != nil {
		s.t.Fatal(err)
	}
	var j struct {
		Fetches []struct {
			ID      string      `json:"id"`
			State   fetch.State `json:"state"`
			Records []struct {
				Segments []struct{ Start, Done int64 } `json:"segments"`
			} `json:"records"`
		} `json:"fetches"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		s.t.Fatal(err)
	}
	for _, f := range j.Fetches {
		if f.ID != id {
			continue
		}
		jf := journaledFetch{state: f.State}
		for _, r := range f.Records {
			for _, seg := range r.Segments {
				jf.durable += seg.Done - seg.Start
			}
		}
		return jf
	}
	s.t.Fatalf("the journal has no fetch %s", id)
	return journaledFetch{}
}
