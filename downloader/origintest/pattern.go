package origintest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"slices"
)

// Pattern is a file of any size that costs no memory: a seeded
// pseudo-random block repeated with an odd period. Serving it costs no
// more than a copy from memory, yet bytes written at a wrong offset (a
// shift by any power of two, or by any segment size an engine picks)
// change the SHA-256.
type Pattern struct {
	block []byte // period bytes, then patternChunk more that repeat its start
	size  int64
}

const (
	patternPeriod = 16<<20 + 1
	patternChunk  = 1 << 20
)

// NewPattern generates the block once; Sized makes files of it.
func NewPattern() *Pattern {
	block := make([]byte, patternPeriod+patternChunk)
	rand.NewChaCha8([32]byte{'m', 'o', 'd', 'e', 'l', 'f', 'e', 't', 'c', 'h'}).Read(block[:patternPeriod]) // never fails
	copy(block[patternPeriod:], block[:patternChunk])
	return &Pattern{block: block}
}

// Sized is the pattern's file of size bytes, sharing the block.
func (p *Pattern) Sized(size int64) *Pattern { return &Pattern{block: p.block, size: size} }

// Size is the file's size.
func (p *Pattern) Size() int64 { return p.size }

// ReadAt reads the file's bytes from off.
func (p *Pattern) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) && off < p.size {
		k := int(min(int64(len(b)-n), patternChunk, p.size-off))
		i := off % patternPeriod
		n += copy(b[n:n+k], p.block[i:i+int64(k)])
		off += int64(k)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// Sums is the hex SHA-256 of the pattern's file at each of sizes, in one
// pass.
func (p *Pattern) Sums(sizes []int64) map[int64]string {
	sizes = slices.Sorted(slices.Values(sizes))
	out := make(map[int64]string, len(sizes))
	h := sha256.New()
	var off int64
	for _, size := range sizes {
		for off < size {
			k := min(patternChunk, size-off)
			i := off % patternPeriod
			h.Write(p.block[i : i+k])
			off += k
		}
		out[size] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}
