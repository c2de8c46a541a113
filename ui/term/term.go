// Package term puts a fetch into words for people: the state, the
// progress line, and a progress bar for terminals. The window uses the
// same words, so it has no Fyne in it.
package term

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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

// Width is the columns of the terminal on fd, read each time so that a
// resized terminal is followed; 80 when fd is not a terminal that says.
func Width(fd uintptr) int {
	if w := width(fd); w > 0 {
		return w
	}
	return 80
}

// Title is what a fetch is called for people: its title, or, while that
// is only its id (a fetch of URLs given no title), its file's name, as
// "model.gguf and 2 more" for several files.
func Title(s fetch.Snapshot) string {
	if s.Title != "" && s.Title != s.ID || len(s.Records) == 0 {
		return s.Title
	}
	name := FileName(s.Records[0])
	if n := len(s.Records) - 1; n > 0 {
		return fmt.Sprintf("%s and %d more", name, n)
	}
	return name
}

// FileName is a record's file name, or the last part of its URL while
// the name is not known.
func FileName(r fetch.RecordSnapshot) string {
	if r.Name != "" {
		return r.Name
	}
	if u, err := url.Parse(r.URL); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		return path.Base(u.Path)
	}
	return r.URL
}

// The live line's parts: the bar's cells, and the title's when it must
// be cut.
const (
	barMin, barMax = 10, 30
	titleMin       = 16
)

// Fit is the progress line of s in width-3 columns or fewer, so that it
// never wraps: not at the last column, where some terminals wrap, nor
// when the terminal echoes Ctrl-C as "^C" after it.
// "model.gguf  ████······ 42%  640 MB of 1.3 GB · 42 MB/s · 15 s left".
// When it is short of room, the time left goes first, then the speed,
// then the title is cut with "…", then the bar goes.
func Fit(s fetch.Snapshot, width int) string {
	room := width - 3
	title := Title(s)
	essential, optional := tail(s)
	// With the bar first, then with the percentage alone.
	for _, least := range []int{barMin, 0} {
		for n := len(optional); n >= 0; n-- {
			t := strings.Join(append(slices.Clone(essential), optional[:n]...), " · ")
			fixed := runes(bar(Fraction(s), least)) + runes(t) + 4 // two gaps of two blanks
			if left := room - fixed; left >= min(runes(title), titleMin) {
				cells := least
				if least > 0 {
					cells = max(min(least+left-runes(title), barMax), least)
				}
				g := bar(Fraction(s), cells)
				return cut(title, room-runes(g)-runes(t)-4) + "  " + g + "  " + t
			}
		}
	}
	return cut(cut(title, titleMin)+"  "+strings.Join(essential, " · "), room)
}

// tail is what the line says after the bar: what it must say, and the
// speed and time left, which it drops, last first, when short of room.
// While the engine has something to say (waiting for the network, very
// slow), its message takes the place of the speed.
func tail(s fetch.Snapshot) (essential, optional []string) {
	msg := strings.TrimSuffix(s.Message, ".")
	switch {
	case s.State == fetch.StateRunning && msg != "":
		return []string{BytesOf(s.Downloaded, s.DownloadTotal)}, []string{msg}
	case s.State == fetch.StateRunning:
		if s.Speed > 0 {
			optional = append(optional, humanize.Bytes(uint64(s.Speed))+"/s")
			if s.ETA >= 0 {
				optional = append(optional, ETAText(s.ETA))
			}
		}
		return []string{BytesOf(s.Downloaded, s.DownloadTotal)}, optional
	case s.State == fetch.StateVerifying:
		return []string{"Verifying", "checked " + BytesOf(verified(s), s.Downloaded)}, nil
	case s.State == fetch.StateFailed || s.State == fetch.StateAborted:
		return []string{StateText(s)}, nil
	case msg != "" && s.Active():
		return []string{msg, BytesOf(s.Downloaded, s.DownloadTotal)}, nil
	}
	return []string{StateText(s), BytesOf(s.Downloaded, s.DownloadTotal)}, nil
}

// bar is a gauge of cells with the percentage after it, or a row of dots
// while the fraction is not known; with no cells, the percentage alone.
func bar(f float64, cells int) string {
	pct := fmt.Sprintf("%3.0f%%", f*100)
	switch {
	case f < 0:
		return strings.Repeat("·", cells)
	case cells == 0:
		return strings.TrimSpace(pct)
	}
	n := int(f * float64(cells))
	return strings.Repeat("█", n) + strings.Repeat("·", cells-n) + " " + pct
}

// cut shortens s to at most n columns, ending it with "…" when cut.
func cut(s string, n int) string {
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case n <= 0:
		return ""
	}
	return string(r[:n-1]) + "…"
}

// runes is the columns s takes: one a rune, as for the names, sizes and
// marks the line is made of.
func runes(s string) int { return utf8.RuneCountInString(s) }

// Bar draws progress on a writer: on a terminal, one line that fits its
// width, redrawn in place; elsewhere, a plain line on each change of
// state.
type Bar struct {
	w     io.Writer
	width func() int // the terminal's columns; nil when w is not one
	last  time.Time
	state fetch.State
	drawn bool
}

// NewBar returns a Bar on w; width gives the columns of the terminal w is,
// nil when w is not a terminal.
func NewBar(w io.Writer, width func() int) *Bar { return &Bar{w: w, width: width} }

// Show draws s: on a terminal at most ten times a second, elsewhere when
// its state changed.
func (b *Bar) Show(s fetch.Snapshot) {
	if b.width == nil {
		if s.State != b.state {
			b.state = s.State
			fmt.Fprintln(b.w, PlainLine(s))
		}
		return
	}
	now := time.Now()
	if s.State == b.state && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last, b.state = now, s.State
	fmt.Fprintf(b.w, "\r%s\x1b[K", Fit(s, b.width()))
	b.drawn = true
}

// PlainLine is the line for a log of a fetch's state: "model.gguf:
// Downloading · 0 B of 1.3 GB", with the engine's message when it has one.
func PlainLine(s fetch.Snapshot) string {
	essential, _ := tail(s)
	if s.State == fetch.StateRunning {
		essential = append([]string{StateText(s)}, essential...)
	}
	line := Title(s) + ": " + strings.Join(essential, " · ")
	if s.Message != "" && !strings.Contains(line, strings.TrimSuffix(s.Message, ".")) {
		line += " · " + strings.TrimSuffix(s.Message, ".")
	}
	return line
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
	return FileName(r) + ": " + r.Restarted
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
