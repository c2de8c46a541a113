package transfer

import (
	"context"
	"os"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/internal/ledger"
)

// writebackChunk is the least run of written bytes whose writeback the
// flusher starts: large enough that the disk sees long writes, small
// enough that it starts within a few milliseconds of the bytes at
// loopback speed.
const writebackChunk = 4 << 20

// pageSize is the page cache's unit on the systems we run on.
const pageSize = 4096

// flusher starts the disk's writeback of the written ranges as they grow,
// so that the disk writes while the bytes arrive and a checkpoint's
// fdatasync, and the commit's, find little left to write. It never marks
// a byte synced: only a checkpoint does, after an fdatasync. It runs in
// its own goroutine, so that a disk that is slow to take the writes never
// holds up a connection.
type flusher struct {
	file    *os.File
	ledger  *ledger.Ledger
	wake    chan struct{}
	started ledger.Spans // the ranges whose writeback was started
	todo    ledger.Spans // follow's scratch, kept: it runs at every write
}

func newFlusher(file *os.File, l *ledger.Ledger) *flusher {
	_, _, synced := l.State()
	return &flusher{file: file, ledger: l, wake: make(chan struct{}, 1), started: synced}
}

// poke wakes follow, without blocking: the written ranges grew.
func (f *flusher) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// follow starts the writeback of new runs of written bytes whenever
// woken, until ctx ends.
func (f *flusher) follow(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		_, written, _ := f.ledger.State()
		f.todo = minus(f.todo[:0], written, f.started)
		for _, s := range f.todo {
			// A page the connection is still filling is left for later: it
			// would be written twice.
			s.To -= s.To % pageSize
			if s.To-s.From < writebackChunk {
				continue
			}
			// An error here is the disk's, and the checkpoint's
			// fdatasync meets and reports it.
			_ = disk.StartWriteback(f.file, s.From, s.To-s.From)
			f.started = f.started.Add(s.From, s.To)
		}
	}
}

// minus appends to out what of a is not in b.
func minus(out, a, b ledger.Spans) ledger.Spans {
	for _, x := range a {
		from := x.From
		for _, y := range b {
			if y.To <= from || y.From >= x.To {
				continue
			}
			if y.From > from {
				out = append(out, ledger.Span{From: from, To: y.From})
			}
			from = max(from, y.To)
		}
		if from < x.To {
			out = append(out, ledger.Span{From: from, To: x.To})
		}
	}
	return out
}
