package instance

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/modelfetch/modelfetch/downloader/network"
)

// LogName is the log's file name in the engine's state folder. People and
// bug reports read it: the sentences a person sees never quote Go's error
// text, so this is where an unexpected failure's cause is found.
const LogName = "modelfetch.log"

// logLimit is the size past which the log is moved aside to LogName+".1",
// so that two logs at most are kept.
const logLimit = 8 << 20

// Log is the logger of a process that may run the engine: text lines
// appended to path, a file opened at the first line, so that a command
// that logs nothing (list, path) creates nothing. Every line, message and
// attributes alike, passes network.Redact before it is written: a signed
// CDN address carries a credential in its query, a proxy address a
// password (tokens travel only in headers, which are never logged). The
// file is the user's own (0600, whatever mode an older log had), and it
// is moved aside to LogName+".1" when a line would take it past
// logLimit, so that a `serve` running for weeks stays within two logs.
func Log(path string) *slog.Logger {
	return slog.New(slog.NewTextHandler(&logFile{path: path}, nil))
}

// logFile appends lines to the file at path. A log that cannot be opened
// or written is skipped: logging never stops a download.
type logFile struct {
	path string

	mu sync.Mutex
	f  *os.File // nil until the first line, and while the log cannot be opened
}

// Write appends p, one line of the handler, redacted.
func (l *logFile) Write(p []byte) (int, error) {
	line := network.Redact(string(p))
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.file(len(line))
	if f == nil {
		return len(p), nil
	}
	if _, err := f.WriteString(line); err != nil {
		return 0, err // the handler's caller, slog.Logger, drops it
	}
	return len(p), nil
}

// file is the log to append n bytes to: opened at the first line, and
// opened again after moving it aside when n bytes would take it past
// logLimit. The size is the file's own, not a count of this process's
// lines, since the window and `modelfetch get` may append to the same log.
func (l *logFile) file(n int) *os.File {
	if l.f == nil {
		l.f = openLog(l.path)
		if l.f == nil {
			return nil
		}
	}
	st, err := l.f.Stat()
	if err != nil || st.Size()+int64(n) <= logLimit {
		return l.f
	}
	_ = l.f.Close() // its lines are written; a log has no one to tell of its own close
	// Another process may have moved it aside already: this one's file is
	// then the old one, and path a new log to open.
	if cur, err := os.Stat(l.path); err == nil && os.SameFile(cur, st) {
		_ = os.Rename(l.path, l.path+".1") // a failure keeps appending to the big one
	}
	l.f = openLog(l.path)
	return l.f
}

// openLog opens path for appending, as the user's own file: a log made
// by an older version with another mode is made 0600 too. It is nil when
// the log cannot be opened.
func openLog(path string) *os.File {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil
	}
	f, err := openAppend(path)
	if err != nil {
		return nil
	}
	if st, err := f.Stat(); err == nil && st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			_ = f.Close()
			return nil // a log others may read is not written
		}
	}
	return f
}
