package downloader

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
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
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
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
		{name: "offline, a refused connection waits for the network", errs: []error{refused, refused, refused, refused, refused}, offline: true, want: step{network: true}},
		{name: "online, a refused connection backs off", errs: []error{refused, refused}},
		{name: "online, a refused connection fails after MaxRetries", errs: []error{refused, refused, refused, refused}, reason: fetch.ReasonFetchError},
		{name: "Retry-After pauses that request for the time asked", errs: []error{asked, asked}, others: true, want: step{wait: time.Second}},
		{name: "503s without Retry-After on the next try show a limit", errs: []error{busy, busy}, others: true, want: step{shed: true}},
		{name: "alone, a limit is retried", errs: []error{busy, busy}},
		{name: "404 fails at once", errs: []error{&fetch.StatusError{Code: 404}}, reason: fetch.ReasonBadStatus},
		{name: "server errors fail after MaxRetries", errs: []error{busy, busy, busy, busy}, reason: fetch.ReasonBadStatus},
		{name: "wrong parts fail as fetch-error", errs: []error{fetch.ErrInvalidResponse, fetch.ErrInvalidResponse, fetch.ErrInvalidResponse, fetch.ErrInvalidResponse}, reason: fetch.ReasonFetchError},
		{name: "a restart stops the connection", errs: []error{&restartError{why: "changed"}}, want: step{stop: &restartError{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tl tally
			var st step
			p.watcher = online{}
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

// fixedView is a network.Watcher that says the same thing every time.
type fixedView struct{ st network.Status }

func view(s network.State) fixedView { return fixedView{network.Status{State: s}} }

func (v fixedView) Status(context.Context) network.Status { return v.st }
func (v fixedView) Check(context.Context) network.Status  { return v.st }
func (v fixedView) Changes() <-chan network.Status        { return nil }

// TestScaleClimbsBack: after a server showed a limit, the connection cap
// climbs again, one at a time, once answers come back.
func TestScaleClimbsBack(t *testing.T) {
	now := time.Now()
	tr := &transfer{deps: deps{cfg: Config{ScaleInterval: 10 * time.Millisecond}, maxConns: 8, now: func() time.Time { return now }},
		r: &record{}, in: info{ranges: true, size: 100}, maxConns: 8}
	tr.r.conns.Store(4)
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

func (nopEvents) setState(fetch.State)               {}
func (nopEvents) reconcile(info, bool) (plan, error) { return plan{}, nil }
func (nopEvents) discard(string)                     {}
func (nopEvents) say(string)                         {}
func (nopEvents) dirty()                             {}
func (nopEvents) saveHash([]byte)                    {}

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
	r := newRecord(&fetchState{}, 0, fetch.Request{URL: "http://127.0.0.1/x"})
	r.ledger = ledger.New(30, ledger.Spans{{From: 0, To: 10}, {From: 20, To: 30}}, nil)
	tr := newTransfer(deps{cfg: Config{}, log: testConfig(t).Logger}, r, nopEvents{})
	tr.file, tr.in = f, info{size: 30}
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
