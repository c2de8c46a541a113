package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	builtin := []byte(`[{"id": "gemma-2b", "title": "Gemma 2B", "files": [{"url": "https://example.org/g.bin"}]},
		{"id": "other", "title": "Other", "files": [{"url": "https://example.org/o.bin", "size": 10}]}]`)
	dir := t.TempDir()
	user := filepath.Join(dir, "catalog.json")
	os.WriteFile(user, []byte(`[{"id": "gemma-2b", "title": "Local Gemma", "files": [{"url": "http://127.0.0.1:1/g.bin"}]},
		{"id": "new", "files": [{"url": "https://example.org/n.bin"}]}]`), 0o600)
	models, err := Load(builtin, user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range models {
		ids = append(ids, m.ID+"="+m.Title)
	}
	if got, want := strings.Join(ids, ","), "gemma-2b=Local Gemma,other=Other,new=new"; got != want {
		t.Errorf("catalog %s, want %s", got, want)
	}
	if n := models[1].Size(); n != 10 {
		t.Errorf("size %d, want 10", n)
	}
	os.WriteFile(user, []byte(`[{"id": "x", "files": [{"url": "file:///etc/passwd"}]}]`), 0o600)
	models, err = Load(builtin, user)
	if err == nil || !strings.Contains(err.Error(), user) || len(models) != 2 {
		t.Errorf("broken user catalog: %d models, err %v; want the built-in two and an error naming the file", len(models), err)
	}
	if _, err := Load(builtin, filepath.Join(dir, "missing.json")); err != nil {
		t.Errorf("a missing user catalog is an error: %v", err)
	}
}

// Catalog entries may name a Hugging Face repo instead of URLs, and are
// refused when they name both or neither well.
func TestCatalogHubEntries(t *testing.T) {
	models, err := Parse([]byte(`[{"id": "qwen", "hf": "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "quant": "Q4_K_M"},
		{"id": "whisper", "hf": "ggerganov/whisper.cpp", "include": ["ggml-base.en.bin"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := models[0].HubName(); got != "hf.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M" {
		t.Errorf("HubName %q", got)
	}
	if got := models[1].HubName(); got != "hf.co/ggerganov/whisper.cpp" || models[1].Include[0] != "ggml-base.en.bin" {
		t.Errorf("HubName %q include %q", got, models[1].Include)
	}
	for _, bad := range []string{
		`[{"id": "x", "hf": "org/repo", "files": [{"url": "https://example.org/x"}]}]`,
		`[{"id": "x", "hf": "not a repo"}]`,
		`[{"id": "x", "hf": "../etc"}]`,
		`[{"id": "x", "quant": "Q4_K_M", "files": [{"url": "https://example.org/x"}]}]`,
		`[{"id": "x"}]`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
