package instance

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// LogName is the log's file name in the engine's state folder. People and
// bug reports read it: the sentences a person sees never quote Go's error
// text, so this is where an unexpected failure's cause is found.
const LogName = "modelfetch.log"

// logLimit is the size past which the log is moved aside to LogName+".1"
// when a process opens it, so that two logs at most are kept.
const logLimit = 8 << 20

// Log is the logger of a process that may run the engine: text lines
// appended to path, a file opened at the first line, so that a command
// that logs nothing (list, path) creates nothing. Every URL's query is
// cut from what is written, since a signed CDN address carries a
// credential in it; tokens travel only in headers, which are never
// logged.
func Log(path string) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lazyFile{path: path}, &slog.HandlerOptions{ReplaceAttr: redact}))
}

// query is a URL's query, up to the end of the word it is in.
var query = regexp.MustCompile(`(\b[a-z][a-z0-9+.-]*://[^\s"?#]*)\?[^\s"#]*`)

// redact writes errors as text and cuts URL queries from every string,
// error and Stringer (a *url.URL) value.
func redact(_ []string, a slog.Attr) slog.Attr {
	var s string
	switch v := a.Value.Any().(type) {
	case string:
		s = v
	case error:
		s = v.Error()
	case fmt.Stringer:
		if a.Value.Kind() != slog.KindAny { // times and durations stay as they are
			return a
		}
		s = v.String()
	default:
		return a
	}
	return slog.String(a.Key, query.ReplaceAllString(s, "$1?…"))
}

// lazyFile appends to the file at path, opened at the first Write and
// kept for the life of the process (the log outlives every engine it
// runs, and the kernel closes it at exit).
type lazyFile struct {
	path string
	once sync.Once
	w    io.Writer
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.once.Do(func() { l.w = openLog(l.path) })
	return l.w.Write(p)
}

// openLog opens path for appending, moving a log past logLimit aside
// first. A log that cannot be opened is discarded: logging never stops a
// download.
func openLog(path string) io.Writer {
	if st, err := os.Stat(path); err == nil && st.Size() > logLimit {
		_ = os.Rename(path, path+".1") // a failure keeps appending to the big one
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return io.Discard
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return io.Discard
	}
	return f
}
