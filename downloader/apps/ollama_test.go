package apps_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
)

// Ollama's own types as its code reads them (manifest/manifest.go,
// manifest/layer.go, types/model/config.go at fb30760), so that this test
// reads what Share writes as Ollama does.
type ollamaLayer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	From      string `json:"from,omitempty"`
	Name      string `json:"name,omitempty"`
}

type ollamaManifest struct {
	SchemaVersion int           `json:"schemaVersion"`
	MediaType     string        `json:"mediaType"`
	Config        ollamaLayer   `json:"config"`
	Layers        []ollamaLayer `json:"layers"`
}

type ollamaConfigV2 struct {
	ModelFormat   string   `json:"model_format"`
	ModelFamily   string   `json:"model_family"`
	ModelFamilies []string `json:"model_families"`
	ModelType     string   `json:"model_type"`
	FileType      string   `json:"file_type"`
	Renderer      string   `json:"renderer,omitempty"`
	Parser        string   `json:"parser,omitempty"`
	Requires      string   `json:"requires,omitempty"`
	RemoteHost    string   `json:"remote_host,omitempty"`
	RemoteModel   string   `json:"remote_model,omitempty"`
	Capabilities  []string `json:"capabilities,omitempty"`
	ContextLen    int      `json:"context_length,omitempty"`
	EmbedLen      int      `json:"embedding_length,omitempty"`
	BaseName      string   `json:"base_name,omitempty"`
	Architecture  string   `json:"architecture"`
	OS            string   `json:"os"`
}

// ollamaBlobName is manifest.BlobsPath's check of a digest.
var ollamaBlobName = regexp.MustCompile(`^sha256[:-][0-9a-fA-F]{64}$`)

// ollamaPart is types/model/name.go's isValidPart for namespace, model and tag.
func ollamaPart(s string, namespace bool) bool {
	re := `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$`
	if namespace {
		re = `^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$`
	}
	return regexp.MustCompile(re).MatchString(s)
}

// TestOllamaContract: the store Share makes is what Ollama's code reads:
// a manifest at manifests/HOST/NAMESPACE/MODEL/TAG of a valid name, whose
// config and model layers are blobs named sha256-<hex> of their bytes,
// the model blob being the verified file itself.
func TestOllamaContract(t *testing.T) {
	root := t.TempDir()
	m := hubFile(t, root, appstest.GGUF("qwen3", 4096))
	store := filepath.Join(root, "models")
	p, err := apps.NewOllama(store).Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "hf.co/org/Tiny-1B-GGUF:Q4_K_M" {
		t.Errorf("name %q", p.Name)
	}
	if err := apps.Share(p); err != nil {
		t.Fatal(err)
	}

	mf := readOllamaManifest(t, store)
	checkLayers(t, store, m, mf)
	checkConfig(t, store, mf)
	blob, _ := os.Stat(filepath.Join(store, "blobs", "sha256-"+m.SHA256))
	src, _ := os.Stat(m.Path)
	if !os.SameFile(blob, src) {
		t.Error("the model blob is not a hard link to the verified file")
	}
}

// readOllamaManifest finds the one manifest as manifest.Manifests does (a
// glob of manifests/*/*/*/*, named by ParseNameFromFilepath) and reads it.
func readOllamaManifest(t *testing.T, store string) ollamaManifest {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(store, "manifests", "*", "*", "*", "*"))
	if len(found) != 1 {
		t.Fatalf("manifests %v, want one", found)
	}
	rel, _ := filepath.Rel(filepath.Join(store, "manifests"), found[0])
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) != 4 || parts[0] != "hf.co" || !ollamaPart(parts[1], true) || !ollamaPart(parts[2], false) || !ollamaPart(parts[3], false) {
		t.Fatalf("manifest at %s is not a fully qualified Ollama name", rel)
	}
	var mf ollamaManifest
	readJSON(t, found[0], &mf)
	if mf.SchemaVersion != 2 || mf.MediaType != "application/vnd.docker.distribution.manifest.v2+json" ||
		mf.Config.MediaType != "application/vnd.docker.container.image.v1+json" || len(mf.Layers) != 1 ||
		mf.Layers[0].MediaType != "application/vnd.ollama.image.model" {
		t.Fatalf("manifest %+v", mf)
	}
	return mf
}

// checkLayers: the model layer is the verified file, and every layer is a
// blob named by the sha256 of its bytes, as manifest.BlobsPath names it.
func checkLayers(t *testing.T, store string, m apps.Model, mf ollamaManifest) {
	t.Helper()
	if mf.Layers[0].Digest != "sha256:"+m.SHA256 || mf.Layers[0].Size != m.Size {
		t.Errorf("model layer %+v, want the verified file's digest and size", mf.Layers[0])
	}
	for _, l := range []ollamaLayer{mf.Config, mf.Layers[0]} {
		name := strings.ReplaceAll(l.Digest, ":", "-")
		data, err := os.ReadFile(filepath.Join(store, "blobs", name))
		sum := sha256.Sum256(data)
		if err != nil || !ollamaBlobName.MatchString(name) || "sha256:"+hex.EncodeToString(sum[:]) != l.Digest || int64(len(data)) != l.Size {
			t.Errorf("blob of layer %+v: %d bytes, %v", l, len(data), err)
		}
	}
}

