package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

func TestListenRefusesSecondServer(t *testing.T) {
	e := newEnv(t, envOptions{})
	second := New(e.m, Options{})
	if err := second.Listen(e.sock); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Listen on a served socket: got %v, want ErrRunning", err)
	}
	if _, err := e.c.Ping(t.Context()); err != nil {
		t.Fatalf("the first server stopped answering after a second Listen: %v", err)
	}

}

func TestOtherUserRefused(t *testing.T) {
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 1 << 10}, otherUser: true})
	_, _, err := e.c.Create(t.Context(), CreateRequest{Model: "model-a"})
	if err == nil {
		t.Fatal("a connection from a user other than the server's was served")
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		t.Fatalf("got an answer (%d %s), want the connection closed unanswered", apiErr.Status, apiErr.Message)
	}
	if ids := e.m.IDs(); len(ids) != 0 {
		t.Fatalf("the refused request created fetches %v", ids)
	}
}

// TestResources walks one engine through every resource. The steps run in
// order, each on what the steps before it left: a catalog model
// downloaded, a URL downloaded into a folder of home, a held download
// paused, resumed, aborted and removed, a failed one retried, and the
// event streams of all of them.
func TestResources(t *testing.T) {
	const size = 3<<20 + 123
	rt := &resourceTest{e: newEnv(t, envOptions{sizes: map[string]int{"a": size, "b": 1 << 20, "c": 200 << 10, "held": 1 << 20}})}
	steps := []struct {
		name string
		run  func(*testing.T, *resourceTest)
	}{
		{"catalog", testCatalog},
		{"create a model and wait", testCreateAndWait},
		{"get and list", testGetAndList},
		{"match", testMatch},
		{"share", testShare},
		{"create again attaches without downloading", testCreateAgain},
		{"create by URL with an id made for it, into a folder of home", testCreateByURL},
		{"pause", testPause},
		{"create of a paused fetch attaches and resumes it", testCreatePaused},
		{"resume", testResume},
		{"conflicts while active", testActiveConflicts},
		{"abort twice", testAbortTwice},
		{"remove", testRemove},
		{"retry a failed fetch", testRetry},
		{"event stream is server-sent events", testEventStreamFormat},
		{"stream of every fetch", testStreamOfAll},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { s.run(t, rt) })
	}
}

// resourceTest is what the steps of TestResources share.
type resourceTest struct {
	e     *env
	first fetch.Snapshot // model-a as Wait returned it, once it succeeded
}

// held is a download the origin holds until the test ends: it stays
// active for as long as the steps need it to.
func (rt *resourceTest) held() CreateRequest {
	return CreateRequest{ID: "held", Requests: []fetch.Request{{URL: rt.e.origin.URL + "/hold/held"}}}
}

func testCatalog(t *testing.T, rt *resourceTest) {
	ctx, c, e := ctxT(t), rt.e.c, rt.e
	models, err := c.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != len(e.catalog) {
		t.Fatalf("got %d models, want %d", len(models), len(e.catalog))
	}
	m, err := c.Model(ctx, "model-a")
	if err != nil || m.Files[0].URL != e.origin.url("a") {
		t.Fatalf("got %+v, %v, want model-a", m, err)
	}
	if _, err := c.Model(ctx, "nope"); !errors.Is(err, fetch.ErrNotFound) {
		t.Fatalf("unknown model: got %v, want a 404", err)
	}
}

func testCreateAndWait(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	createdSnap, created, err := c.Create(ctx, CreateRequest{Model: "model-a"})
	snap := createdSnap.Snapshot
	if err != nil || !created {
		t.Fatalf("got created=%v, %v, want a new fetch", created, err)
	}
	if snap.ID != "model-a" || snap.Title != "Model a" {
		t.Errorf("got id %q title %q, want the model's", snap.ID, snap.Title)
	}
	var kinds []fetch.EventKind
	final, err := c.Wait(ctx, snap.ID, func(ev fetch.Event) { kinds = append(kinds, ev.Kind) })
	if err != nil {
		t.Fatal(err)
	}
	if final.State != fetch.StateSucceeded {
		t.Fatalf("got state %s (%s), want succeeded", final.State, final.Message)
	}
	if kinds[0] != KindSnapshot || kinds[len(kinds)-1] != fetch.EventSuccess {
		t.Errorf("got events %v, want a snapshot first and success last", kinds)
	}
	data, err := os.ReadFile(final.Paths()[0])
	if err != nil || !bytes.Equal(data, rt.e.origin.Bytes("/files/a")) {
		t.Fatalf("the downloaded file differs from the origin's (%v)", err)
	}
	rt.first = final
}

