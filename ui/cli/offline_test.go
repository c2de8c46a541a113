package cli

import (
	"strings"
	"testing"
)

// TestGetHubOffline: with HF_HUB_OFFLINE set, get asks the Hub nothing. A
// name the Hub cache holds prints its files, as `hf download` does
// offline; one it does not hold fails with a sentence naming the
// variable.
func TestGetHubOffline(t *testing.T) {
	s := newHubSandbox(t)
	want := s.run("get", "hf.co/org/Tiny-1B-GGUF:Q4_K_M").paths(t)
	asked := len(s.hub.Requests())

	s.offline = "yes"
	got := s.run("get", "hf.co/org/Tiny-1B-GGUF:Q4_K_M").paths(t)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("offline get printed %q, want %q", got, want)
	}
	p := s.run("get", "hf.co/org/Tiny-1B-GGUF:Q8_0")
	if code := p.wait(t); code != 1 || !strings.Contains(p.stderr.String(), "HF_HUB_OFFLINE is set, so ModelFetch does not ask the Hugging Face Hub about org/Tiny-1B-GGUF.") {
		t.Errorf("offline get of a file not cached: exit %d, stderr %q", code, p.stderr.String())
	}
	if n := len(s.hub.Requests()) - asked; n != 0 {
		t.Errorf("offline gets made %d requests to the Hub or its CDN, want 0", n)
	}
}
