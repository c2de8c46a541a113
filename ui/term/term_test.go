package term

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// TestFit: at every width from 20 to 200 columns the line leaves the
// last three columns free (the last, and "^C" when Ctrl-C is echoed); the time left goes before the speed, the title is cut
// with "…" but kept to its first 16 columns while either is shown, and a
// wide terminal shows it all.
func TestFit(t *testing.T) {
	s := fetch.Snapshot{ID: "u-3f9a1c", Title: "u-3f9a1c", State: fetch.StateRunning, Downloaded: 640e6, DownloadTotal: 1.3e9,
		Speed: 42e6, ETA: 15 * time.Second, Records: []fetch.RecordSnapshot{{URL: "http://127.0.0.1/m/Llama-3.2-1B-Instruct-Q4_K_M.gguf"}}}
	const title = "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
	for w := 20; w <= 200; w++ {
		line := Fit(s, w)
		n := utf8.RuneCountInString(line)
		if n > w-3 {
			t.Fatalf("width %d: %d columns: %q", w, n, line)
		}
		speed, eta := strings.Contains(line, "42 MB/s"), strings.Contains(line, "15 s left")
		if eta && !speed {
			t.Errorf("width %d: the time left kept without the speed: %q", w, line)
		}
		if kept, _, cut := strings.Cut(line, "…"); cut && (speed || eta) && utf8.RuneCountInString(kept)+1 < titleMin {
			t.Errorf("width %d: the title cut below %d columns while the speed or time left is shown: %q", w, titleMin, line)
		}
		if strings.Contains(line, "u-3f9a1c") {
			t.Errorf("width %d: titled by its id: %q", w, line)
		}
	}
	if got, want := Fit(s, 50), "Llama-3.2-1B-Instruct-Q…  49%  640 MB of 1.3 GB"; got != want {
		t.Errorf("at 50 columns:\n got %q\nwant %q", got, want)
	}
	if got, want := Fit(s, 120), title+"  "+strings.Repeat("█", 14)+strings.Repeat("·", 16)+"  49%  640 MB of 1.3 GB · 42 MB/s · 15 s left"; got != want {
		t.Errorf("at 120 columns:\n got %q\nwant %q", got, want)
	}
	if got, want := Fit(s, 80), "Llama-3.2-1B-Instru…  ████······  49%  640 MB of 1.3 GB · 42 MB/s · 15 s left"; got != want {
		t.Errorf("at 80 columns:\n got %q\nwant %q", got, want)
	}
}

func TestTitle(t *testing.T) {
	for _, c := range []struct {
		s    fetch.Snapshot
		want string
	}{
		{fetch.Snapshot{ID: "gemma-2b", Title: "Gemma 2B"}, "Gemma 2B"},
		{fetch.Snapshot{ID: "u-1", Title: "u-1", Records: []fetch.RecordSnapshot{{URL: "https://h/a/model.gguf?x=1"}}}, "model.gguf"},
		{fetch.Snapshot{ID: "u-1", Title: "u-1", Records: []fetch.RecordSnapshot{{URL: "https://h/dl?id=4", Name: "real.gguf"}, {URL: "https://h/b.bin"}, {URL: "https://h/c.bin"}}}, "real.gguf and 2 more"},
	} {
		if got := Title(c.s); got != c.want {
			t.Errorf("Title(%+v) = %q, want %q", c.s, got, c.want)
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
	b := NewBar(&plain, nil)
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
	b = NewBar(&live, func() int { return 80 })
	b.Show(s)
	b.Done()
	if out := live.String(); !strings.HasPrefix(out, "\r") || !strings.Contains(out, "100%\x1b[K") && !strings.Contains(out, "100%  ") || !strings.HasSuffix(out, "\x1b[K\n") {
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
