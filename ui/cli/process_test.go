package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// asCommand is set in the environment of a child process that is to act
// as the modelfetch command rather than run the tests; asWindow makes it
// start as the app without a subcommand does (see headlessWindow).
const (
	asCommand = "MODELFETCH_TEST_AS_COMMAND"
	asWindow  = "MODELFETCH_TEST_AS_WINDOW"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(runCommand())
	}
	os.Exit(m.Run())
}

// runCommand is main.go's command line without the built-in catalog (the
// tests' models come from the user catalog) and with the engine's timings
// shortened, so that a test sees checkpoints and retries in milliseconds.
func runCommand() int {
	env := instance.NewEnv([]byte("[]"), instance.ReadVersion("", ""))
	env.Config.CheckpointInterval = 50 * time.Millisecond
	env.Config.ProgressInterval = 50 * time.Millisecond
	env.Config.BackoffBase = 20 * time.Millisecond
	env.Config.BackoffMax = 200 * time.Millisecond
	// Hermetic: no look-ups of outside names, no logind; the machine is
	// taken as online.
	env.Config.Network, env.Config.Inhibitor = nil, nil
	if os.Getenv(asWindow) == "1" {
		return instance.Window(context.Background(), os.Args[1:], env, headlessWindow)
	}
	return Main(context.Background(), os.Args[1:], env)
}

// headlessWindow stands in for the window (ui.Run, which needs a
// display): it runs the engine with its API as the window does, says on
// stdout how it was asked to start and each time it is brought forward,
// and quits when ctx ends.
func headlessWindow(ctx context.Context, m *downloader.Manager, l instance.Launch) error {
	fmt.Fprintf(l.Env.Stdout, "started hidden=%v open=%q\n", l.Hidden, l.Open)
	host, err := instance.NewHost(m, api.SocketPath(), l.Env.APIOptions(func() { fmt.Fprintln(l.Env.Stdout, "shown") }))
	if err != nil {
		return err
	}
	return host.Serve(ctx)
}

// Test file sizes and the origin's pace: a file takes about two seconds,
// long enough to kill a process in the middle, short enough for many tests.
const (
	fileSize  = 4 << 20
	originBPS = 2 << 20
)

// origin serves generated files (origintest.Named) of fileSize at
// /files/NAME on 127.0.0.1, throttled to originBPS for all its clients
// together.
type origin struct{ *origintest.Server }

func newOrigin(t *testing.T, names ...string) *origin {
	t.Helper()
	o := &origin{origintest.Start(t, origintest.ThrottleAll(originBPS))}
	for _, name := range names {
		o.PutNamed(name, fileSize)
	}
	return o
}

func (o *origin) url(name string) string { return o.FileURL(origintest.NamedPath(name)) }

func (o *origin) sum(name string) string { return o.SHA256(origintest.NamedPath(name)) }

// sandbox is one user's world: XDG folders of its own, so that tests run
// side by side without sharing a journal, a cache or a socket.
type sandbox struct {
	t                                   *testing.T
	state, cache, config, runtime, home string
}

func newSandbox(t *testing.T) *sandbox {
	t.Parallel()
	root := t.TempDir()
	s := &sandbox{t: t}
	for _, d := range []struct {
		p    *string
		name string
	}{{&s.state, "state"}, {&s.cache, "cache"}, {&s.config, "config"}, {&s.runtime, "run"}, {&s.home, "home"}} {
		*d.p = filepath.Join(root, d.name)
		if err := os.Mkdir(*d.p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *sandbox) socket() string { return filepath.Join(s.runtime, "modelfetch.sock") }

// catalog writes the user catalog with one model per id → URL.
func (s *sandbox) catalog(models map[string]string) {
	var entries []catalog.Model
	for id, u := range models {
		entries = append(entries, catalog.Model{ID: id, Title: id, Files: []catalog.ModelFile{{URL: u}}})
	}
	data, err := json.Marshal(entries)
	if err != nil {
		s.t.Fatal(err)
	}
	dir := filepath.Join(s.config, "modelfetch")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.json"), data, 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// proc is a modelfetch process of the sandbox.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{} // closed when it has exited
	code           int
}

// start runs modelfetch args in the background. The test ends it if it
// is still running at the end.
func (s *sandbox) start(args ...string) *proc {
	s.t.Helper()
	return s.startEnv([]string{asCommand + "=1"}, args...)
}

// window starts the app as `modelfetch args` without a subcommand does,
// with a display named when display is true, and the window stood in for
// by headlessWindow.
func (s *sandbox) window(display bool, args ...string) *proc {
	s.t.Helper()
	env := []string{asCommand + "=1", asWindow + "=1", "DISPLAY=", "WAYLAND_DISPLAY="}
	if display {
		env = append(env, "DISPLAY=:99")
	}
	return s.startEnv(env, args...)
}

// startEnv is start with env added to the process's environment.
func (s *sandbox) startEnv(env []string, args ...string) *proc {
	s.t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), env...),
		"XDG_STATE_HOME="+s.state, "XDG_CACHE_HOME="+s.cache,
		"XDG_CONFIG_HOME="+s.config, "XDG_RUNTIME_DIR="+s.runtime, "HOME="+s.home,
		// A binary built with -race sleeps a second before it exits, unless
		// told not to: every command here would take a second more.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		default:
			p.code = -2
		}
		close(p.done)
	}()
	s.t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// run runs modelfetch args to the end.
