package transfer

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"strconv"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// hasher computes a record's digest (SHA-256, or a git blob id) over the written prefix of the file
// while the transfer runs, so that verifying at the end costs little more
// than the last bytes; its state goes into the journal only while it
// covers synced bytes.
type hasher struct {
	r      *Target
	file   *os.File
	ledger *ledger.Ledger
	events Events
	h      hash.Hash
	wake   chan struct{}
}

// newHasher resumes from state, a marshalled hash of the file's first
// bytes, when it is valid.
func newHasher(r *Target, file *os.File, l *ledger.Ledger, ev Events, state []byte, size int64) *hasher {
	h, _ := newDigest(r.Request, size)
	if len(state) > 0 && h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state) == nil {
		r.Hashed.Store(HashedLen(r.Request, size, state))
	} else {
		h, _ = newDigest(r.Request, size)
		ev.SaveHash(nil)
		r.Hashed.Store(0)
	}
	return &hasher{r: r, file: file, ledger: l, events: ev, h: h, wake: make(chan struct{}, 1)}
}

// newDigest is the hash a record is verified with: SHA-256, or for a git
// blob id SHA-1 fed the blob's header ("blob <size>\x00") first. It
// returns the header's length, which the hash's own count includes.
func newDigest(req fetch.Request, size int64) (hash.Hash, int64) {
	if req.GitSHA1 == "" {
		return sha256.New(), 0
	}
	header := "blob " + strconv.FormatInt(size, 10) + "\x00"
	h := sha1.New()
	h.Write([]byte(header)) // a hash's Write never fails
	return h, int64(len(header))
}

// digestName names the record's digest in sentences.
func digestName(req fetch.Request) string {
	if req.GitSHA1 != "" {
		return "git blob id"
	}
	return "SHA-256"
}

// HashedLen is how many of the file's bytes a marshalled hash state has
// consumed: the last 8 bytes of the state (big-endian, for SHA-256 and
// SHA-1 alike) less the header the hash was fed first.
func HashedLen(req fetch.Request, size int64, state []byte) int64 {
	if len(state) < 8 {
		return 0
	}
	var n int64
	for _, b := range state[len(state)-8:] {
		n = n<<8 | int64(b)
	}
	_, header := newDigest(req, size)
	return max(0, n-header)
}

// poke wakes follow, without blocking: the written prefix may have grown.
func (h *hasher) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// follow hashes the written prefix whenever woken, until ctx ends.
func (h *hasher) follow(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		written, _ := h.ledger.Prefixes()
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
	_, synced := h.ledger.Prefixes()
	var saved []byte
	pos := h.r.Hashed.Load()
	for pos < end {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		n, err := h.file.ReadAt((*bp)[:min(int64(ReadSize), end-pos)], pos)
		h.h.Write((*bp)[:n])
		pos += int64(n)
		h.r.Hashed.Store(pos)
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
		h.events.SaveHash(saved)
	}
	return nil
}