func testGetAndList(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	got, err := c.Get(ctx, "model-a")
	if err != nil || got.State != fetch.StateSucceeded {
		t.Fatalf("got %s, %v, want succeeded", got.State, err)
	}
	all, err := c.List(ctx)
	if err != nil || len(all) != 1 || all[0].ID != "model-a" {
		t.Fatalf("got %d fetches, %v, want model-a alone", len(all), err)
	}
}

// testShare: a download with no Hub model file is a 409 with the engine's
// sentence; an unknown id a 404. (The engine's TestShareAtCommit and the
// command line's TestShareWithApps share real files.)
func testShare(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	_, err := c.Share(ctx, rt.first.ID, "ollama", false)
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Message == "" {
		t.Errorf("share of a download of URLs: %v, want a 409 with a sentence", err)
	}
	if _, err := c.Share(ctx, "nope", "ollama", false); !errors.Is(err, fetch.ErrNotFound) {
		t.Errorf("share of an unknown id: %v, want a 404", err)
	}
}

func testMatch(t *testing.T, rt *resourceTest) {
	ctx, c, e := ctxT(t), rt.e.c, rt.e
	byURL := func(name string) func() ([]string, error) {
		return func() ([]string, error) {
			p, err := c.MatchURL(ctx, e.origin.url(name))
			if err != nil {
				return nil, err
			}
			return []string{p}, nil
		}
	}
	byModel := func(id string) func() ([]string, error) {
		return func() ([]string, error) { return c.MatchModel(ctx, id) }
	}
	tests := []struct {
		name    string
		match   func() ([]string, error)
		want    []string
		wantErr error
	}{
		{"by model", byModel("model-a"), rt.first.Paths(), nil},
		{"by URL", byURL("a"), rt.first.Paths(), nil},
		{"a file not downloaded", byURL("b"), nil, fetch.ErrNotFound},
		{"a model not downloaded", byModel("model-b"), nil, fetch.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.match()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, %v, want %v (a 404)", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || len(tt.want) != 1 || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v, want %v", got, err, tt.want)
			}
		})
	}
}

func testCreateAgain(t *testing.T, rt *resourceTest) {
	ctx, c, e := ctxT(t), rt.e.c, rt.e
	before := e.origin.Sent.Load()
	createdSnap, created, err := c.Create(ctx, CreateRequest{Model: "model-a"})
	snap := createdSnap.Snapshot
	if err != nil || created {
		t.Fatalf("got created=%v, %v, want the existing fetch", created, err)
	}
	if snap.State != fetch.StateSucceeded || snap.Paths()[0] != rt.first.Paths()[0] {
		t.Fatalf("got %s %v, want the succeeded fetch at %v", snap.State, snap.Paths(), rt.first.Paths())
	}
	if got := e.origin.Sent.Load() - before; got != 0 {
		t.Fatalf("the origin sent %d more bytes, want 0", got)
	}
}

func testCreateByURL(t *testing.T, rt *resourceTest) {
	ctx, c, e := ctxT(t), rt.e.c, rt.e
	dir := filepath.Join(e.home, "Models", "mine")
	req := CreateRequest{Requests: []fetch.Request{{URL: e.origin.url("b"), SHA256: e.origin.sha("b")}}}
	req.Dir, req.Title = dir, "b by URL"
	createdSnap, created, err := c.Create(ctx, req)
	snap := createdSnap.Snapshot
	if err != nil || !created {
		t.Fatalf("got created=%v, %v, want a new fetch", created, err)
	}
	if want := fetch.IDForURLs([]string{e.origin.url("b")}); snap.ID != want {
		t.Errorf("got id %q, want %q", snap.ID, want)
	}
	final, err := c.Wait(ctx, snap.ID, nil)
	if err != nil || final.State != fetch.StateSucceeded {
		t.Fatalf("got %s, %v, want succeeded", final.State, err)
	}
	if got := filepath.Dir(final.Paths()[0]); got != dir {
		t.Fatalf("the file went to %s, want %s", got, dir)
	}
}

