package downloader

import (
	"context"
	"errors"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// TestWait: Wait returns the settled snapshot having shown the first look
// and the events after it; it says when there is no such fetch, and
// gives up with ctx.
func TestWait(t *testing.T) {
	o := newOrigin(t, 1<<20, origintest.OnPaths("/held/", origintest.Hold))
	m := start(t, testConfig(t))
	if _, err := m.Wait(t.Context(), "none", nil); !errors.Is(err, fetch.ErrNotFound) {
		t.Errorf("Wait of no fetch: %v, want ErrNotFound", err)
	}

	m.Fetch("held", []fetch.Request{{URL: o.FileURL("/held/model.bin")}}, fetch.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := m.Wait(ctx, "held", nil); !errors.Is(err, context.Canceled) || s.ID != "held" || s.State.Settled() {
		t.Errorf("Wait with an ended context: %s, %v; want the active fetch and context.Canceled", s.State, err)
	}

	// Held until the first look is shown: the events after it come.
	m.Fetch("model", []fetch.Request{{URL: o.FileURL("/held/model.bin")}}, fetch.Options{})
	var shown []fetch.Event
	s, err := m.Wait(t.Context(), "model", func(ev fetch.Event) {
		shown = append(shown, ev)
		o.Release()
	})
	if err != nil || s.State != fetch.StateSucceeded {
		t.Fatalf("Wait: %s, %v; want succeeded", s.State, err)
	}
	if len(shown) < 2 || shown[0].Kind != fetch.EventProgress || shown[len(shown)-1].Kind != fetch.EventSuccess {
		t.Errorf("shown %d events, want the first look then events up to the success", len(shown))
	}
}
