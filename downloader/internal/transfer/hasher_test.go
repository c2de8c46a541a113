package transfer

import (
	"encoding"
	"encoding/hex"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// A journalled SHA-1 state resumes at the file's own byte count, the blob
// header not counted.
func TestGitSHA1HashState(t *testing.T) {
	data := origintest.Content(1000, 7)
	req := fetch.Request{GitSHA1: origintest.GitBlobID(data)}
	h, _ := newDigest(req, int64(len(data)))
	h.Write(data[:600])
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if n := HashedLen(req, int64(len(data)), state); n != 600 {
		t.Fatalf("hashedLen = %d, want 600", n)
	}
	resumed, _ := newDigest(req, int64(len(data)))
	if err := resumed.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	resumed.Write(data[600:])
	if got := hex.EncodeToString(resumed.Sum(nil)); got != req.GitSHA1 {
		t.Errorf("resumed sum %s, want %s", got, req.GitSHA1)
	}
}
