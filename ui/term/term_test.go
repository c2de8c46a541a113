package term

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		name string
		s    fetch.Snapshot
		want string
	}{
		{"running", fetch.Snapshot{State: fetch.StateRunning, Downloaded: 640e6, DownloadTotal: 1.3e9, Speed: 42e6, ETA: 15 * time.Second}, "640 MB of 1.3 GB · 42 MB/s · 15 s left"},
		{"unknown total", fetch.Snapshot{State: fetch.StateRunning, Downloaded: 5e6, DownloadTotal: -1, Speed: 1e6, ETA: -1}, "5.0 MB · 1.0 MB/s"},
		{"paused", fetch.Snapshot{State: fetch.StatePaused, Downloaded: 1e9, DownloadTotal: 2e9, Speed: 3e6, ETA: time.Minute}, "1.0 GB of 2.0 GB"},
		{"done", fetch.Snapshot{State: fetch.StateSucceeded, Downloaded: 2e9, DownloadTotal: 2e9, ETA: -1}, "2.0 GB of 2.0 GB"},
		{"verifying", fetch.Snapshot{State: fetch.StateVerifying, Downloaded: 2e9, DownloadTotal: 2e9, Records: []fetch.RecordSnapshot{{Verified: 5e8}}}, "checked 500 MB of 2.0 GB"},
	} {
		if got := ProgressLine(c.s); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestETAText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		14500 * time.Millisecond: "15 s left",
		90 * time.Second:         "2 min left",
		59 * time.Minute:         "59 min left",
		150 * time.Minute:        "2.5 h left",
	} {
		if got := ETAText(d); got != want {
			t.Errorf("ETAText(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStateText(t *testing.T) {
	for _, c := range []struct {
		s    fetch.Snapshot
		want string
	}{
		{fetch.Snapshot{State: fetch.StateWaitingNetwork}, "Waiting for network"},
		{fetch.Snapshot{State: fetch.StateFailed, FailureReason: fetch.ReasonQuotaExceeded}, "Failed: the disk is full"},
		{fetch.Snapshot{State: fetch.StateFailed, FailureReason: fetch.ReasonIntegrity}, "Failed: the file was corrupt"},
		{fetch.Snapshot{State: fetch.StateAborted}, "Cancelled"},
		{fetch.Snapshot{State: fetch.StateSucceeded}, "Ready"},
	} {
		if got := StateText(c.s); got != c.want {
			t.Errorf("StateText(%s/%s) = %q, want %q", c.s.State, c.s.FailureReason, got, c.want)
		}
	}
}

func TestFraction(t *testing.T) {
	if f := Fraction(fetch.Snapshot{DownloadTotal: -1, Downloaded: 5}); f != -1 {
		t.Errorf("unknown total: %v, want -1", f)
	}
	if f := Fraction(fetch.Snapshot{DownloadTotal: 4, Downloaded: 1}); f != 0.25 {
		t.Errorf("a quarter: %v, want 0.25", f)
	}
	if f := Fraction(fetch.Snapshot{State: fetch.StateVerifying, DownloadTotal: 8, Downloaded: 8, Records: []fetch.RecordSnapshot{{Verified: 2}}}); f != 0.25 {
		t.Errorf("verifying a quarter: %v, want 0.25", f)
	}
	if f := Fraction(fetch.Snapshot{State: fetch.StateSucceeded, DownloadTotal: -1}); f != 1 {
		t.Errorf("succeeded: %v, want 1", f)
	}
}

// TestBar: off a terminal, one plain line per change of state, not one per
// progress event; on a terminal, the line is redrawn in place.
func TestBar(t *testing.T) {
	var plain bytes.Buffer
	b := NewBar(&plain, false)
	s := fetch.Snapshot{Title: "Gemma 2B", State: fetch.StateRunning, DownloadTotal: 100}
	for i := range 50 {
		s.Downloaded = int64(i)
		b.Show(s)
	}
	s.State = fetch.StateSucceeded
	b.Show(s)
	b.Done()
	if lines := strings.Count(plain.String(), "\n"); lines != 2 {
		t.Errorf("plain output has %d lines, want 2:\n%s", lines, plain.String())
	}
	var live bytes.Buffer
	b = NewBar(&live, true)
	b.Show(s)
	b.Done()
	if out := live.String(); !strings.HasPrefix(out, "\r\x1b[K") || !strings.Contains(out, "100%") || !strings.HasSuffix(out, "\n") {
		t.Errorf("live output %q: want a redrawn line at 100%% ending the line", out)
	}
}

func TestCompactLine(t *testing.T) {
	for _, c := range []struct {
		name string
		s    fetch.Snapshot
		want string
	}{
		{"running", fetch.Snapshot{State: fetch.StateRunning, Downloaded: 3.1e9, DownloadTotal: 4.9e9, Speed: 48e6, ETA: 38 * time.Second}, "3.1 of 4.9 GB · 63 % · 48 MB/s · 38 s"},
		{"units differ", fetch.Snapshot{State: fetch.StateRunning, Downloaded: 640e6, DownloadTotal: 1.3e9, Speed: 42e6, ETA: 15 * time.Minute}, "640 MB of 1.3 GB · 49 % · 42 MB/s · 15 min"},
		{"unknown total", fetch.Snapshot{State: fetch.StateRunning, Downloaded: 5e6, DownloadTotal: -1, Speed: 1e6, ETA: -1}, "5.0 MB · 1.0 MB/s"},
		{"paused", fetch.Snapshot{State: fetch.StatePaused, Downloaded: 1e9, DownloadTotal: 2e9, Speed: 3e6, ETA: time.Minute}, "1.0 of 2.0 GB · 50 %"},
		{"verifying", fetch.Snapshot{State: fetch.StateVerifying, Downloaded: 2e9, DownloadTotal: 2e9, Records: []fetch.RecordSnapshot{{Verified: 5e8}}}, "checked 500 MB of 2.0 GB"},
	} {
		if got := CompactLine(c.s); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestQueueText(t *testing.T) {
	for pos, want := range map[int]string{1: "Queued · 1st in line", 2: "Queued · 2nd in line", 3: "Queued · 3rd in line", 4: "Queued · 4th in line", 11: "Queued · 11th in line", 12: "Queued · 12th in line", 21: "Queued · 21st in line"} {
		if got := QueueText(pos); got != want {
			t.Errorf("QueueText(%d) = %q, want %q", pos, got, want)
		}
	}
}

func TestAdviceAndStatus(t *testing.T) {
	if got := StatusText(404); got != "HTTP 404 Not Found" {
		t.Errorf("StatusText(404) = %q", got)
	}
	if got := StatusText(0); got != "" {
		t.Errorf("StatusText(0) = %q, want empty", got)
	}
	expired := Advice(fetch.ReasonBadStatus, 403)
	gone := Advice(fetch.ReasonBadStatus, 404)
	if expired == gone || !strings.Contains(expired, "permission") || !strings.Contains(gone, "address") {
		t.Errorf("got the same or unfitting advice for 403 (%q) and 404 (%q)", expired, gone)
	}
	if !strings.Contains(Advice(fetch.ReasonQuotaExceeded, 0), "disk space") {
		t.Error("got no word of disk space for a full disk")
	}
}