func testPause(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	createdSnap, _, err := c.Create(ctx, rt.held())
	snap := createdSnap.Snapshot
	if err != nil {
		t.Fatal(err)
	}
	snap, err = c.Pause(ctx, snap.ID)
	if err != nil || !snap.Paused {
		t.Fatalf("pause: got paused=%v, %v, want paused", snap.Paused, err)
	}
	if got, _ := rt.e.m.Get("held"); !got.Paused {
		t.Fatal("the engine does not have the fetch paused")
	}
}

// testCreatePaused asks for the same files again: that attaches to the
// paused fetch and resumes it (Manager.Ensure), then pauses it again for
// the steps that follow.
func testCreatePaused(t *testing.T, rt *resourceTest) {
	createdAgain, created, err := rt.e.c.Create(ctxT(t), rt.held())
	again := createdAgain.Snapshot
	if err != nil || created || again.Paused {
		t.Fatalf("got created=%v paused=%v, %v, want the fetch resumed", created, again.Paused, err)
	}
	if _, err := rt.e.c.Pause(ctxT(t), again.ID); err != nil {
		t.Fatal(err)
	}
}

func testResume(t *testing.T, rt *resourceTest) {
	snap, err := rt.e.c.Resume(ctxT(t), "held")
	if err != nil || snap.Paused {
		t.Fatalf("got paused=%v, %v, want resumed", snap.Paused, err)
	}
}

func testActiveConflicts(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	other := CreateRequest{ID: "held", Requests: []fetch.Request{{URL: rt.e.origin.url("b")}}}
	tests := []struct {
		name string
		do   func() error
	}{
		{"a different download under its id", func() error { _, _, err := c.Create(ctx, other); return err }},
		{"remove", func() error { return c.Remove(ctx, "held") }},
		{"retry", func() error { _, err := c.Retry(ctx, "held"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !isStatus(err, http.StatusConflict) {
				t.Fatalf("got %v, want 409", err)
			}
		})
	}
}

// testAbortTwice aborts the held fetch, then the aborted one: both
// answer with the aborted fetch.
func testAbortTwice(t *testing.T, rt *resourceTest) {
	for _, name := range []string{"abort", "second abort"} {
		snap, err := rt.e.c.Abort(ctxT(t), "held")
		if err != nil || snap.State != fetch.StateAborted {
			t.Fatalf("%s: got %s, %v, want aborted", name, snap.State, err)
		}
	}
}

func testRemove(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	if err := c.Remove(ctx, "held"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := c.Get(ctx, "held"); !errors.Is(err, fetch.ErrNotFound) {
		t.Fatalf("get after remove: got %v, want a 404", err)
	}
	if _, ok := rt.e.m.Get("held"); ok {
		t.Fatal("the engine still has the removed fetch")
	}
}

func testRetry(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	createdSnap, _, err := c.Create(ctx, CreateRequest{ID: "missing", Requests: []fetch.Request{{URL: rt.e.origin.URL + "/files/missing"}}})
	snap := createdSnap.Snapshot
	if err != nil {
		t.Fatal(err)
	}
	final, err := c.Wait(ctx, snap.ID, nil)
	if err != nil || final.State != fetch.StateFailed || final.FailureReason != fetch.ReasonBadStatus || final.Status != 404 {
		t.Fatalf("got %s %s %d, %v, want failed bad-status 404", final.State, final.FailureReason, final.Status, err)
	}
	// The answer is the fetch as it is when the server writes it: a 404
	// on loopback may have failed it again by then. The engine's events,
	// followed from before the retry, show it active again first.
	sub := rt.e.m.Subscribe("missing", 16)
	defer sub.Close()
	if _, err := c.Retry(ctx, "missing"); err != nil {
		t.Fatalf("retry: %v", err)
	}
	active := false
	for settled := false; !settled; {
		select {
		case ev := <-sub.C:
			settled = ev.Fetch.State.Settled()
			active = active || !settled
		case <-ctx.Done():
			t.Fatalf("no event after the retry: %v", context.Cause(ctx))
		}
	}
	if final, err = c.Wait(ctx, "missing", nil); err != nil || final.State != fetch.StateFailed || !active {
		t.Fatalf("after retry: got %s (active between: %v), %v, want active again, then failed again", final.State, active, err)
	}
}

func testEventStreamFormat(t *testing.T, rt *resourceTest) {
	resp, err := rt.e.c.send(ctxT(t), http.MethodGet, "/v1/fetches/model-a/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("got Content-Type %q, want text/event-stream", ct)
	}
	r := bufio.NewReader(resp.Body)
	line1, _ := r.ReadString('\n')
	line2, _ := r.ReadString('\n')
	if line1 != "event: snapshot\n" || !strings.HasPrefix(line2, "data: {") {
		t.Fatalf("got %q %q, want an event line and a data line", line1, line2)
	}
	var ev fetch.Event
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line2, "data: ")), &ev); err != nil || ev.Fetch.ID != "model-a" {
		t.Fatalf("got %+v, %v, want model-a's snapshot", ev, err)
	}
}

