package ui

import (
	"sync"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/ui/term"
)

// history is what happened to each fetch while the window watched: every
// start, wait, pause, failure and Retry as a line with its time, for the
// details view, and how often each failed, for its row. The poller writes
// what the engine's events say (a Retry is a failed fetch queued again);
// it is read for the details and the rows.
type history struct {
	mu    sync.Mutex
	byID  map[string][]string
	fails map[string]int
}

// historyLines is how many lines a fetch keeps: the latest.
const historyLines = 50

func newHistory() *history {
	return &history{byID: map[string][]string{}, fails: map[string]int{}}
}

// add writes line for fetch id at now.
func (h *history) add(id string, now time.Time, line string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lines := append(h.byID[id], now.Local().Format("15:04:05")+"  "+line)
	if len(lines) > historyLines {
		lines = lines[len(lines)-historyLines:]
	}
	h.byID[id] = lines
}

// change writes what a fetch's change of state, from prev (when known) to
// s, says.
func (h *history) change(prev fetch.Snapshot, known bool, s fetch.Snapshot, now time.Time) {
	if line := changeLine(prev, known, s); line != "" {
		h.add(s.ID, now, line)
	}
}

// failed counts a failure of fetch id: the engine says each once.
func (h *history) failed(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails[id]++
}

// changeLine is the line for a change of state, "" for none worth one.
func changeLine(prev fetch.Snapshot, known bool, s fetch.Snapshot) string {
	switch s.State {
	case fetch.StateFailed:
		if s.Message != "" {
			return "Failed: " + s.Message
		}
		return "Failed: " + term.ReasonText(s.FailureReason)
	case fetch.StateSucceeded:
		return "Finished"
	case fetch.StateAborted:
		return "Cancelled"
	case fetch.StatePaused:
		return "Paused"
	case fetch.StateWaitingNetwork:
		return "Waiting: " + failureText(s)
	}
	switch {
	case !known:
		return "Added"
	case prev.State == fetch.StateFailed:
		return "Retried"
	case prev.State == fetch.StateAborted:
		return "Downloading again"
	case prev.State == fetch.StatePaused:
		return "Resumed"
	case s.State == fetch.StateRunning && prev.State == fetch.StateQueued:
		return "Started"
	case s.State == fetch.StateVerifying:
		return "Checking the file"
	}
	return ""
}

// failures is how often fetch id failed while the window watched.
func (h *history) failures(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fails[id]
}

// lines is fetch id's history, oldest first.
func (h *history) lines(id string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.byID[id]...)
}

// forget drops a removed fetch's history.
func (h *history) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byID, id)
	delete(h.fails, id)
}
