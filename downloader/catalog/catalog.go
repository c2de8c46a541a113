// Package catalog is the models a person can download by id: the built-in
// catalog with the user's laid over it. A model names its files by URL or
// a Hugging Face repo; the engine never reads the catalog, its clients do.
package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Model is one catalog entry: a model a person can download by id.
type Model struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Icon        string      `json:"icon,omitempty"`
	Files       []ModelFile `json:"files,omitempty"`
	// HF names a Hugging Face repo (ORG/REPO) instead of Files: its files
	// are those of Quant (a GGUF quantization such as Q4_K_M) and Include
	// (globs as the hf CLI's --include), or all of them, resolved when
	// the model is fetched.
	HF      string   `json:"hf,omitempty"`
	Quant   string   `json:"quant,omitempty"`
	Include []string `json:"include,omitempty"`
}

// HubName is the Hugging Face name of a model with HF, such as
// hf.co/ORG/REPO:Q4_K_M, or "".
func (m Model) HubName() string {
	if m.HF == "" {
		return ""
	}
	if m.Quant != "" {
		return "hf.co/" + m.HF + ":" + m.Quant
	}
	return "hf.co/" + m.HF
}

// hubRepo is a Hub repo id: ORG/REPO of letters, digits, '-', '_' and '.'.
var hubRepo = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ModelFile is one file of a catalog model.
type ModelFile struct {
	URL    string `json:"url"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Requests turns the model's files into fetch requests.
func (m Model) Requests() []fetch.Request {
	reqs := make([]fetch.Request, len(m.Files))
	for i, f := range m.Files {
		reqs[i] = fetch.Request{URL: f.URL, Name: f.Name, Size: f.Size, SHA256: f.SHA256}
	}
	return reqs
}

// Size is the sum of the file sizes, or -1 when one is not known.
func (m Model) Size() int64 {
	var n int64
	for _, f := range m.Files {
		if f.Size <= 0 {
			return -1
		}
		n += f.Size
	}
	return n
}

// Parse reads a catalog: a JSON array of models. Every entry is
// checked, so that a mistake is reported with the entry it is in.
func Parse(data []byte) ([]Model, error) {
	var models []Model
	if err := json.Unmarshal(data, &models); err != nil {
		return nil, fmt.Errorf("the catalog is not a JSON array of models: %w", err)
	}
	for i, m := range models {
		if !fetch.ValidID(m.ID) {
			return nil, fmt.Errorf("catalog entry %d: %w", i+1, fetch.ErrInvalidID)
		}
		if err := checkSource(m); err != nil {
			return nil, fmt.Errorf("catalog entry %q: %w", m.ID, err)
		}
		for _, f := range m.Files {
			if err := (fetch.Request{URL: f.URL, SHA256: f.SHA256, Size: f.Size}).Validate(); err != nil {
				return nil, fmt.Errorf("catalog entry %q: %w", m.ID, err)
			}
		}
		if m.Title == "" {
			models[i].Title = m.ID
		}
	}
	return models, nil
}

// checkSource checks that m names its files one way: URLs, or a Hub repo.
func checkSource(m Model) error {
	switch {
	case m.HF != "" && len(m.Files) > 0:
		return errors.New(`it has both "files" and "hf"; give one`)
	case m.HF != "" && !hubRepo.MatchString(m.HF):
		return fmt.Errorf(`"hf" %q is not a Hugging Face repo id such as ORG/REPO`, m.HF)
	case m.HF == "" && (m.Quant != "" || len(m.Include) > 0):
		return errors.New(`"quant" and "include" go with "hf"`)
	case m.HF == "" && len(m.Files) == 0:
		return errors.New("it has no files")
	}
	return nil
}

// Load is the built-in catalog with the user's catalog at userPath
// laid over it: a user entry replaces the built-in one with its id and
// new ones follow. A missing user file is no error; a broken one returns
// the built-in catalog and an error that names the file.
func Load(builtin []byte, userPath string) ([]Model, error) {
	models, err := Parse(builtin)
	if err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	data, err := os.ReadFile(userPath)
	if errors.Is(err, fs.ErrNotExist) {
		return models, nil
	}
	if err != nil {
		return models, fmt.Errorf("read %s: %w", userPath, err)
	}
	user, err := Parse(data)
	if err != nil {
		return models, fmt.Errorf("%s: %w", userPath, err)
	}
	for _, u := range user {
		if i := slices.IndexFunc(models, func(m Model) bool { return m.ID == u.ID }); i >= 0 {
			models[i] = u
		} else {
			models = append(models, u)
		}
	}
	return models, nil
}

// Find returns the model with id.
func Find(models []Model, id string) (Model, bool) {
	i := slices.IndexFunc(models, func(m Model) bool { return m.ID == id })
	if i < 0 {
		return Model{}, false
	}
	return models[i], true
}
