package disk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// sharedLockPoll is how often a shared lock held by another process is
// tried again: filelock's own poll interval.
const sharedLockPoll = 50 * time.Millisecond

// WaitSharedLock takes the lock another program takes around the
// download of the same file (huggingface_hub's .locks/…/<blob>.lock),
// locked as that program locks it (filelock: flock on Unix, a lock on
// the first byte on Windows; never removed), so that neither downloads a
// file the other is downloading. While another holds it, held is called
// once and the lock tried again every 50 ms, until ctx ends. The lock
// ends with unlock, or with the process.
func WaitSharedLock(ctx context.Context, path string, held func()) (unlock func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	told := false
	t := time.NewTicker(sharedLockPoll)
	defer t.Stop()
	for {
		unlock, ok, err := trySharedLock(path)
		if err != nil || ok {
			return unlock, err
		}
		if !told && held != nil {
			held()
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}