// testStreamOfAll opens the stream of every fetch: it starts with a
// snapshot of each, then carries the events of a fetch created later.
func testStreamOfAll(t *testing.T, rt *resourceTest) {
	ctx, c := ctxT(t), rt.e.c
	st, err := c.Events(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := map[string]bool{}
	for range rt.e.m.IDs() {
		ev, err := st.Next()
		if err != nil || ev.Kind != KindSnapshot {
			t.Fatalf("got %s, %v, want a snapshot", ev.Kind, err)
		}
		seen[ev.Fetch.ID] = true
	}
	createdSnap, _, err := c.Create(ctx, CreateRequest{Model: "model-c"})
	snap := createdSnap.Snapshot
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := st.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Fetch.ID == snap.ID && ev.Kind == fetch.EventSuccess {
			break
		}
	}
	if !seen["model-a"] || !seen["missing"] {
		t.Errorf("the first snapshots covered %v, want every fetch", seen)
	}
}

func isStatus(err error, status int) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.Status == status
}

// TestRefusedRequests sends what a confused or hostile client might, and
// checks that each gets the right 4xx with a JSON sentence, and that
// neither the engine nor the disk changed.
func TestRefusedRequests(t *testing.T) {
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 64 << 10}})
	outside := filepath.Join(e.root, "outside")
	// Windows makes symlinks only in developer mode, and wine says it made
	// one and makes nothing: the case of a link is left out where none is
	// made.
	link := filepath.Join(e.home, "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Logf("no symlink here: %v", err)
	}
	target, err := os.Readlink(link)
	symlinks := err == nil && target == outside
	if err := os.MkdirAll(filepath.Join(e.home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	before := tree(t, e.root)

	withDir := func(dir string) string {
		return fmt.Sprintf(`{"model":"model-a","id":"x","dir":%q}`, dir)
	}
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"dir outside home and models", "POST", "/v1/fetches", withDir(filepath.Join(outside, "models")), 400},
		{"dir not absolute", "POST", "/v1/fetches", withDir("Models"), 400},
		{"dir with ..", "POST", "/v1/fetches", withDir(e.home + "/Models/../../outside"), 400},
		{"dir hidden in home", "POST", "/v1/fetches", withDir(filepath.Join(e.home, ".ssh")), 400},
		{"dir is the journal's", "POST", "/v1/fetches", withDir(e.cfg.StateDir), 400},
		{"dir is the partial folder", "POST", "/v1/fetches", withDir(e.cfg.PartialDir), 400},
		{"dir through a link out of home", "POST", "/v1/fetches", withDir(filepath.Join(e.home, "link", "models")), 400},
		{"dir is root", "POST", "/v1/fetches", withDir("/"), 400},
		{"oversized body", "POST", "/v1/fetches", `{"model":"model-a","title":"` + strings.Repeat("x", MaxBody) + `"}`, 413},
		{"malformed JSON", "POST", "/v1/fetches", `{"model": "model-a"`, 400},
		{"not an object", "POST", "/v1/fetches", `["model-a"]`, 400},
		{"wrong type", "POST", "/v1/fetches", `{"model": 5}`, 400},
		{"unknown field", "POST", "/v1/fetches", `{"modle": "model-a"}`, 400},
		{"trailing data", "POST", "/v1/fetches", `{"model": "model-a"} {"model": "model-a"}`, 400},
		{"empty body", "POST", "/v1/fetches", ``, 400},
		{"model and requests", "POST", "/v1/fetches", fmt.Sprintf(`{"model":"model-a","requests":[{"url":%q}]}`, e.origin.url("a")), 400},
		{"nothing to fetch", "POST", "/v1/fetches", `{"title":"nothing"}`, 400},
		{"unknown model", "POST", "/v1/fetches", `{"model":"nope"}`, 400},
		{"file URL", "POST", "/v1/fetches", `{"requests":[{"url":"file:///etc/passwd"}]}`, 400},
		{"bad digest", "POST", "/v1/fetches", fmt.Sprintf(`{"requests":[{"url":%q,"sha256":"abc"}]}`, e.origin.url("a")), 400},
		{"id with a path", "POST", "/v1/fetches", `{"model":"model-a","id":"../../x"}`, 400},
		{"too many connections", "POST", "/v1/fetches", `{"model":"model-a","connections":100000}`, 400},
		{"negative total", "POST", "/v1/fetches", `{"model":"model-a","downloadTotal":-1}`, 400},
		{"unknown id", "GET", "/v1/fetches/nope", "", 404},
		{"pause unknown id", "POST", "/v1/fetches/nope/pause", "", 404},
		{"resume unknown id", "POST", "/v1/fetches/nope/resume", "", 404},
		{"abort unknown id", "POST", "/v1/fetches/nope/abort", "", 404},
		{"retry unknown id", "POST", "/v1/fetches/nope/retry", "", 404},
		{"remove unknown id", "DELETE", "/v1/fetches/nope", "", 404},
		{"events of unknown id", "GET", "/v1/fetches/nope/events", "", 404},
		{"unknown route", "GET", "/v2/fetches", "", 404},
		{"unknown sub-resource", "POST", "/v1/fetches/nope/explode", "", 404},
		{"wrong method", "PUT", "/v1/fetches", "{}", 405},
		{"wrong method on an action", "GET", "/v1/fetches/nope/pause", "", 405},
		{"match without a query", "GET", "/v1/match", "", 400},
		{"match of an unknown model", "GET", "/v1/match?model=nope", "", 404},
	}
	for _, tc := range cases {
		if !symlinks && strings.Contains(tc.name, "link") {
			continue
		}
		t.Run(tc.name, func(t *testing.T) { checkRefused(t, e.c, tc.method, tc.path, tc.body, tc.want) })
	}
	checkNothingChanged(t, e, before, outside)
}

