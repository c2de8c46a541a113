package transfer

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/network"
)

// tally is one requester's failures since it last received a byte.
type tally struct {
	failures int // server errors in a row
	waits    int // waits for the network in a row
	invalid  int // answers that contradicted the request, in a row
	refused  int // 429/503 without Retry-After, in a row
}

// step is what the retry policy decided after a failed request.
type step struct {
	wait    time.Duration    // before the next request
	network bool             // the wait is for the network, not for the server
	shed    bool             // the server limits connections: this one stops, the others carry on
	stop    error            // non-nil: no retry (a restart of the file or a failure)
	why     *fetch.WaitError // what the record waits for (nil: nothing to say)
}

// retryPolicy is the one place that decides what a failed request leads
// to, for resolving and for every connection:
//   - a restart of the file or a settled failure stops at once;
//   - a failure of the network is judged with the machine's own view of
//     it (network.Judge): while the machine is offline, behind a captive
//     portal or paused on a metered connection it waits, never failing;
//     a redirect loop, an unsafe redirect, a downgrade, a malformed answer
//     or an untrusted certificate fail at once; a server or proxy that
//     does not answer backs off, saying so, and fails after MaxRetries in
//     a row (a host that does not exist after hostNotFoundTries); a
//     connection that was delivering is reconnected at once (a cut is not
//     an outage);
//   - a connection much slower than another is replaced at once;
//   - a 4xx fails the record;
//   - a server error backs off, honouring Retry-After for that request
//     only, and fails after MaxRetries in a row without a byte;
//   - a 429/503 without Retry-After that comes back on the next try while
//     other connections are served shows a limit on connections: shed one.
type retryPolicy struct {
	base, max  time.Duration
	maxRetries int
	downloaded func() int64 // for the offset of a failure
	watcher    network.Watcher
}

// wrongLengthTries is how often an answer of the wrong length is asked
// again: a proxy may have cut one answer, but the same length twice is
// what the server has, which more tries would not change.
const wrongLengthTries = 1

// hostNotFoundTries is how often a name the name server says does not
// exist is asked again: a name server may be wrong for a moment, not long.
const hostNotFoundTries = 3

func (p retryPolicy) decide(ctx context.Context, err error, url string, progressed bool, tl *tally, others bool) step {
	var re *restartError
	var fe *fetch.FailError
	if errors.As(err, &re) || errors.As(err, &fe) {
		return step{stop: err}
	}
	if errors.Is(err, errSlow) {
		return step{} // replaced at once
	}
	if e := network.Judge(ctx, p.watcher, err, url); e != nil {
		return p.network(e, progressed, tl)
	}
	if fatalStatus(err) {
		return step{stop: p.failure(err, tl.failures+1)}
	}
	var se *fetch.StatusError
	if errors.As(err, &se) && (se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable) && se.RetryAfter == 0 {
		if tl.refused++; tl.refused >= 2 && others {
			tl.refused = 0
			return step{shed: true, wait: p.backoff(tl.failures, err)}
		}
	}
	if errors.Is(err, fetch.ErrInvalidResponse) {
		if tl.invalid++; tl.invalid > 3 {
			return step{stop: p.failure(err, tl.invalid)}
		}
	}
	if tl.failures++; tl.failures > p.maxRetries {
		return step{stop: p.failure(err, tl.failures)}
	}
	return step{wait: p.backoff(tl.failures-1, err)}
}

// network decides on a failure the network package judged.
func (p retryPolicy) network(e *network.Error, progressed bool, tl *tally) step {
	switch e.Kind.Action() {
	case network.Fail:
		return step{stop: fetch.Failure(fetch.ReasonFetchError, p.downloaded(), e)}
	case network.Wait:
		if progressed {
			return step{}
		}
		tl.waits++
		d := p.backoff(tl.waits-1, e)
		return step{wait: d, network: true, why: &fetch.WaitError{Err: e, Wait: d}}
	}
	if progressed {
		return step{} // a cut while delivering is not an outage
	}
	bound := p.maxRetries
	switch e.Kind {
	case network.HostNotFound, network.NoAnswer:
		bound = hostNotFoundTries
	case network.WrongLength:
		bound = wrongLengthTries
	}
	if tl.failures++; tl.failures > bound {
		return step{stop: fetch.Failure(fetch.ReasonFetchError, p.downloaded(), &fetch.TriesError{Tries: tl.failures, Err: e})}
	}
	d := p.backoff(tl.failures-1, e)
	return step{wait: d, why: &fetch.WaitError{Err: e, Wait: d, Try: tl.failures + 1, Of: bound + 1}}
}

// failure turns err, which ended the retries after tries, into the
// record's failure: its reason and cause.
func (p retryPolicy) failure(err error, tries int) *fetch.FailError {
	var fe *fetch.FailError
	if errors.As(err, &fe) {
		return fe
	}
	at := p.downloaded()
	reason := fetch.ReasonFetchError
	var se *fetch.StatusError
	if errors.As(err, &se) {
		reason = fetch.ReasonBadStatus
	}
	if fatalStatus(err) {
		return fetch.Failure(reason, at, err) // the server would answer it again: no tries to count
	}
	return fetch.Failure(reason, at, &fetch.TriesError{Tries: tries, Err: err})
}

// writeFailure is the failure of a write to the partial file (err names
// the file).
func writeFailure(err error, downloaded int64) *fetch.FailError {
	if disk.IsNoSpace(err) {
		return fetch.Failure(fetch.ReasonQuotaExceeded, downloaded, &fetch.SpaceError{Err: err})
	}
	return fetch.Failure(fetch.ReasonFetchError, downloaded, &fetch.FileError{Op: fetch.OpWrite, Err: err})
}

// maxNetworkWait caps the waits while the network is down: they cost no
// server anything, and once the network is back a download should notice
// within seconds, not after a minute.
const maxNetworkWait = 10 * time.Second

// backoff is the wait before retry n (from 0): exponential, capped, with
// full jitter, and never shorter than the server asked. Waits for the
// network to come back have a lower cap than waits for a server.
func (p retryPolicy) backoff(n int, err error) time.Duration {
	d := p.base << min(n, 20)
	d = min(d, p.max)
	var ne *network.Error
	if errors.As(err, &ne) && ne.Kind.Action() == network.Wait {
		d = min(d, maxNetworkWait)
	}
	d = d/2 + rand.N(d/2+1)
	var se *fetch.StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		d = min(se.RetryAfter, time.Hour)
	}
	return d
}
