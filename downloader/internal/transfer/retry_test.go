package transfer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
)

// TestRetryPolicy: the one policy's decisions, for each kind of failure.
func TestRetryPolicy(t *testing.T) {
	p := retryPolicy{base: time.Millisecond, max: 10 * time.Millisecond, maxRetries: 3, downloaded: func() int64 { return 42 }}
	busy := &fetch.StatusError{Code: http.StatusServiceUnavailable}
	asked := &fetch.StatusError{Code: http.StatusServiceUnavailable, RetryAfter: time.Second}
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errRefused}}
	timedOut := &url.Error{Op: "Get", URL: "http://192.0.2.9/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errTimedOut}}
	tests := []struct {
		name       string
		errs       []error
		progressed bool
		others     bool
		offline    bool
		want       step // of the last error; stop is compared by reason
		reason     fetch.Reason
	}{
		{name: "a cut while delivering reconnects at once", errs: []error{io.ErrUnexpectedEOF}, progressed: true},
		{name: "offline, a connection that times out waits for the network", errs: []error{timedOut, timedOut, timedOut, timedOut, timedOut}, offline: true, want: step{network: true}},
		{name: "offline, a refused connection is the server's: its host answered", errs: []error{refused, refused, refused, refused}, offline: true, reason: fetch.ReasonFetchError},
		{name: "online, a refused connection backs off", errs: []error{refused, refused}},
		{name: "online, a refused connection fails after MaxRetries", errs: []error{refused, refused, refused, refused}, reason: fetch.ReasonFetchError},
		{name: "Retry-After pauses that request for the time asked", errs: []error{asked, asked}, others: true, want: step{wait: time.Second}},
		{name: "503s without Retry-After on the next try show a limit", errs: []error{busy, busy}, others: true, want: step{shed: true}},
		{name: "alone, a limit is retried", errs: []error{busy, busy}},
		{name: "404 fails at once", errs: []error{&fetch.StatusError{Code: 404}}, reason: fetch.ReasonBadStatus},
		{name: "server errors fail after MaxRetries", errs: []error{busy, busy, busy, busy}, reason: fetch.ReasonBadStatus},
		{name: "wrong parts fail as fetch-error", errs: []error{fetch.ErrInvalidResponse, fetch.ErrInvalidResponse, fetch.ErrInvalidResponse, fetch.ErrInvalidResponse}, reason: fetch.ReasonFetchError},
		{name: "a restart stops the connection", errs: []error{&restartError{why: fetch.RestartChanged}}, want: step{stop: &restartError{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tl tally
			var st step
			p.watcher = view(network.Online)
			if tc.offline {
				p.watcher = view(network.Offline)
			}
			for _, err := range tc.errs {
				st = p.decide(context.Background(), err, "http://127.0.0.1:1/x", tc.progressed, &tl, tc.others)
			}
			var fe *fetch.FailError
			switch {
			case tc.reason != "":
				if !errors.As(st.stop, &fe) || fe.Reason != tc.reason || fe.Offset != 42 {
					t.Fatalf("got %+v, want a %s failure at 42", st, tc.reason)
				}
			case tc.want.stop != nil:
				var re *restartError
				if !errors.As(st.stop, &re) {
					t.Fatalf("got %+v, want the restart", st)
				}
			case st.stop != nil || st.shed != tc.want.shed || st.network != tc.want.network:
				t.Fatalf("got %+v, want %+v", st, tc.want)
			case tc.want.wait > 0 && st.wait != tc.want.wait:
				t.Fatalf("wait %v, want %v", st.wait, tc.want.wait)
			}
		})
	}
}

// view is the machine's view of the network, fixed at s.
func view(s network.State) network.Fixed { return network.Fixed{State: s} }

// TestScaleClimbsBack: after a server showed a limit, the connection cap
// climbs again, one at a time, once answers come back.
func TestScaleClimbsBack(t *testing.T) {
	now := time.Now()
	tr := &transfer{Deps: Deps{Config: Config{ScaleInterval: 10 * time.Millisecond}, MaxConns: 8, Now: func() time.Time { return now }},
		r: newTarget(fetch.Request{}, ledger.New(100, nil, nil)), in: Info{Ranges: true, Size: 100}, maxConns: 8}
	tr.r.Conns.Store(4)
	if !tr.shed() || tr.maxConns != 3 {
		t.Fatalf("shed: cap %d, want 3", tr.maxConns)
	}
	if n := tr.scale(3, 1, now.Add(10*time.Millisecond)); n != 0 {
		t.Errorf("right after a limit, %d more connections", n)
	}
	if n := tr.scale(3, 1, now.Add(time.Second)); n != 1 || tr.maxConns != 4 {
		t.Errorf("a second later: %d more, cap %d; want 1 more, cap 4", n, tr.maxConns)
	}
}

// nopEvents is an events sink that records nothing: a transfer needs no
// Manager.
type nopEvents struct{}

func (nopEvents) SetState(fetch.State)               {}
func (nopEvents) Wrote()                             {}
func (nopEvents) NewPart() error                     { return nil }
func (nopEvents) Reconcile(Info, bool) (Plan, error) { return Plan{}, nil }
func (nopEvents) Discard(fetch.Restart)              {}
func (nopEvents) Wait(*fetch.WaitError)              {}
func (nopEvents) Dirty()                             {}
func (nopEvents) SaveHash([]byte)                    {}

// newTarget is a target of its own counters.
func newTarget(req fetch.Request, l *ledger.Ledger) *Target {
	return &Target{Request: req, Ledger: l, Hashed: new(atomic.Int64), Conns: new(atomic.Int32)}
}

// TestVerifyRefusesGaps: a file whose written ranges are not exactly
// [0, size) is never committed: verify goes back for the gap, and after a
// few passes fails as fetch-error naming it.
func TestVerifyRefusesGaps(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "0.part"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(30); err != nil {
		t.Fatal(err)
	}
	r := newTarget(fetch.Request{URL: "http://127.0.0.1/x"}, ledger.New(30, ledger.Spans{{From: 0, To: 10}, {From: 20, To: 30}}, nil))
	tr := newTransfer(Deps{Log: slog.New(slog.DiscardHandler)}, r, nopEvents{})
	tr.file, tr.in = f, Info{Size: 30}
	for pass := 1; pass <= maxGapPasses; pass++ {
		next, err := tr.verify(context.Background())
		if err != nil || next == nil {
			t.Fatalf("pass %d: %v; want to go back for the gap", pass, err)
		}
	}
	_, err = tr.verify(context.Background())
	var fe *fetch.FailError
	var ge *fetch.GapError
	if !errors.As(err, &fe) || fe.Reason != fetch.ReasonFetchError || !errors.Is(err, fetch.ErrMissingBytes) || !errors.As(err, &ge) || ge.Gaps != "10-19" {
		t.Fatalf("got %v, want a fetch-error naming bytes 10-19", err)
	}
}

func TestBackoff(t *testing.T) {
	m := retryPolicy{base: time.Second, max: time.Minute}
	offline := &network.Error{Kind: network.Disconnected}
	for n := range 12 {
		if d := m.backoff(n, offline); d > maxNetworkWait {
			t.Errorf("network wait %d is %v, over %v", n, d, maxNetworkWait)
		}
		server := &fetch.StatusError{Code: http.StatusServiceUnavailable}
		if d := m.backoff(n, server); d > time.Minute || d < min(time.Second<<n, time.Minute)/2 {
			t.Errorf("server wait %d is %v", n, d)
		}
	}
	asked := &fetch.StatusError{Code: http.StatusTooManyRequests, RetryAfter: 5 * time.Minute}
	if d := m.backoff(0, asked); d != 5*time.Minute {
		t.Errorf("Retry-After of 5 min gave a wait of %v", d)
	}
}