// checkRefused sends body (none when empty) to path and checks that the
// answer has the status want, a JSON sentence and, for a 405, the methods
// that would do.
func checkRefused(t *testing.T, c *Client, method, path, body string, want int) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, "http://modelfetch"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("got status %d, want %d", resp.StatusCode, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
	var eb errorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
		t.Errorf("got error body %+v, %v, want a sentence", eb, err)
	}
	if r, _ := utf8.DecodeRuneInString(eb.Error); !unicode.IsUpper(r) || !strings.HasSuffix(eb.Error, ".") {
		t.Errorf("got error %q, want a sentence: capitalised, with a period", eb.Error)
	}
	for _, goText := range []string{"json:", "EOF", "%!", "invalid character"} {
		if strings.Contains(eb.Error, goText) {
			t.Errorf("got error %q, which shows Go's error text %q", eb.Error, goText)
		}
	}
	if want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
		t.Error("got a 405 without an Allow header, want one")
	}
	t.Logf("%d %s", resp.StatusCode, eb.Error)
}

// checkNothingChanged checks that refused requests left no trace: no
// fetch, no download from the origin, nothing new on disk below e.root
// but the socket's folder, and no folder at outside.
func checkNothingChanged(t *testing.T, e *env, before map[string]int64, outside string) {
	t.Helper()
	if ids := e.m.IDs(); len(ids) != 0 {
		t.Errorf("refused requests created fetches %v, want none", ids)
	}
	if n := e.origin.GETs.Load(); n != 0 {
		t.Errorf("refused requests made the origin serve %d downloads, want 0", n)
	}
	for p := range tree(t, e.root) {
		if _, ok := before[p]; !ok && !strings.HasPrefix(p, filepath.Dir(e.sock)) {
			t.Errorf("refused requests created %s", p)
		}
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the folder outside: got %v, want it not to exist", err)
	}
}

