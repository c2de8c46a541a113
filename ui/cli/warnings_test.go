package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// TestSettingsFileUnreadableWarns: a settings file that cannot be read is
// a warning naming it, and the command goes on with the defaults.
func TestSettingsFileUnreadableWarns(t *testing.T) {
	s := newSandbox(t)
	path := filepath.Join(s.config, "modelfetch", "settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := s.run("list")
	if code := p.wait(t); code != 0 || !strings.Contains(p.stderr.String(), "warning") || strings.Count(p.stderr.String(), path) != 1 {
		t.Errorf("got exit code %d and stderr %q, want 0 and a warning naming %s, once", code, p.stderr.String(), path)
	}
}

// TestGetSaysRefusedTokenDropped: when the Hub refuses the token, a
// public model is still listed (hf.Client.WithoutRefused) and its files
// downloaded (hf.PublicTransport) without it, and get says so, once.
func TestGetSaysRefusedTokenDropped(t *testing.T) {
	s := newHubSandbox(t)
	s.token = "hf_expired"
	p := s.startEnv([]string{asCommand + "=1", "HF_ENDPOINT=" + s.hub.URL(), "HF_HOME=" + s.hfHome, "HF_TOKEN=" + s.token,
		"HUGGING_FACE_HUB_TOKEN=", "HF_HUB_CACHE=", "HF_TOKEN_PATH=", "HF_HUB_OFFLINE=", "OLLAMA_MODELS="}, "get", "hf.co/org/Tiny-1B-GGUF:*")
	paths := p.paths(t)
	warning := refusedWarning(hf.NewToken(s.token, "HF_TOKEN"))
	if len(paths) == 0 || strings.Count(p.stderr.String(), warning) != 1 {
		t.Errorf("got %d paths and stderr %q, want the files and, once, %q", len(paths), p.stderr.String(), warning)
	}
}
