package instance

import (
	"strings"
	"testing"
)

func TestReadVersion(t *testing.T) {
	v := ReadVersion("1.2.3", "0123456789ab")
	if v.Version != "1.2.3" || v.Commit != "0123456789ab" || !strings.HasPrefix(v.Go, "go") {
		t.Errorf("got %+v, want the stamped version and commit and a Go version", v)
	}
	// A test binary has no stamp and no VCS information (go test does not
	// record it).
	if v := ReadVersion("", ""); v.Version != "dev" || v.Commit != "unknown" {
		t.Errorf("unstamped: got %+v, want dev and unknown", v)
	}
}
