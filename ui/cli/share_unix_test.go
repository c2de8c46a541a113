//go:build unix

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// inode is the inode number of the file at path (links followed).
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestShareWithApps: get --for makes the verified GGUF of a Hugging Face
// name available to LM Studio as it downloads it, share adds Ollama
// later, and a get --for of the file already there adds the app too;
// each app's file is the same inode as the Hub cache's, and each is said
// with the name the app gives it.
func TestShareWithApps(t *testing.T) {
	real := &hftest.Repo{ID: "org/Real-1B-GGUF", Type: "model", Refs: map[string]string{"main": hftest.CommitMain},
		Commits: map[string][]hftest.File{hftest.CommitMain: {
			{Path: "README.md", Data: []byte("# Real\n")},
			{Path: "Real-1B-Q4_K_M.gguf", Data: appstest.GGUF("llama", 4096), LFS: true},
		}}}
	s := newHubSandbox(t, hftest.WithRepo(real))
	lmstudio, ollama := filepath.Join(s.home, ".lmstudio", "models"), filepath.Join(s.home, ".ollama", "models")
	for _, d := range []string{lmstudio, ollama} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const name = "hf.co/org/Real-1B-GGUF:Q4_K_M"
	g := s.run("get", "--for", "LM Studio", name)
	paths := g.paths(t)
	if len(paths) != 1 {
		t.Fatalf("get printed %q, want one path", paths)
	}
	ours := inode(t, paths[0])
	if got := inode(t, filepath.Join(lmstudio, "org", "Real-1B-GGUF", "Real-1B-Q4_K_M.gguf")); got != ours {
		t.Errorf("LM Studio's file is inode %d, the Hub cache's %d", got, ours)
	}
	if !strings.Contains(g.stderr.String(), "LM Studio: org/Real-1B-GGUF (the same file") {
		t.Errorf("get --for said %q, want LM Studio's name for the model", g.stderr.String())
	}

	id := fetchID(t, s)
	sh := s.run("share", id, "ollama")
	if sh.code != 0 || !strings.Contains(sh.stdout.String(), "Ollama: hf.co/org/Real-1B-GGUF:Q4_K_M (the same file") {
		t.Fatalf("share: exit %d, stdout %q, stderr %q; want Ollama's name", sh.code, sh.stdout.String(), sh.stderr.String())
	}
	checkOllamaBlob(t, ollama, ours)
	askRealOllama(t, s.home, ollama, "hf.co/org/Real-1B-GGUF:Q4_K_M")
	checkUnshare(t, s, id, ollama, paths[0])

	if err := os.RemoveAll(filepath.Join(lmstudio, "org")); err != nil {
		t.Fatal(err)
	}
	again := s.run("get", "--for", "lmstudio,ollama", name)
	again.paths(t)
	if got := inode(t, filepath.Join(lmstudio, "org", "Real-1B-GGUF", "Real-1B-Q4_K_M.gguf")); got != ours {
		t.Errorf("after a second get --for, LM Studio's file is inode %d, the Hub cache's %d", got, ours)
	}
	if n := strings.Count(again.stderr.String(), "(the same file"); n != 2 {
		t.Errorf("the second get --for said %q, want both apps", again.stderr.String())
	}
}

// checkUnshare: share --remove takes away Ollama's blobs and manifest,
// and the Hub cache's file stays; share puts them back.
func checkUnshare(t *testing.T, s *hubSandbox, id, ollama, ours string) {
	t.Helper()
	rm := s.run("share", "--remove", id, "ollama")
	if rm.code != 0 || !strings.Contains(rm.stdout.String(), "Ollama: removed") {
		t.Fatalf("share --remove: exit %d, stdout %q, stderr %q", rm.code, rm.stdout.String(), rm.stderr.String())
	}
	if blobs, _ := filepath.Glob(filepath.Join(ollama, "blobs", "sha256-*")); len(blobs) != 0 {
		t.Errorf("Ollama's blobs after share --remove: %q, want none", blobs)
	}
	if _, err := os.Stat(ours); err != nil {
		t.Errorf("the Hub cache's file after share --remove: %v", err)
	}
	if sh := s.run("share", id, "ollama"); sh.code != 0 {
		t.Fatalf("share again: exit %d, stderr %q", sh.code, sh.stderr.String())
	}
}

// checkOllamaBlob checks that Ollama's store has two blobs, the model's
// (the file of inode ours) and its config.
func checkOllamaBlob(t *testing.T, ollama string, ours uint64) {
	t.Helper()
	blobs, err := filepath.Glob(filepath.Join(ollama, "blobs", "sha256-*"))
	if err != nil || len(blobs) != 2 {
		t.Fatalf("Ollama's blobs: %q, %v; want the model's and its config's", blobs, err)
	}
	linked := 0
	for _, b := range blobs {
		if inode(t, b) == ours {
			linked++
		}
	}
	if linked != 1 {
		t.Errorf("%d of Ollama's blobs are the Hub cache's file, want 1", linked)
	}
}

// fetchID is the id of the sandbox's one fetch.
func fetchID(t *testing.T, s *hubSandbox) string {
	t.Helper()
	var snaps []fetch.Snapshot
	if err := json.Unmarshal(s.run("list", "--json").stdout.Bytes(), &snaps); err != nil || len(snaps) != 1 {
		t.Fatalf("list --json: %d fetches, %v; want one", len(snaps), err)
	}
	return snaps[0].ID
}

// askRealOllama asks a real Ollama (OLLAMA_BIN, as `make interop` sets
// it) serving the store ollama about the model name: it must answer for
// the file `get` made available to it.
func askRealOllama(t *testing.T, home, ollama, name string) {
	t.Helper()
	bin := os.Getenv("OLLAMA_BIN")
	if bin == "" {
		t.Log("OLLAMA_BIN is not set: no real Ollama asked (make interop asks one)")
		return
	}
	base := appstest.ServeOllama(t, bin, home, ollama)
	var show struct {
		Details   map[string]any
		ModelInfo map[string]any `json:"model_info"`
	}
	appstest.AskOllama(t, base+"/api/show", map[string]string{"model": name}, &show)
	t.Logf("a real Ollama's /api/show of %s: details %v, architecture %v", name, show.Details, show.ModelInfo["general.architecture"])
	if show.ModelInfo["general.architecture"] != "llama" {
		t.Errorf("/api/show of %s answered %+v", name, show)
	}
}
