package disk

import (
	"context"
	"hash"
	"io"
)

// HashFile feeds h the file at path, until ctx ends, and returns how
// many bytes it read.
func HashFile(ctx context.Context, path string, h hash.Hash) (int64, error) {
	f, err := openRead(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(h, ctxReader{ctx, f})
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
