package downloader

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
)

// hasher computes a record's SHA-256 over the written prefix of the file
// while the transfer runs, so that verifying at the end costs little more
// than the last bytes; its state goes into the journal only while it
// covers synced bytes.
type hasher struct {
	r      *record
	file   *os.File
	ledger *ledger
	events events
	h      hash.Hash
	wake   chan struct{}
}

// newHasher resumes from state, a marshalled hash of the file's first
// bytes, when it is valid.
func newHasher(r *record, file *os.File, l *ledger, ev events, state []byte) *hasher {
	h := sha256.New()
	if len(state) > 0 && h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state) == nil {
		r.hashed.Store(hashedLen(state))
	} else {
		h.Reset()
		ev.saveHash(nil)
		r.hashed.Store(0)
	}
	return &hasher{r: r, file: file, ledger: l, events: ev, h: h, wake: make(chan struct{}, 1)}
}

// hashedLen is how many bytes a marshalled sha256 state has consumed: the
// last 8 bytes of the state, big-endian.
func hashedLen(state []byte) int64 {
	if len(state) < 8 {
		return 0
	}
	var n int64
	for _, b := range state[len(state)-8:] {
		n = n<<8 | int64(b)
	}
	return n
}

// follow hashes the written prefix whenever woken, until ctx ends.
func (h *hasher) follow(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		written, _ := h.ledger.prefixes()
		if err := h.hashTo(ctx, written); err != nil {
			return // finish hashes again and reports the error
		}
	}
}

// finish hashes what is left up to size and returns the digest in hex.
func (h *hasher) finish(ctx context.Context, size int64) (string, error) {
	if err := h.hashTo(ctx, size); err != nil {
		return "", writeFailure(err, h.r.downloaded())
	}
	return hex.EncodeToString(h.h.Sum(nil)), nil
}

// hashTo feeds the hash the file's bytes up to end. The journal gets the
// last state that covers only synced bytes, so that after a crash the hash
// resumes from data that is really on disk.
func (h *hasher) hashTo(ctx context.Context, end int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	_, synced := h.ledger.prefixes()
	var saved []byte
	pos := h.r.hashed.Load()
	for pos < end {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		n, err := h.file.ReadAt((*bp)[:min(int64(bufSize), end-pos)], pos)
		h.h.Write((*bp)[:n])
		pos += int64(n)
		h.r.hashed.Store(pos)
		if err != nil && !(errors.Is(err, io.EOF) && pos == end) {
			return err
		}
		if pos <= synced {
			if saved, err = h.h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
				return err
			}
		}
	}
	if saved != nil {
		h.events.saveHash(saved)
	}
	return nil
}
