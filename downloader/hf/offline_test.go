package hf

import (
	"errors"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// TestOfflineAsksNothing: a client made under HF_HUB_OFFLINE refuses to
// resolve and to search with KindOfflineMode, and the Hub sees no request.
func TestOfflineAsksNothing(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	c, err := FromEnv(envOf(map[string]string{"HF_ENDPOINT": h.URL(), "HF_HUB_OFFLINE": "1", "HF_HOME": t.TempDir()}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Offline() {
		t.Fatal("HF_HUB_OFFLINE=1 made a client that is not offline")
	}
	_, rerr := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF", Options{}))
	_, serr := c.Search(t.Context(), Search{Query: "tiny"})
	for _, err := range []error{rerr, serr} {
		var he *Error
		if !errors.As(err, &he) || he.Kind != KindOfflineMode {
			t.Errorf("got %v, want a KindOfflineMode error", err)
		}
	}
	if n := len(h.Requests()); n != 0 {
		t.Errorf("the offline client made %d requests", n)
	}
}

// TestOfflineValues: HF_HUB_OFFLINE is true as huggingface_hub reads it.
func TestOfflineValues(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "ON": true, "yes": true, "True": true, " 1 ": true,
		"": false, "0": false, "off": false, "false": false, "2": false} {
		if got := envOf(map[string]string{"HF_HUB_OFFLINE": v}).Offline(); got != want {
			t.Errorf("HF_HUB_OFFLINE=%q: offline %v, want %v", v, got, want)
		}
	}
}
