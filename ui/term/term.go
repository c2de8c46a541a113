// Package term puts a fetch into words for people: the state, the
// progress line, and a progress bar for terminals. The window uses the
// same words, so it has no Fyne in it.
package term

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/dustin/go-humanize"
)

// StateText is the state of a fetch in words, with the reason of a failure.
func StateText(s fetch.Snapshot) string {
	switch s.State {
	case fetch.StateQueued:
		return "Queued"
	case fetch.StateRunning:
		return "Downloading"
	case fetch.StateWaitingNetwork:
		return "Waiting for network"
	case fetch.StatePaused:
		return "Paused"
	case fetch.StateVerifying:
		return "Verifying"
	case fetch.StateSucceeded:
		return "Ready"
	case fetch.StateAborted:
		return "Cancelled"
	case fetch.StateFailed:
		return "Failed: " + ReasonText(s.FailureReason)
	}
	return string(s.State)
}

// ReasonText is a failure reason in plain words.
func ReasonText(r fetch.Reason) string {
	switch r {
	case fetch.ReasonBadStatus:
		return "the server refused the file"
	case fetch.ReasonFetchError:
		return "the download kept failing"
	case fetch.ReasonQuotaExceeded:
		return "the disk is full"
	case fetch.ReasonTotalExceeded:
		return "larger than allowed"
	case fetch.ReasonIntegrity:
		return "the file was corrupt"
	case fetch.ReasonAborted:
		return "cancelled"
	}
	return string(r)
}

// ProgressLine is "640 MB of 1.3 GB · 42 MB/s · 15 s left", with the
// parts that are known; while verifying, how much of the file is checked.
func ProgressLine(s fetch.Snapshot) string {
	if s.State == fetch.StateVerifying {
		return fmt.Sprintf("checked %s of %s", humanize.Bytes(uint64(verified(s))), humanize.Bytes(uint64(s.Downloaded)))
	}
	parts := []string{humanize.Bytes(uint64(s.Downloaded))}
	if s.DownloadTotal > 0 {
		parts[0] += " of " + humanize.Bytes(uint64(s.DownloadTotal))
	}
	if s.Speed > 0 && !s.State.Settled() && s.State != fetch.StatePaused {
		parts = append(parts, humanize.Bytes(uint64(s.Speed))+"/s")
	}
	if s.ETA >= 0 && s.State == fetch.StateRunning {
		parts = append(parts, ETAText(s.ETA))
	}
	return strings.Join(parts, " · ")
}

// ETAText is a time left, rounded as a person would say it.
func ETAText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s left", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min left", int(d.Minutes()+0.5))
	default:
		return fmt.Sprintf("%.1f h left", d.Hours())
	}
}

// Fraction is how far the fetch is, from 0 to 1, or -1 while the total is
// unknown. While verifying it is how far the check is.
func Fraction(s fetch.Snapshot) float64 {
	switch {
	case s.State == fetch.StateSucceeded:
		return 1
	case s.State == fetch.StateVerifying && s.Downloaded > 0:
		return min(float64(verified(s))/float64(s.Downloaded), 1)
	}
	if s.DownloadTotal <= 0 {
		return -1
	}
	return min(float64(s.Downloaded)/float64(s.DownloadTotal), 1)
}

// Bar draws progress on a writer: redrawn in place on a terminal, a plain
// line on each change of state and every few seconds otherwise.
type Bar struct {
	w     io.Writer
	live  bool
	last  time.Time
	state fetch.State
	drawn bool
}

// NewBar returns a Bar on w; live says w is a terminal.
func NewBar(w io.Writer, live bool) *Bar { return &Bar{w: w, live: live} }

// Show draws s if enough time passed or its state changed.
func (b *Bar) Show(s fetch.Snapshot) {
	now := time.Now()
	every := 5 * time.Second
	if b.live {
		every = 100 * time.Millisecond
	}
	if s.State == b.state && now.Sub(b.last) < every {
		return
	}
	b.last, b.state = now, s.State
	line := fmt.Sprintf("%s  %s  %s", s.Title, StateText(s), ProgressLine(s))
	if !b.live {
		fmt.Fprintln(b.w, line)
		return
	}
	const width = 30
	bar := strings.Repeat("·", width)
	if f := Fraction(s); f >= 0 {
		n := int(f * width)
		bar = strings.Repeat("█", n) + strings.Repeat("·", width-n)
		line = fmt.Sprintf("%s %3.0f%%  %s", bar, f*100, line)
	} else {
		line = bar + "  " + line
	}
	fmt.Fprintf(b.w, "\r\x1b[K%s", line)
	b.drawn = true
}

