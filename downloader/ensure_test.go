package downloader

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

func TestValidate(t *testing.T) {
	good := strings.Repeat("ab", 32)
	tests := []struct {
		req  fetch.Request
		want fetch.Invalid
	}{
		{fetch.Request{URL: "https://host/model.bin", SHA256: good, Size: 5, Name: "model.bin"}, ""},
		{fetch.Request{URL: "http://host/x"}, ""},
		{fetch.Request{URL: "http://host/%zz"}, fetch.InvalidURL},
		{fetch.Request{URL: "ftp://host/x"}, fetch.InvalidScheme},
		{fetch.Request{URL: "/relative"}, fetch.InvalidScheme},
		{fetch.Request{URL: "http:///nohost"}, fetch.InvalidHost},
		{fetch.Request{URL: "http://host/x", SHA256: "abc"}, fetch.InvalidDigest},
		{fetch.Request{URL: "http://host/x", SHA256: strings.Repeat("zz", 32)}, fetch.InvalidDigest},
		{fetch.Request{URL: "http://host/x", Size: -1}, fetch.InvalidSize},
		{fetch.Request{URL: "http://host/x", Name: "../etc/passwd"}, fetch.InvalidName},
		{fetch.Request{URL: "http://host/x", Name: "a/b"}, fetch.InvalidName},
		{fetch.Request{URL: "http://host/x", Name: "bad\x00name"}, fetch.InvalidName},
	}
	for _, tc := range tests {
		err := tc.req.Validate()
		var re *fetch.RequestError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: got %v, want nil", tc.req, err)
		case tc.want != "" && (!errors.As(err, &re) || re.Kind != tc.want):
			t.Errorf("%+v: got %v, want a *RequestError of kind %q", tc.req, err, tc.want)
		}
	}
}

// ensureEnv is what a case of TestEnsure acts on.
type ensureEnv struct {
	o    *origin
	m    *running
	gets int64 // the origin's GETs before Ensure
}

// ensureCase sets up one state a fetch of the same files can be in and
// says what Ensure must make of it.
type ensureCase struct {
	name   string
	slow   bool
	setup  func(t *testing.T, e ensureEnv)
	id     string
	req    func(e ensureEnv) fetch.Request
	opts   fetch.Options
	want   fetch.Outcome
	err    error
	wantID string
	check  func(t *testing.T, e ensureEnv, s fetch.Snapshot)
}

const wrongSHA = "abababababababababababababababababababababababababababababababab"

// TestEnsure checks what Ensure makes of each state.
func TestEnsure(t *testing.T) {
	for _, tc := range append(carryOnCases(), conflictCases()...) {
		t.Run(tc.name, tc.run)
	}
}

func carryOnCases() []ensureCase {
	return []ensureCase{
		{name: "created", id: "m", want: fetch.OutcomeCreated, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if got := settle(t, e.m, "m"); got.State != fetch.StateSucceeded {
				t.Errorf("got %s, want succeeded", got.State)
			}
		}},
		{name: "joined", slow: true, id: "m", want: fetch.OutcomeJoined, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath)})
		}},
		{name: "joined under the id it has", slow: true, id: "", want: fetch.OutcomeJoined, wantID: "model", setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "model", fetch.Request{URL: e.o.FileURL(modelPath)})
		}},
		{name: "resumed", slow: true, id: "m", want: fetch.OutcomeResumed, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath)})
			if err := e.m.Pause("m"); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if s.Paused {
				t.Error("still paused")
			}
		}},
		{name: "already complete", id: "m", want: fetch.OutcomeComplete, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), SHA256: e.o.SHA256(modelPath)})
			settle(t, e.m, "m")
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if got := e.o.GETs.Load(); got != e.gets {
				t.Errorf("got %d GETs, want %d: downloaded again", got, e.gets)
			}
		}},
		{name: "complete but the file is gone", id: "m", want: fetch.OutcomeCreated, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath)})
			if err := os.Remove(settle(t, e.m, "m").Records[0].Path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "retried", id: "m", want: fetch.OutcomeRetried, setup: func(t *testing.T, e ensureEnv) {
			e.o.SetFaults(origintest.OnRequests(origintest.Status(404, ""), 1))
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath)})
			if s := settle(t, e.m, "m"); s.State != fetch.StateFailed {
				t.Fatalf("setup: got %s, want failed", s.State)
			}
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if got := settle(t, e.m, "m"); got.State != fetch.StateSucceeded {
				t.Errorf("got %s, want succeeded", got.State)
			}
		}},
	}
}

