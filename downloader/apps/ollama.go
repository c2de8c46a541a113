package apps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Ollama is Ollama's model store, laid out as `ollama pull
// hf.co/ORG/REPO:QUANT` leaves it (Ollama's manifest and server/images.go):
//
//	blobs/sha256-<hex>                      the GGUF, named by its SHA-256
//	blobs/sha256-<hex of the config>        the model's config (JSON)
//	manifests/hf.co/ORG/REPO/QUANT          the manifest naming both
//
// Ollama never hashes a blob again once it is named, which is why only a
// file whose SHA-256 the engine verified is ever linked there. It holds no
// lock on its store and reads manifests afresh on every /api/tags, so a
// manifest written last, atomically, is seen by a running server.
type Ollama struct{ dir string }

// NewOllama is the Ollama store at dir (OLLAMA_MODELS).
func NewOllama(dir string) Ollama { return Ollama{dir: dir} }

// OllamaDir is where Ollama keeps its models (envconfig.Models):
// OLLAMA_MODELS, else ~/.ollama/models; on Linux, the system service's
// /usr/share/ollama/.ollama/models when that is the one that exists.
func OllamaDir(e Env) string {
	if d := e.get("OLLAMA_MODELS"); d != "" {
		return d
	}
	user := e.home(".ollama", "models")
	if service := "/usr/share/ollama/.ollama/models"; e.GOOS == "linux" && !isDir(user) && isDir(service) {
		return service
	}
	return user
}

func findOllama(e Env) (App, bool) {
	d := OllamaDir(e)
	return NewOllama(d), isDir(d)
}

// Name is "Ollama".
func (o Ollama) Name() string { return "Ollama" }

// Dir is the store's folder.
func (o Ollama) Dir() string { return o.dir }

// The media types of Ollama's manifests (manifest/manifest.go,
// server/create.go).
const (
	ollamaManifestType = "application/vnd.docker.distribution.manifest.v2+json"
	ollamaConfigType   = "application/vnd.docker.container.image.v1+json"
	ollamaModelType    = "application/vnd.ollama.image.model"
)

// ollamaLayer and ollamaManifest are Ollama's manifest.Layer and
// manifest.Manifest as it writes them.
type ollamaLayer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type ollamaManifest struct {
	SchemaVersion int           `json:"schemaVersion"`
	MediaType     string        `json:"mediaType"`
	Config        ollamaLayer   `json:"config"`
	Layers        []ollamaLayer `json:"layers"`
}

// ollamaConfig is the part of Ollama's model.ConfigV2 its import of a
// GGUF fills, in its field order, so that the config blob is what
// Ollama's own `ollama create` would make for the file.
type ollamaConfig struct {
	ModelFormat   string   `json:"model_format"`
	ModelFamily   string   `json:"model_family"`
	ModelFamilies []string `json:"model_families"`
	ModelType     string   `json:"model_type"`
	FileType      string   `json:"file_type"`
	Architecture  string   `json:"architecture"`
	OS            string   `json:"os"`
}

// ollamaPart is a part of an Ollama model name (types/model/name.go): a
// letter, digit or '_' first, then those and '-', '_', '.' (no '.' in a
// namespace), at most 80.
var (
	ollamaNamespace = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$`)
	ollamaPart      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$`)
)

// ollamaTag is the tag Ollama gives the name: the quantization as asked
// for, else "latest", as `ollama pull hf.co/ORG/REPO` names it.
func ollamaTag(m Model) string {
	if m.Quant == "" {
		return "latest"
	}
	return m.Quant
}

// OllamaName is the name the model has in Ollama: hf.co/ORG/REPO:QUANT.
// Ollama matches names without regard to case, so a later `ollama run`
// of the same name in another case finds it.
func OllamaName(m Model) (string, error) {
	tag := ollamaTag(m)
	if !ollamaNamespace.MatchString(m.Org) || !ollamaPart.MatchString(m.Repo) || !ollamaPart.MatchString(tag) {
		return "", fmt.Errorf("%w: hf.co/%s/%s:%s is not an Ollama name", ErrBadName, m.Org, m.Repo, tag)
	}
	return "hf.co/" + m.Org + "/" + m.Repo + ":" + tag, nil
}

func (o Ollama) manifestPath(m Model) string {
	return filepath.Join(o.dir, "manifests", "hf.co", m.Org, m.Repo, ollamaTag(m))
}

func (o Ollama) blobPath(hexDigest string) string {
	return filepath.Join(o.dir, "blobs", "sha256-"+hexDigest)
}

// files is the config blob and the manifest Share writes for m.
func (o Ollama) files(m Model) (config, manifest []byte, err error) {
	info, err := readGGUF(m.Path)
	if err != nil {
		return nil, nil, err
	}
	config, err = encodeJSON(ollamaConfig{ModelFormat: "gguf", ModelFamily: info.Architecture,
		ModelFamilies: []string{info.Architecture}, ModelType: humanNumber(info.Parameters), FileType: m.Quant})
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(config)
	manifest, err = encodeJSON(ollamaManifest{SchemaVersion: 2, MediaType: ollamaManifestType,
		Config: ollamaLayer{MediaType: ollamaConfigType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(config))},
		Layers: []ollamaLayer{{MediaType: ollamaModelType, Digest: "sha256:" + m.SHA256, Size: m.Size}}})
	return config, manifest, err
}

