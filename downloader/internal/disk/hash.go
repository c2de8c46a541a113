package disk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
)

// HashFile is the SHA-256 of the file at path, and its length.
func HashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// ctxReader stops reading once ctx ends, so that hashing a large file
// does not hold up a pause.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