func conflictCases() []ensureCase {
	return []ensureCase{
		{name: "other files under an active id", slow: true, id: "m", err: fetch.ErrDuplicateID, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath) + "?other"})
		}},
		{name: "conflict", slow: true, id: "m", want: fetch.OutcomeConflict, err: fetch.ErrConflict, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), SHA256: wrongSHA})
		}},
		{name: "conflict of names", slow: true, id: "m", want: fetch.OutcomeConflict, err: fetch.ErrConflict,
			req: func(e ensureEnv) fetch.Request { return fetch.Request{URL: e.o.FileURL(modelPath), Name: "other.bin"} },
			setup: func(t *testing.T, e ensureEnv) {
				mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), Name: "model.bin"})
			}},
		{name: "replaced after a mismatch", id: "m", want: fetch.OutcomeReplaced, opts: fetch.Options{Replace: true}, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), SHA256: wrongSHA})
			if s := settle(t, e.m, "m"); s.FailureReason != fetch.ReasonIntegrity {
				t.Fatalf("setup: got %q, want integrity", s.FailureReason)
			}
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			got := settle(t, e.m, "m")
			if got.State != fetch.StateSucceeded {
				t.Fatalf("got %s (%s), want succeeded", got.State, got.Message)
			}
			checkFile(t, got.Records[0].Path, e.o.Bytes(modelPath))
			if after := e.o.GETs.Load(); after != e.gets {
				t.Errorf("the kept file was downloaded again: %d GETs, then %d", e.gets, after)
			}
		}},
		{name: "replaced while running", slow: true, id: "m", want: fetch.OutcomeReplaced, opts: fetch.Options{Replace: true}, setup: func(t *testing.T, e ensureEnv) {
			mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), SHA256: wrongSHA})
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			got := settle(t, e.m, "m")
			if got.State != fetch.StateSucceeded || !strings.EqualFold(got.Records[0].SHA256, e.o.SHA256(modelPath)) {
				t.Errorf("got %s with %s, want succeeded with %s", got.State, got.Records[0].SHA256, e.o.SHA256(modelPath))
			}
		}},
	}
}

func (tc ensureCase) run(t *testing.T) {
	var faults []fault
	if tc.slow {
		faults = append(faults, origintest.Throttle(1<<20))
	}
	o := newOrigin(t, 1<<20, faults...)
	e := ensureEnv{o: o, m: start(t, testConfig(t))}
	if tc.setup != nil {
		tc.setup(t, e)
	}
	req := fetch.Request{URL: o.FileURL(modelPath), SHA256: o.SHA256(modelPath)}
	if tc.req != nil {
		req = tc.req(e)
	}
	e.gets = o.GETs.Load()
	s, got, err := e.m.Ensure(tc.id, []fetch.Request{req}, tc.opts)
	if got != tc.want || !errors.Is(err, tc.err) {
		t.Fatalf("got %q, %v; want %q, %v", got, err, tc.want, tc.err)
	}
	if tc.wantID != "" && s.ID != tc.wantID {
		t.Errorf("got id %q, want %q", s.ID, tc.wantID)
	}
	if tc.check != nil {
		tc.check(t, e, s)
	}
}

func mustFetch(t *testing.T, m *running, id string, req fetch.Request) {
	t.Helper()
	if _, err := m.Fetch(id, []fetch.Request{req}, fetch.Options{}); err != nil {
		t.Fatal(err)
	}
}

