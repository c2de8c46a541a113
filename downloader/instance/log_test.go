package instance

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogCutsQueries: the log file appears at the first line, is the
// user's own (0600), holds the error's text, and no URL's query: a signed
// CDN address is a credential while it lasts.
func TestLogCutsQueries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", LogName)
	l := Log(path)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the log exists before its first line: %v", err)
	}
	signed := "https://cdn.example/blobs/abc?X-Amz-Signature=s3cr3t&Expires=1"
	u, err := url.Parse("https://cdn.example/other?token=s3cr3t")
	if err != nil {
		t.Fatal(err)
	}
	l.Warn("record failed", "url", signed, "next", u, "wait", 3*time.Second,
		"err", &url.Error{Op: "Get", URL: signed, Err: errors.New("connection reset by peer")})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("a URL's query is in the log:\n%s", got)
	}
	for _, want := range []string{"https://cdn.example/blobs/abc?…", "https://cdn.example/other?…", "connection reset by peer", "wait=3s", "level=WARN"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the log's mode is %v (%v), want 0600", st.Mode(), err)
	}
}

// TestLogMovesABigLogAside: a log past the limit becomes LogName.1 when a
// process starts logging, so that at most two are kept.
func TestLogMovesABigLogAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	if err := os.WriteFile(path, make([]byte, logLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	Log(path).Info("started")
	old, err := os.Stat(path + ".1")
	if err != nil || old.Size() != logLimit+1 {
		t.Fatalf("the big log was not moved aside: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() > 200 {
		t.Fatalf("the new log is not a fresh one: %v", err)
	}
}