// TestConcurrentCreatesMakeOneDownload is several programs asking for the
// same model at once: one download, and every one of them gets the path.
func TestConcurrentCreatesMakeOneDownload(t *testing.T) {
	// Smaller than MinSegment, so one connection: the origin's byte count
	// is then exactly one copy of the file.
	const size = 900 << 10
	// The origin holds the file until all three have asked, so that they
	// meet the download while it is active.
	e := newEnv(t, envOptions{sizes: map[string]int{"shared": size}, held: true})
	ctx := ctxT(t)
	const clients = 3
	var wg sync.WaitGroup
	results := make([]fetch.Snapshot, clients)
	createdBy := make([]bool, clients)
	errs := make([]error, clients)
	var asked sync.WaitGroup
	asked.Add(clients)
	for i := range clients {
		wg.Go(func() {
			// Each its own client: a separate process would have one.
			c := NewClient(e.sock)
			defer c.CloseIdleConnections()
			createdSnap, created, err := c.Create(ctx, CreateRequest{Model: "model-shared"})
			snap := createdSnap.Snapshot
			asked.Done()
			if err != nil {
				errs[i] = err
				return
			}
			createdBy[i] = created
			results[i], errs[i] = c.Wait(ctx, snap.ID, nil)
		})
	}
	asked.Wait()
	e.origin.Release()
	wg.Wait()
	created := 0
	for i := range clients {
		if errs[i] != nil {
			t.Fatalf("client %d: %v", i, errs[i])
		}
		if results[i].State != fetch.StateSucceeded {
			t.Fatalf("client %d: got %s (%s), want succeeded", i, results[i].State, results[i].Message)
		}
		if results[i].Paths()[0] != results[0].Paths()[0] {
			t.Errorf("client %d got %s, client 0 got %s", i, results[i].Paths()[0], results[0].Paths()[0])
		}
		if createdBy[i] {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d clients created a fetch, want 1", created)
	}
	if got := len(e.m.IDs()); got != 1 {
		t.Errorf("the engine has %d fetches, want 1", got)
	}
	if got := e.origin.GETs.Load(); got != 1 {
		t.Errorf("the origin served %d GETs, want 1", got)
	}
	if got := e.origin.Sent.Load(); got != size {
		t.Errorf("the origin sent %d bytes, want %d (one download)", got, size)
	}
}

// TestCreateConflict: a create of a file known with another SHA-256 is
// 409 until it says "replace", and then the new digest applies.
func TestCreateConflict(t *testing.T) {
	e := newEnv(t, envOptions{sizes: map[string]int{"a": 64 << 10}})
	ctx, c := ctxT(t), e.c
	first := CreateRequest{ID: "c", Requests: []fetch.Request{{URL: e.origin.URL + "/hold/a", SHA256: strings.Repeat("ab", 32)}}}
	if _, created, err := c.Create(ctx, first); err != nil || !created {
		t.Fatalf("first create: got created=%v, %v", created, err)
	}
	again := first
	again.Requests = []fetch.Request{{URL: first.Requests[0].URL, SHA256: e.origin.sha("a")}}
	if _, _, err := c.Create(ctx, again); !isStatus(err, http.StatusConflict) {
		t.Fatalf("another digest: got %v, want 409", err)
	}
	again.Replace = true
	createdSnap, created, err := c.Create(ctx, again)
	snap := createdSnap.Snapshot
	if err != nil || created || snap.Records[0].SHA256 != e.origin.sha("a") {
		t.Fatalf("replace: got created=%v sha %q, %v, want the fetch with the new digest", created, snap.Records[0].SHA256, err)
	}
}