// Done ends the live line.
func (b *Bar) Done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// Say prints line on a line of its own, clearing the live bar first; the
// next Show draws the bar again below it.
func (b *Bar) Say(line string) {
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn, b.last = false, time.Time{}
	}
	fmt.Fprintln(b.w, line)
}

// RestartText says that a file's download went back to zero and why:
// "model.bin: the file changed on the server, so it is downloaded from
// the start". r.Restarted is the why; "" when it did not.
func RestartText(r fetch.RecordSnapshot) string {
	if r.Restarted == "" {
		return ""
	}
	name := r.Name
	if name == "" {
		name = r.URL
	}
	return name + ": " + r.Restarted
}

// verified is how many bytes of the fetch's files have been hashed.
func verified(s fetch.Snapshot) int64 {
	var n int64
	for _, r := range s.Records {
		n += r.Verified
	}
	return n
}

// CompactLine is progress in the fewest words that say it all, for a row
// of the window: "3.1 of 4.9 GB · 62 % · 48 MB/s · 38 s". It leaves out
// what is not known, and speed and time while nothing moves.
func CompactLine(s fetch.Snapshot) string {
	if s.State == fetch.StateVerifying {
		return "checked " + BytesOf(verified(s), s.Downloaded)
	}
	parts := []string{BytesOf(s.Downloaded, s.DownloadTotal)}
	if s.DownloadTotal > 0 {
		parts = append(parts, fmt.Sprintf("%d %%", s.Downloaded*100/s.DownloadTotal))
	}
	if s.State == fetch.StateRunning && s.Speed > 0 {
		parts = append(parts, humanize.Bytes(uint64(s.Speed))+"/s")
		if s.ETA >= 0 {
			parts = append(parts, Duration(s.ETA))
		}
	}
	return strings.Join(parts, " · ")
}

// BytesOf is "3.1 of 4.9 GB" (the unit said once when both share it),
// "640 MB of 4.9 GB", or just the bytes done while the total is unknown.
func BytesOf(done, total int64) string {
	d := humanize.Bytes(uint64(max(done, 0)))
	if total <= 0 {
		return d
	}
	t := humanize.Bytes(uint64(total))
	dn, du, _ := strings.Cut(d, " ")
	if _, tu, _ := strings.Cut(t, " "); du == tu {
		return dn + " of " + t
	}
	return d + " of " + t
}

// Duration is a time left in its shortest spoken form: "38 s", "12 min",
// "2.5 h".
func Duration(d time.Duration) string {
	return strings.TrimSuffix(ETAText(d), " left")
}

// QueueText says where a queued fetch stands: "Queued · 1st in line".
func QueueText(pos int) string {
	suffix := "th"
	switch {
	case pos%100 >= 11 && pos%100 <= 13:
	case pos%10 == 1:
		suffix = "st"
	case pos%10 == 2:
		suffix = "nd"
	case pos%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("Queued · %d%s in line", pos, suffix)
}

// StatusText is an HTTP status as people see it quoted: "HTTP 404 Not
// Found"; empty for no status.
func StatusText(code int) string {
	if code == 0 {
		return ""
	}
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("HTTP %d %s", code, text)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// Advice is what a person can do about a failure, from its reason and
// the server's status.
func Advice(r fetch.Reason, status int) string {
	switch r {
	case fetch.ReasonBadStatus:
		switch status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return "The server wants permission: the link may have expired, or the file may need you to sign in or accept a licence on its page. Get a fresh link, then add it again."
		case http.StatusNotFound, http.StatusGone:
			return "The file is not at this address any more. Check the address on the model's page, then add it again or Retry."
		}
		return "The server would not send the file. Check the address, then Retry."
	case fetch.ReasonFetchError:
		return "The connection kept breaking or the server sent something unexpected. Retry resumes from the bytes already downloaded."
	case fetch.ReasonQuotaExceeded:
		return "Free some disk space, or choose another download folder in Settings, then Retry: the part already downloaded is kept."
	case fetch.ReasonTotalExceeded:
		return "The server sent more than the size this download expected. Check that the address is the right file."
	case fetch.ReasonIntegrity:
		return "The file's SHA-256 is not the one expected: the file on the server may have changed, or the checksum given may be wrong."
	}
	return "Retry, or remove the download."
}