// checkConfig: the config is what Ollama's import of the GGUF fills.
func checkConfig(t *testing.T, store string, mf ollamaManifest) {
	t.Helper()
	var cfg ollamaConfigV2
	readJSON(t, filepath.Join(store, "blobs", strings.ReplaceAll(mf.Config.Digest, ":", "-")), &cfg)
	if cfg.ModelFormat != "gguf" || cfg.ModelFamily != "qwen3" || cfg.ModelType != "4K" ||
		cfg.FileType != "Q4_K_M" || len(cfg.ModelFamilies) != 1 || cfg.ModelFamilies[0] != "qwen3" {
		t.Errorf("config %+v, want gguf, qwen3, 4K, Q4_K_M", cfg)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestOllamaNeverOverwrites: a manifest of the same name naming another
// model is reported and left as it was, and nothing else is written.
func TestOllamaNeverOverwrites(t *testing.T) {
	root := t.TempDir()
	m := hubFile(t, root, appstest.GGUF("llama", 64))
	store := filepath.Join(root, "models")
	mpath := filepath.Join(store, "manifests", "hf.co", "org", "Tiny-1B-GGUF", "Q4_K_M")
	other := `{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1}]}`
	writeFile(t, mpath, other)
	_, err := apps.NewOllama(store).Plan(m)
	var taken *apps.TakenError
	if !errors.As(err, &taken) || taken.Path != mpath {
		t.Fatalf("got %v, want the manifest reported as taken", err)
	}
	if got, _ := os.ReadFile(mpath); string(got) != other {
		t.Error("the other manifest was changed")
	}
	if _, err := os.Stat(filepath.Join(store, "blobs")); err == nil {
		t.Error("a refused plan wrote blobs")
	}
	if removed, err := apps.NewOllama(store).Unshare(m); err != nil || len(removed) != 0 {
		t.Errorf("unshare of a manifest not ours removed %v (%v)", removed, err)
	}
}

// TestOllamaAlreadyPulled: after Ollama's own pull of the same name (a
// manifest with more layers naming the same GGUF), there is nothing to
// do, and unshare leaves Ollama's model alone.
func TestOllamaAlreadyPulled(t *testing.T) {
	root := t.TempDir()
	m := hubFile(t, root, appstest.GGUF("llama", 64))
	store := filepath.Join(root, "models")
	pulled := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":9},` +
		`"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:` + m.SHA256 + `","size":` + itoa(m.Size) + `},` +
		`{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:` + strings.Repeat("c", 64) + `","size":3}]}`
	writeFile(t, filepath.Join(store, "manifests", "hf.co", "org", "Tiny-1B-GGUF", "Q4_K_M"), pulled)
	data, _ := os.ReadFile(m.Path)
	writeFile(t, filepath.Join(store, "blobs", "sha256-"+m.SHA256), string(data)) // Ollama's own copy
	p, err := apps.NewOllama(store).Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Means() != apps.Present || p.CopyBytes() != 0 {
		t.Errorf("plan %+v, want everything present", p.Steps)
	}
	if err := apps.Share(p); err != nil {
		t.Fatal(err)
	}
	if removed, err := apps.NewOllama(store).Unshare(m); err != nil || len(removed) != 0 {
		t.Errorf("unshare removed %v (%v) of Ollama's own pull", removed, err)
	}
}

// TestOllamaUnshareKeepsSharedBlob: a blob another manifest names stays
// when our manifest and config go.
func TestOllamaUnshareKeepsSharedBlob(t *testing.T) {
	root := t.TempDir()
	m := hubFile(t, root, appstest.GGUF("llama", 64))
	store := filepath.Join(root, "models")
	o := apps.NewOllama(store)
	p, err := o.Plan(m)
	if err == nil {
		err = apps.Share(p)
	}
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := os.ReadFile(filepath.Join(store, "manifests", "hf.co", "org", "Tiny-1B-GGUF", "Q4_K_M"))
	writeFile(t, filepath.Join(store, "manifests", "registry.ollama.ai", "library", "tiny", "latest"), string(mine))
	removed, err := o.Unshare(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 {
		t.Errorf("removed %v, want only the manifest", removed)
	}
	if _, err := os.Stat(filepath.Join(store, "blobs", "sha256-"+m.SHA256)); err != nil {
		t.Errorf("the blob another manifest names is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(store, "manifests", "hf.co")); err == nil {
		t.Error("the emptied manifest folders are left")
	}
}

// TestOllamaNames: the tag is the quantization, else latest; names that
// Ollama cannot hold are refused before anything is written.
func TestOllamaNames(t *testing.T) {
	for _, c := range []struct {
		org, repo, quant, want string
	}{
		{"bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"},
		{"org", "Tiny-1B-GGUF", "", "hf.co/org/Tiny-1B-GGUF:latest"},
		{"org.with.dots", "r", "Q8_0", ""},
		{"org", "-r", "Q8_0", ""},
	} {
		got, err := apps.OllamaName(apps.Model{Org: c.org, Repo: c.repo, Quant: c.quant})
		if got != c.want || (c.want == "") != errors.Is(err, apps.ErrBadName) {
			t.Errorf("%s/%s:%s: got %q, %v, want %q", c.org, c.repo, c.quant, got, err, c.want)
		}
	}
}
