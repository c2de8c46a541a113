package downloader

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/internal/journal"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

var (
	stormKills = flag.Int("storm.kills", 20, "how many times TestKillStorm kills the engine")
	// A fast link (issue 17.7): -storm.size 1GiB -storm.rate 8MiB, with
	// the test's folder on a real disk and the machine loaded.
	stormSize = flag.String("storm.size", "64MiB", "TestKillStorm: the file's size")
	stormRate = flag.String("storm.rate", "128KiB", "TestKillStorm: what each of the server's connections sends a second")
)

// stormChild names the environment variable that makes the test binary an
// engine process for TestKillStorm: its value is the state folder; the
// URL comes in stormURL.
const (
	stormChild = "MODELFETCH_TEST_STORM_DIR"
	stormURL   = "MODELFETCH_TEST_STORM_URL"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(stormChild); dir != "" {
		os.Exit(stormEngine(dir, os.Getenv(stormURL)))
	}
	os.Exit(m.Run())
}

// stormEngine is the child process: an engine with default settings on
// dir that fetches url (or carries on with the fetch its journal holds)
// and prints the finished file's path.
func stormEngine(dir, url string) int {
	m, err := New(Config{StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "partial"),
		ModelsDir: filepath.Join(dir, "models")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, ok := m.Get("model"); !ok {
		if _, err := m.Fetch("model", []fetch.Request{{URL: url}}, fetch.Options{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	s, err := m.Wait(ctx, "model", nil)
	cancel()
	<-done
	if err := cmp.Or(err, m.Close()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if s.State != fetch.StateSucceeded {
		fmt.Fprintf(os.Stderr, "%s: %s\n", s.State, s.Message)
		return 1
	}
	fmt.Println(s.Records[0].Path)
	return 0
}

// TestKillStorm kills an engine process with SIGKILL 20 times, each at a
// random moment 0.8 to 2.7 s after it started (the storm, which
// sent 1.73 times the file on the first engine), restarting it each time
// from its journal; the file must end whole, and the server must have
// sent at most 1.1 times the file.
func TestKillStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("a storm of process kills takes about 40 seconds")
	}
	t.Parallel()
	// 16 connections of 128 KiB/s each by default: 2 MiB/s, so that the
	// 64 MiB file takes about as long as the kills.
	size, err := humanize.ParseBytes(*stormSize)
	if err != nil {
		t.Fatal(err)
	}
	rate, err := humanize.ParseBytes(*stormRate)
	if err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t, int(size), origintest.Throttle(int(rate)))
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills, began := 0, time.Now()
	lost := int64(0)
	for ; kills < *stormKills; kills++ {
		p := startStormEngine(t, dir, o.FileURL(modelPath))
		time.Sleep(800*time.Millisecond + time.Duration(rng.Int64N(int64(1900*time.Millisecond))))
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err == nil {
			t.Logf("the download finished before kill %d", kills+1)
			break // it finished first
		}
		// What the server sent that the journal does not hold is what the
		// next engine asks for again: the journal's lag behind the bytes.
		unheld := o.Sent.Load() - journalClaims(t, filepath.Join(dir, "state", "journal.json"))
		t.Logf("kill %d: %.2f MiB sent and not in the journal", kills+1, float64(unheld-lost)/(1<<20))
		lost = unheld
	}
	p := startStormEngine(t, dir, o.FileURL(modelPath))
	if err := p.Wait(); err != nil {
		t.Fatalf("the last engine: %v; stderr:\n%s", err, p.Stderr)
	}
	checkFile(t, strings.TrimSpace(p.Stdout.(*bytes.Buffer).String()), o.Bytes(modelPath))
	sent := o.Sent.Load()
	t.Logf("%d kills in %v; the server sent %d bytes for a %d-byte file: %.3f×", kills, time.Since(began).Round(time.Millisecond),
		sent, size, float64(sent)/float64(size))
	if kills < *stormKills/2 {
		t.Errorf("only %d kills landed before the download finished", kills)
	}
	if sent > int64(size)*11/10 {
		t.Errorf("the server sent %.3f× the file, over 1.1×", float64(sent)/float64(size))
	}
}

// journalClaims is how many bytes of the file the journal at path says
// the partial file holds: synced, or written in this boot.
func journalClaims(t *testing.T, path string) int64 {
	j, err := journal.Read(path, time.Time{})
	if err != nil || len(j.Fetches) == 0 {
		return 0
	}
	r := j.Fetches[0].Records[0]
	s := journal.Spans(r.Segments)
	if j.Boot == disk.BootID() {
		s = s.Union(journal.Spans(r.Written))
	}
	return s.Total()
}

// startStormEngine starts the test binary as an engine process on dir.
func startStormEngine(t *testing.T, dir, url string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// A binary built with -race sleeps a second before it exits, unless
	// told not to.
	cmd.Env = append(os.Environ(), stormChild+"="+dir, stormURL+"="+url, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Stdout, cmd.Stderr = new(bytes.Buffer), new(bytes.Buffer)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}
