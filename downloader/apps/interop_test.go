//go:build unix

package apps_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
)

// TestOllamaInterop makes a small real GGUF available to a real Ollama
// (`ollama serve` on a loopback port with a private OLLAMA_MODELS) and asks
// its API about it. It runs when OLLAMA_BIN names an ollama binary (`make
// interop`); Ollama is not something this repository builds.
func TestOllamaInterop(t *testing.T) {
	bin := os.Getenv("OLLAMA_BIN")
	if bin == "" {
		t.Skip("OLLAMA_BIN is not set: no real Ollama to check against (see make interop)")
	}
	root := t.TempDir()
	models := filepath.Join(root, "ollama-models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	m := hubFile(t, root, appstest.GGUF("llama", 1<<20))
	// Started first: a running Ollama sees a model made available after it.
	base := appstest.ServeOllama(t, bin, root, models)
	before := df(t, models)

	plan := shareWithOllama(t, models, m)
	after := df(t, models)
	t.Logf("df before: %d KiB used, after: %d KiB used (the GGUF is %d KiB)", before, after, m.Size/1024)

	var tags struct {
		Models []struct {
			Name    string
			Size    int64
			Details map[string]any
		}
	}
	appstest.AskOllama(t, base+"/api/tags", nil, &tags)
	t.Logf("/api/tags: %+v", tags.Models)
	if len(tags.Models) != 1 || tags.Models[0].Name != plan.Name {
		t.Fatalf("/api/tags lists %+v, want %s", tags.Models, plan.Name)
	}
	var show struct {
		Details   map[string]any
		ModelInfo map[string]any `json:"model_info"`
		Template  string
	}
	appstest.AskOllama(t, base+"/api/show", map[string]string{"model": plan.Name}, &show)
	t.Logf("/api/show: details %v, model_info %v", show.Details, show.ModelInfo)
	if show.ModelInfo["general.architecture"] != "llama" || show.Details["quantization_level"] != "Q4_K_M" {
		t.Errorf("/api/show answered %+v", show)
	}
	// Ollama matches names without regard to case, as a person may type them.
	appstest.AskOllama(t, base+"/api/show", map[string]string{"model": "hf.co/org/tiny-1b-gguf:q4_k_m"}, &show)
	blob, _ := os.Stat(filepath.Join(models, "blobs", "sha256-"+m.SHA256))
	src, _ := os.Stat(m.Path)
	if !os.SameFile(blob, src) {
		t.Error("Ollama's blob is not the same inode as the verified file")
	}
	t.Logf("inode: hub blob %s, ollama blob %s, links %d", inodeOf(src), inodeOf(blob), linksOf(src))

	removed, err := apps.NewOllama(models).Unshare(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unshare removed %v", removed)
	appstest.AskOllama(t, base+"/api/tags", nil, &tags)
	if len(tags.Models) != 0 {
		t.Errorf("after unshare /api/tags lists %+v", tags.Models)
	}
	if _, err := os.Stat(m.Path); err != nil {
		t.Errorf("unshare touched the verified file: %v", err)
	}
}

// shareWithOllama plans, checks that the plan links, and shares.
func shareWithOllama(t *testing.T, models string, m apps.Model) apps.Plan {
	t.Helper()
	plan, err := apps.NewOllama(models).Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Steps {
		t.Logf("plan: %-9s %s (%d bytes)", s.Means, s.Path, s.Size)
	}
	if plan.CopyBytes() != 0 || plan.Means() != apps.Link {
		t.Fatalf("plan copies %d bytes (%v), want a hard link", plan.CopyBytes(), plan.Means())
	}
	if err := apps.Share(plan); err != nil {
		t.Fatal(err)
	}
	return plan
}

// df is the KiB in use on dir's file system, and prints df's own line.
func df(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("df", "-k", dir).Output()
	if err == nil {
		t.Logf("df -k: %s", bytes.TrimSpace(out))
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * int64(st.Bsize) / 1024
}