// mismatched fetches o's file under "m" with a wrong digest and waits for
// it to fail its check, twice: the engine downloads it once more.
func mismatched(t *testing.T, e ensureEnv) fetch.Snapshot {
	t.Helper()
	mustFetch(t, e.m, "m", fetch.Request{URL: e.o.FileURL(modelPath), SHA256: wrongSHA})
	s := settle(t, e.m, "m")
	if s.FailureReason != fetch.ReasonIntegrity || !strings.EqualFold(s.Records[0].Actual, e.o.SHA256(modelPath)) {
		t.Fatalf("got %q with actual %q, want integrity with %s", s.FailureReason, s.Records[0].Actual, e.o.SHA256(modelPath))
	}
	return s
}

// TestCorrections: after a mismatch, Retry does not download the same
// bytes again, a corrected digest verifies the file on disk, and Keep
// file anyway commits it unverified; neither downloads.
func TestCorrections(t *testing.T) {
	tests := []struct {
		name    string
		correct func(e ensureEnv) error
		want    fetch.State
		check   func(t *testing.T, e ensureEnv, s fetch.Snapshot)
	}{
		{name: "retry", want: fetch.StateFailed, correct: func(e ensureEnv) error { return e.m.Retry("m") }},
		{name: "edit checksum", want: fetch.StateSucceeded, correct: func(e ensureEnv) error {
			return e.m.SetDigest("m", e.o.FileURL(modelPath), strings.ToUpper(e.o.SHA256(modelPath)))
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if s.Records[0].Unverified || !strings.EqualFold(s.Records[0].SHA256, e.o.SHA256(modelPath)) {
				t.Errorf("got sha %q unverified %v, want %s verified", s.Records[0].SHA256, s.Records[0].Unverified, e.o.SHA256(modelPath))
			}
		}},
		{name: "edit checksum, wrong again", want: fetch.StateFailed, correct: func(e ensureEnv) error {
			return e.m.SetDigest("m", e.o.FileURL(modelPath), strings.Repeat("cd", 32))
		}},
		{name: "keep file anyway", want: fetch.StateSucceeded, correct: func(e ensureEnv) error {
			return e.m.KeepUnverified("m", e.o.FileURL(modelPath))
		}, check: func(t *testing.T, e ensureEnv, s fetch.Snapshot) {
			if !s.Records[0].Unverified || s.Records[0].SHA256 != "" {
				t.Errorf("got sha %q unverified %v, want no digest, unverified", s.Records[0].SHA256, s.Records[0].Unverified)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, 1<<20)
			e := ensureEnv{o: o, m: start(t, testConfig(t))}
			mismatched(t, e)
			e.gets = o.GETs.Load()
			if err := tc.correct(e); err != nil {
				t.Fatal(err)
			}
			s := settle(t, e.m, "m")
			if s.State != tc.want {
				t.Fatalf("got %s (%s), want %s", s.State, s.Message, tc.want)
			}
			if got := o.GETs.Load(); got != e.gets {
				t.Errorf("downloaded again: %d GETs, then %d", e.gets, got)
			}
			if tc.want == fetch.StateSucceeded {
				checkFile(t, s.Records[0].Path, o.Bytes(modelPath))
			}
			if tc.check != nil {
				tc.check(t, e, s)
			}
		})
	}
	m := start(t, testConfig(t))
	if err := m.SetDigest("none", "http://127.0.0.1/x", wrongSHA); !errors.Is(err, fetch.ErrNotFound) {
		t.Errorf("SetDigest of no fetch: got %v, want ErrNotFound", err)
	}
	var re *fetch.RequestError
	if err := m.KeepUnverified("none", "http://127.0.0.1/x"); !errors.Is(err, fetch.ErrNotFound) {
		t.Errorf("KeepUnverified of no fetch: got %v, want ErrNotFound", err)
	}
	if err := m.SetDigest("none", "http://127.0.0.1/x", "abc"); !errors.As(err, &re) || re.Kind != fetch.InvalidDigest {
		t.Errorf("SetDigest of a short digest: got %v, want an InvalidDigest", err)
	}
}