func (s *sandbox) run(args ...string) *proc {
	s.t.Helper()
	p := s.start(args...)
	p.wait(s.t)
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatalf("%v still runs after a minute; stderr:\n%s", p.cmd.Args[1:], p.stderr.String())
	}
	return p.code
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill ends the process at once, as kill -9 and Windows' TerminateProcess
// do.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}

// succeeded checks that the process exited 0 having printed one path, and
// returns the path.
func (p *proc) succeeded(t *testing.T) string {
	t.Helper()
	if code := p.wait(t); code != 0 {
		t.Fatalf("%v: got exit code %d, want 0; stderr:\n%s", p.cmd.Args[1:], code, p.stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(p.stdout.String()), "\n")
	if len(lines) != 1 || !filepath.IsAbs(lines[0]) {
		t.Fatalf("%v: got stdout %q, want one path", p.cmd.Args[1:], p.stdout.String())
	}
	return lines[0]
}

// onePath checks that the gets all succeed with the same path, and
// returns it.
func onePath(t *testing.T, gets ...*proc) string {
	t.Helper()
	var paths []string
	for _, g := range gets {
		paths = append(paths, g.succeeded(t))
	}
	for _, p := range paths[1:] {
		if p != paths[0] {
			t.Fatalf("the gets printed %q, want one path", paths)
		}
	}
	return paths[0]
}

// poll waits until cond holds, failing the test after a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 30 s", what)
		}
		<-tick.C
	}
}