// encodeJSON encodes as Ollama does (json.Encoder: a trailing newline).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b.Bytes(), nil
}

// Plan links the GGUF as its blob, and writes the config blob and then
// the manifest. A manifest of that name that already names the same GGUF
// (Ollama's own pull of it) means nothing to do; one that names another
// is reported.
func (o Ollama) Plan(m Model) (Plan, error) {
	if err := m.check(); err != nil {
		return Plan{}, err
	}
	name, err := OllamaName(m)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{App: o.Name(), Name: name, model: m}
	if o.hasModel(m) {
		blob, err := placeModel(m, o.blobPath(m.SHA256), true)
		p.Steps = append(p.Steps, blob, Step{Path: o.manifestPath(m), Means: Present})
		return p, err
	}
	config, manifest, err := o.files(m)
	if err != nil {
		return Plan{}, err
	}
	sum := sha256.Sum256(config)
	for _, place := range []func() (Step, error){
		func() (Step, error) { return placeModel(m, o.blobPath(m.SHA256), true) },
		func() (Step, error) { return placeData(o.blobPath(hex.EncodeToString(sum[:])), config) },
		func() (Step, error) { return placeData(o.manifestPath(m), manifest) },
	} {
		s, err := place()
		if err != nil {
			return Plan{}, err
		}
		p.Steps = append(p.Steps, s)
	}
	return p, nil
}

// hasModel reports whether the manifest of m's name names m's GGUF.
func (o Ollama) hasModel(m Model) bool {
	mf, err := readManifest(o.manifestPath(m))
	if err != nil {
		return false
	}
	for _, l := range mf.Layers {
		if l.MediaType == ollamaModelType && l.Digest == "sha256:"+m.SHA256 {
			return true
		}
	}
	return false
}

func readManifest(path string) (ollamaManifest, error) {
	var mf ollamaManifest
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &mf)
	}
	return mf, err
}

// Unshare removes the manifest Share wrote, recognised by its form (one
// model layer, m's GGUF, and a config, encoded as Share encodes them), and
// then each blob of it that no other manifest names, as Ollama's own
// `ollama rm` does; a model blob that is a copy is removed only when it
// holds the verified bytes. It needs no GGUF, so it works after the
// verified file is gone.
func (o Ollama) Unshare(m Model) ([]string, error) {
	if _, err := OllamaName(m); err != nil {
		return nil, err
	}
	mpath := o.manifestPath(m)
	raw, err := os.ReadFile(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", mpath, err)
	}
	mf, ok := ourManifest(m, raw)
	if !ok {
		return nil, nil
	}
	if err := removeFile(mpath); err != nil {
		return nil, err
	}
	removed := []string{mpath}
	pruneEmpty(filepath.Dir(mpath), filepath.Join(o.dir, "manifests"))
	inUse, err := o.digestsInUse()
	if err != nil {
		return removed, err
	}
	if cpath := o.blobPath(strings.TrimPrefix(mf.Config.Digest, "sha256:")); !inUse[mf.Config.Digest] {
		if err := removeFile(cpath); err != nil {
			return removed, err
		}
		removed = append(removed, cpath)
	}
	if bpath := o.blobPath(m.SHA256); !inUse["sha256:"+m.SHA256] {
		ok, err := removeOurs(m, bpath)
		if ok {
			removed = append(removed, bpath)
		}
		return removed, err
	}
	return removed, nil
}

// ourManifest reports whether raw is a manifest Share writes for m.
func ourManifest(m Model, raw []byte) (ollamaManifest, bool) {
	var mf ollamaManifest
	if json.Unmarshal(raw, &mf) != nil || mf.SchemaVersion != 2 || mf.MediaType != ollamaManifestType ||
		mf.Config.MediaType != ollamaConfigType || !sha256Digest.MatchString(mf.Config.Digest) ||
		len(mf.Layers) != 1 || mf.Layers[0] != (ollamaLayer{ollamaModelType, "sha256:" + m.SHA256, m.Size}) {
		return mf, false
	}
	again, err := encodeJSON(mf)
	return mf, err == nil && bytes.Equal(again, raw)
}

var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// digestsInUse is every digest a manifest in the store names, read as
// Ollama lists manifests (manifests/HOST/NAMESPACE/MODEL/TAG).
func (o Ollama) digestsInUse() (map[string]bool, error) {
	paths, err := filepath.Glob(filepath.Join(o.dir, "manifests", "*", "*", "*", "*"))
	if err != nil {
		return nil, fmt.Errorf("list ollama manifests: %w", err)
	}
	inUse := map[string]bool{}
	for _, p := range paths {
		mf, err := readManifest(p)
		if err != nil {
			continue // a folder, or a manifest Ollama itself cannot read
		}
		inUse[mf.Config.Digest] = true
		for _, l := range mf.Layers {
			inUse[l.Digest] = true
		}
	}
	return inUse, nil
}
