package instance

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readLog is the log at path.
func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testLog is Log(path), whose file is closed when the test ends: Windows
// does not delete a folder holding an open file.
func testLog(t *testing.T, path string) *slog.Logger {
	lf := &logFile{path: path}
	t.Cleanup(func() {
		lf.mu.Lock()
		defer lf.mu.Unlock()
		if lf.f != nil {
			lf.f.Close()
		}
	})
	return slog.New(slog.NewTextHandler(lf, nil))
}

// TestLogRedacts: the log file appears at the first line, is the user's
// own (0600), holds the error's text, and no secret a web address
// carries, in any case of its scheme, in the message or in any
// attribute, whatever its kind or group.
func TestLogRedacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", LogName)
	l := testLog(t, path)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the log exists before its first line: %v", err)
	}
	signed := "HTTP://cdn.example/blobs/abc?X-Amz-Signature=s3cr3t&Expires=1"
	u, err := url.Parse("Https://cdn.example/other?X-Amz-Signature=s3cr3t") // url.Parse lowers the scheme
	if err != nil {
		t.Fatal(err)
	}
	l.With("proxy", "http://user:s3cr3t@proxy.example:3128").WithGroup("req").Warn(
		"record failed at Https://cdn.example/in-the-message?X-Amz-Signature=s3cr3t",
		"url", signed, "next", u, "wait", 3*time.Second,
		"urls", []string{"https://cdn.example/a?token=s3cr3t", "hTTps://hf_s3cr3t@huggingface.co/x"},
		"any", struct{ Where string }{"https://cdn.example/b?sig=s3cr3t"},
		"err", &url.Error{Op: "Get", URL: signed, Err: errors.New("connection reset by peer")})
	got := readLog(t, path)
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("a secret is in the log:\n%s", got)
	}
	for _, want := range []string{"HTTP://cdn.example/blobs/abc?…", "https://cdn.example/other?…", "Https://cdn.example/in-the-message?…",
		"http://user:***@proxy.example:3128", "hTTps://***@huggingface.co/x", "connection reset by peer", "req.wait=3s", "level=WARN"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
	checkPrivate(t, path)
}

// TestLogMakesAnOldLogPrivate: a log left readable by others (0644) is
// the user's own once a line is written to it.
func TestLogMakesAnOldLogPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	if err := os.WriteFile(path, []byte("time=then msg=before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	testLog(t, path).Info("started")
	checkPrivate(t, path)
	if got := readLog(t, path); !strings.HasPrefix(got, "time=then msg=before\n") || !strings.Contains(got, "msg=started") {
		t.Errorf("the log is not the old one with a line added:\n%s", got)
	}
}

// TestLogMovesABigLogAside: a log past the limit becomes LogName.1 at
// the first line of a process, so that at most two are kept.
func TestLogMovesABigLogAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	if err := os.WriteFile(path, make([]byte, logLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	testLog(t, path).Info("started")
	old, err := os.Stat(path + ".1")
	if err != nil || old.Size() != logLimit+1 {
		t.Fatalf("the big log was not moved aside: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() > 200 {
		t.Fatalf("the new log is not a fresh one: %v", err)
	}
}

// TestLogRotatesWhileRunning: a process that keeps logging moves its log
// aside when it reaches the limit, not only when it starts, and goes on
// in a fresh one; the log never passes the limit.
func TestLogRotatesWhileRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	l := testLog(t, path)
	l.Info("started") // opened below the limit
	// Grow it near the limit behind the logger's back, as lines would.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, logLimit-500)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // 20 lines of about 60 bytes: past the limit
		l.Info("line", "n", i)
	}
	old, err := os.Stat(path + ".1")
	if err != nil || old.Size() > logLimit {
		t.Fatalf("the log was not moved aside at the limit (%v): %v", old, err)
	}
	got := readLog(t, path)
	if !strings.Contains(got, "n=19") || strings.Contains(got, "msg=started") {
		t.Errorf("the new log does not go on from the move:\n%s", got)
	}
	checkPrivate(t, path)
}

// TestLogAfterAnotherProcessRotated: when another process moved the log
// aside, this one opens the new log instead of moving it aside again
// (which would drop the other's old log).
func TestLogAfterAnotherProcessRotated(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	if err := os.WriteFile(path, make([]byte, logLimit-100), 0o600); err != nil {
		t.Fatal(err)
	}
	mine := testLog(t, path)
	mine.Info("mine") // opened; the log is now close to the limit
	// The other process moves it aside and starts a new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	other := testLog(t, path)
	other.Info("the other's first line")
	for i := range 5 {
		mine.Info(fmt.Sprintf("mine again %d", i), "pad", strings.Repeat("x", 40))
	}
	got := readLog(t, path)
	if !strings.Contains(got, "the other's first line") || !strings.Contains(got, "mine again 4") {
		t.Errorf("the new log lacks a process's lines:\n%s", got)
	}
	if st, err := os.Stat(path + ".1"); err != nil || st.Size() < logLimit-100 {
		t.Errorf("the old log was replaced: %v, %v", st, err)
	}
}