// journaled is what the journal on disk says: the bytes recorded as
// durable, and whether any fetch is paused.
func (s *sandbox) journaled() (durable int64, paused bool) {
	data, err := os.ReadFile(filepath.Join(s.state, "modelfetch", "journal.json"))
	if err != nil {
		return 0, false
	}
	var j struct {
		Fetches []struct {
			Paused  bool `json:"paused"`
			Records []struct {
				Segments []struct{ Start, Done int64 } `json:"segments"`
			} `json:"records"`
		} `json:"fetches"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		s.t.Fatalf("the journal is not valid JSON: %v", err)
	}
	for _, f := range j.Fetches {
		paused = paused || f.Paused
		for _, r := range f.Records {
			for _, seg := range r.Segments {
				durable += seg.Done - seg.Start
			}
		}
	}
	return durable, paused
}

// waitDurable waits until the running p has at least n bytes on record as
// durable, so that a kill loses only what was in flight.
func (s *sandbox) waitDurable(p *proc, n int64) {
	s.t.Helper()
	poll(s.t, fmt.Sprintf("%d durable bytes", n), func() bool {
		if !p.running() {
			s.t.Fatalf("%v exited (%d) before %d bytes were durable; stderr:\n%s", p.cmd.Args[1:], p.code, n, p.stderr.String())
		}
		d, _ := s.journaled()
		return d >= n
	})
}

// waitServing waits until a ModelFetch answers on the sandbox's socket.
func (s *sandbox) waitServing(p *proc) *api.Client {
	s.t.Helper()
	c := api.NewClient(s.socket())
	s.t.Cleanup(c.CloseIdleConnections)
	poll(s.t, "the local API", func() bool {
		if !p.running() {
			s.t.Fatalf("%v exited (%d); stderr:\n%s", p.cmd.Args[1:], p.code, p.stderr.String())
		}
		_, err := c.Ping(s.t.Context())
		return err == nil
	})
	return c
}

// get runs modelfetch get for the origin's file name, checks that it
// succeeds with the right file, and returns its path.
func (s *sandbox) get(o *origin, name string) string {
	s.t.Helper()
	path := s.run("get", o.url(name)).succeeded(s.t)
	checkFile(s.t, o, name, path)
	return path
}

// checkFile checks that path holds the origin's file name.
func checkFile(t *testing.T, o *origin, name, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != o.sum(name) {
		t.Fatalf("%s: got SHA-256 %s (%d bytes), want %s", path, got, len(data), o.sum(name))
	}
}

// checkSentOnce checks that the origin sent the file about once: bytes in
// flight when a process was killed are lost, nothing more.
func checkSentOnce(t *testing.T, o *origin) {
	t.Helper()
	sent := o.Sent.Load()
	t.Logf("the origin sent %d bytes for a file of %d (%.3f×)", sent, fileSize, float64(sent)/fileSize)
	if sent > fileSize*5/4 {
		t.Errorf("the origin sent %d bytes, want at most %d (1.25× the file)", sent, fileSize*5/4)
	}
}

// Issue 2: kill -9 in the middle of a download, then the same command
// again, ends in the right file with little more than one file's bytes
// sent.
func TestGetKilledResumes(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	first := s.start("get", o.url("model.bin"))
	// Past 40%, a restart from zero would send more than 1.4× the file.
	s.waitDurable(first, fileSize*2/5)
	first.kill(t)
	first.wait(t)
	durable, _ := s.journaled()
	t.Logf("killed with %d bytes durable and %d sent", durable, o.Sent.Load())

	s.get(o, "model.bin")
	checkSentOnce(t, o)
}

// Issue 2: the same file asked for twice is downloaded once.
func TestGetTwiceDownloadsOnce(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	path := s.get(o, "model.bin")
	sent, requests := o.Sent.Load(), o.Requests.Load()

	again := s.get(o, "model.bin")
	if again != path {
		t.Errorf("the second get printed %s, want %s", again, path)
	}
	if o.Sent.Load() != sent || o.Requests.Load() != requests {
		t.Errorf("the second get made the origin send %d bytes in %d requests, want none",
			o.Sent.Load()-sent, o.Requests.Load()-requests)
	}
}

// Issue 2: a 404 is one sentence on stderr and exit code 1.
func TestGetNotFound(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t)
	p := s.run("get", o.URL+"/files/missing.bin")
	if p.code != 1 {
		t.Fatalf("got exit code %d, want 1; stderr:\n%s", p.code, p.stderr.String())
	}
	if p.stdout.Len() != 0 {
		t.Errorf("got stdout %q, want nothing", p.stdout.String())
	}
	// Progress lines have no prefix; an error is one "modelfetch:" line.
	var errs []string
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if strings.HasPrefix(line, "modelfetch:") {
			errs = append(errs, line)
		}
	}
	if len(errs) != 1 || strings.Contains(errs[0], "%!") {
		t.Errorf("got error lines %q, want one sentence", errs)
	}
}

// Issue 2: Ctrl-C pauses (the pause is journaled), and the same command
// again resumes where it stopped.
func TestGetInterruptPausesThenResumes(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	first := s.start("get", o.url("model.bin"))
	s.waitDurable(first, fileSize*2/5)
	first.interrupt(t)
	if code := first.wait(t); code != 130 {
		t.Fatalf("Ctrl-C: got exit code %d, want 130; stderr:\n%s", code, first.stderr.String())
	}
	if _, paused := s.journaled(); !paused {
		t.Fatal("after Ctrl-C the journal has no paused fetch")
	}
	s.get(o, "model.bin")
	checkSentOnce(t, o)
}

// Issue 5: with serve running, get hands the download over to it and
// prints the path; SIGTERM stops serve cleanly.
func TestServeHandsOver(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	srv := s.start("serve")
	c := s.waitServing(srv)

	// serve holds the journal lock, so get can only succeed through it.
	path := s.get(o, "model.bin")
	snaps, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || snaps[0].State != fetch.StateSucceeded {
		t.Errorf("serve lists %+v, want one succeeded fetch", snaps)
	}

	srv.terminate(t)
	if code := srv.wait(t); code != 0 {
		t.Fatalf("SIGTERM: serve exited %d, want 0; stderr:\n%s", code, srv.stderr.String())
	}
	if _, err := os.Lstat(s.socket()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after SIGTERM the socket is still there (%v)", err)
	}
	// The journal was flushed: a command of its own finds the fetch.
	if p := s.run("path", o.url("model.bin")); p.code != 0 || strings.TrimSpace(p.stdout.String()) != path {
		t.Errorf("path after serve stopped: exit %d, stdout %q, want 0 and %s", p.code, p.stdout.String(), path)
	}
}

// Issue 5: three gets of one model at once make one download, and all
// three print its path.
func TestServeThreeGetsOneDownload(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "tiny.bin")
	s.catalog(map[string]string{"tiny": o.url("tiny.bin")})
	s.waitServing(s.start("serve"))

	path := onePath(t, s.start("get", "tiny"), s.start("get", "tiny"), s.start("get", "tiny"))
	checkFile(t, o, "tiny.bin", path)
	checkSentOnce(t, o)
}

// Issue 5: with no ModelFetch running, the first of three gets runs the
// engine and serves the local API while it does; the other two join its
// download (or, if it has just ended, find the file), so the file is
// downloaded once and all three print its path.
func TestThreeGetsWithoutServeOneDownload(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "tiny.bin")
	s.catalog(map[string]string{"tiny": o.url("tiny.bin")})
	first := s.start("get", "tiny")
	s.waitServing(first)
	path := onePath(t, first, s.start("get", "tiny"), s.start("get", "tiny"))
	checkFile(t, o, "tiny.bin", path)
	checkSentOnce(t, o)
}

// Issue 5: Ctrl-C on a get that waits on serve only stops the waiting:
// the download carries on for the other programs that want it.
func TestServeGetInterruptDetaches(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	c := s.waitServing(s.start("serve"))
	g := s.start("get", o.url("model.bin"))
	poll(t, "the fetch in serve", func() bool {
		snaps, err := c.List(t.Context())
		return err == nil && len(snaps) == 1
	})
	g.interrupt(t)
	if code := g.wait(t); code != 130 {
		t.Fatalf("Ctrl-C: got exit code %d, want 130; stderr:\n%s", code, g.stderr.String())
	}
	snaps, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	final, err := c.Wait(t.Context(), snaps[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != fetch.StateSucceeded {
		t.Errorf("after the get detached the fetch ended %s, want succeeded", final.State)
	}
	checkFile(t, o, "model.bin", final.Paths()[0])
}

// Issue 5: kill -9 of serve in the middle of a download leaves a stale
// socket; the get that waited on it carries the download on itself, a new
// get joins it, and the file is right with about one file's bytes sent.
func TestServeKilledGetResumes(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	srv := s.start("serve")
	s.waitServing(srv)
	waiting := s.start("get", o.url("model.bin"))
	s.waitDurable(srv, fileSize*2/5)
	srv.kill(t)
	srv.wait(t)
	checkStaleSocket(t, s.socket())

	again := s.get(o, "model.bin")
	if path := waiting.succeeded(t); path != again {
		t.Errorf("the waiting get printed %s, the new one %s; want the same", path, again)
	}
	checkSentOnce(t, o)
}

// Issue 5: a second serve refuses to start while one runs, and says so.
func TestServeTwiceRefused(t *testing.T) {
	s := newSandbox(t)
	first := s.start("serve")
	s.waitServing(first)
	if p := s.run("serve"); p.code == 0 {
		t.Errorf("a second serve exited 0, want non-zero; stderr:\n%s", p.stderr.String())
	}
	if !first.running() {
		t.Errorf("the first serve exited (%d) when a second started", first.code)
	}
}

// A second start of the app hands its downloads to a running ModelFetch
// without a window: they start there, and the start says there is no
// window to bring forward.
func TestHandOverToServe(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	c := s.waitServing(s.start("serve"))
	if p := s.window(true, o.url("model.bin")); p.wait(t) != 0 {
		t.Fatalf("got exit code %d, want 0; stderr:\n%s", p.code, p.stderr.String())
	}
	snaps, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || snaps[0].Records[0].URL != o.url("model.bin") {
		t.Errorf("serve lists %+v, want the handed-over fetch", snaps)
	}
	if p := s.window(true); p.wait(t) == 0 || !strings.Contains(p.stderr.String(), "without a window") {
		t.Errorf("a start without downloads and without a window to show: exit %d, stderr %q; want non-zero and why", p.code, p.stderr.String())
	}
}

// The start of the app without a subcommand (instance.Window, the window stood
// in for): the first start runs the engine with its API; a second start
// hands its download over and brings the window forward; a start at login
// finds it running and does nothing; SIGTERM quits cleanly. Without a
// display the start refuses with one sentence.
func TestWindowStart(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	first := s.window(true, "--hidden")
	c := s.waitServing(first)

	if p := s.window(true, o.url("model.bin")); p.wait(t) != 0 {
		t.Fatalf("a second start with a URL: exit %d; stderr:\n%s", p.code, p.stderr.String())
	}
	snaps, err := c.List(t.Context())
	if err != nil || len(snaps) != 1 {
		t.Fatalf("after the hand-over the first start lists %d fetches (%v), want 1", len(snaps), err)
	}
	if p := s.window(true, "--hidden"); p.wait(t) != 0 {
		t.Fatalf("a login start with one running: exit %d; stderr:\n%s", p.code, p.stderr.String())
	}
	final, err := c.Wait(t.Context(), snaps[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, o, "model.bin", final.Paths()[0])

	first.terminate(t)
	if code := first.wait(t); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0; stderr:\n%s", code, first.stderr.String())
	}
	// Shown once: for the hand-over, not for the login start.
	if got, want := first.stdout.String(), "started hidden=true open=[]\nshown\n"; got != want {
		t.Errorf("the first start wrote %q, want %q", got, want)
	}

	p := s.window(false)
	if code := p.wait(t); code != 1 || strings.Count(p.stderr.String(), "modelfetch: ") != 1 || p.stdout.Len() != 0 {
		t.Errorf("a start without a display: exit %d, stdout %q, stderr %q; want 1 and one sentence", code, p.stdout.String(), p.stderr.String())
	}
}
