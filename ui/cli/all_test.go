package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// The desktop entry's Pause all and Resume all: the running ModelFetch's
// unsettled fetch is paused, then resumed and completes; a finished one
// stays as it was.
func TestPauseResumeAll(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "done.bin", "a.bin")
	c := s.waitServing(s.start("serve"))
	s.get(o, "done.bin")
	get := s.start("get", "--id", "a", o.url("a.bin"))
	states := func() map[string]fetch.Snapshot {
		snaps, err := c.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]fetch.Snapshot{}
		for _, s := range snaps {
			m[s.ID] = s
		}
		return m
	}
	poll(t, "the second download", func() bool { return len(states()) == 2 })

	if p := s.run("pause", "--all"); p.code != 0 {
		t.Fatalf("pause --all: exit %d; stderr:\n%s", p.code, p.stderr.String())
	}
	for id, snap := range states() {
		if want := snap.State != fetch.StateSucceeded; snap.Paused != want {
			t.Errorf("after pause --all %s (%s) is paused %v, want %v", id, snap.State, snap.Paused, want)
		}
	}
	if p := s.run("resume", "--all"); p.code != 0 {
		t.Fatalf("resume --all: exit %d; stderr:\n%s", p.code, p.stderr.String())
	}
	for id, snap := range states() {
		if snap.Paused {
			t.Errorf("after resume --all %s is still paused", id)
		}
	}
	checkFile(t, o, "a.bin", get.succeeded(t))
}

func TestCancelAllRefused(t *testing.T) {
	s := newSandbox(t)
	if p := s.run("cancel", "--all"); p.code == 0 {
		t.Error("cancel --all succeeded; it must name one fetch")
	}
}

// The shell completions ask for fetch and model ids.
func TestCompleteIDs(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "x.bin")
	s.catalog(map[string]string{"tiny": o.url("x.bin"), "small": o.url("x.bin")})
	s.run("get", "--id", "fetched", o.url("x.bin")).succeeded(t)
	for _, tc := range []struct {
		what string
		want []string
	}{
		{"fetches", []string{"fetched"}},
		{"models", []string{"small", "tiny"}},
	} {
		p := s.run("__complete", tc.what)
		got := strings.Fields(p.stdout.String())
		slices.Sort(got)
		if p.code != 0 || !slices.Equal(got, tc.want) {
			t.Errorf("__complete %s: exit %d, ids %q; want 0 and %q", tc.what, p.code, got, tc.want)
		}
	}
}

// brokenPipe is an output whose reader has gone away.
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// A command whose output cannot be written does not exit 0, and says so
// while standard error still works.
func TestLostOutput(t *testing.T) {
	for _, tc := range []struct {
		what           string
		stdout, stderr io.Writer
		want           int
		wantSaid       bool
	}{
		{"both work", &strings.Builder{}, &strings.Builder{}, 0, false},
		{"stdout lost", brokenPipe{}, &strings.Builder{}, 1, true},
		{"stderr lost", &strings.Builder{}, brokenPipe{}, 1, false},
	} {
		// The broken user catalog's warning writes to stderr, the version
		// to stdout.
		env := instance.Env{Stdout: tc.stdout, Stderr: tc.stderr, CatalogErr: errors.New("broken")}
		if code := Main(t.Context(), []string{"version"}, env); code != tc.want {
			t.Errorf("%s: version exited %d, want %d", tc.what, code, tc.want)
		}
		lines := 0
		if b, ok := tc.stderr.(*strings.Builder); ok {
			lines = strings.Count(b.String(), "modelfetch: ")
		}
		if said := lines == 2; said != tc.wantSaid {
			t.Errorf("%s: %d lines on stderr; want the loss said: %v", tc.what, lines, tc.wantSaid)
		}
	}
}
