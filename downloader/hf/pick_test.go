package hf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// TestPickDefault: a name without a quantization takes what llama.cpp's
// find_best_model takes, in the listing's order.
func TestPickDefault(t *testing.T) {
	split := []string{"big/M-Q4_K_M-00001-of-00002.gguf", "big/M-Q4_K_M-00002-of-00002.gguf"}
	tests := []struct {
		name   string
		files  []string
		picked string
		want   []string
	}{
		{"q4_k_m first", []string{"README.md", "M-Q8_0.gguf", "M-Q4_K_M.gguf"}, "Q4_K_M", []string{"M-Q4_K_M.gguf"}},
		{"any case, unsloth's UD-", []string{"M-UD-q4_k_m.gguf", "M-Q8_0.gguf"}, "Q4_K_M", []string{"M-UD-q4_k_m.gguf"}},
		{"else q8_0", []string{"M-Q5_K_M.gguf", "M-Q8_0.gguf"}, "Q8_0", []string{"M-Q8_0.gguf"}},
		{"else the first model", []string{"mmproj-M-F16.gguf", "M-imatrix.gguf", "M-IQ2_XS.gguf", "M-F16.gguf"}, "IQ2_XS", []string{"M-IQ2_XS.gguf"}},
		{"every part of a split file", append([]string{"M-Q8_0.gguf"}, split...), "Q4_K_M", split},
		{"a later part is never first", []string{"x/M-F16-00002-of-00002.gguf", "x/M-F16-00001-of-00002.gguf"}, "F16",
			[]string{"x/M-F16-00002-of-00002.gguf", "x/M-F16-00001-of-00002.gguf"}},
		{"a name without a label", []string{"model.gguf"}, "model.gguf", []string{"model.gguf"}},
		{"no gguf: every file", []string{"config.json", "model.safetensors"}, "", []string{"config.json", "model.safetensors"}},
	}
	for _, tt := range tests {
		var files []File
		for _, p := range tt.files {
			files = append(files, File{Path: p})
		}
		picked, got := PickDefault(files)
		var paths []string
		for _, f := range got {
			paths = append(paths, f.Path)
		}
		if picked != tt.picked || !slices.Equal(paths, tt.want) {
			t.Errorf("%s: picked %q %q, want %q %q", tt.name, picked, paths, tt.picked, tt.want)
		}
	}
}

// TestResolvePicksAndLists: hf.co/ORG/REPO resolves to the Q4_K_M file,
// says so, and keeps the whole listing for the tree cache; a name with a
// path keeps no listing.
func TestResolvePicksAndLists(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	c := clientFor(t, h, Token{})
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Picked != "Q4_K_M" || len(p.Files) != 1 || p.Files[0].Path != "Tiny-1B-Q4_K_M.gguf" {
		t.Errorf("picked %q, files %+v", p.Picked, p.Files)
	}
	if len(p.Tree) != 9 {
		t.Errorf("tree has %d files, want the repo's 9", len(p.Tree))
	}
	one, err := c.Resolve(t.Context(), mustParse(t, "hf://org/Tiny-1B-GGUF/README.md", Options{}))
	if err != nil || one.Tree != nil || one.Picked != "" {
		t.Errorf("a file's plan: tree %v, picked %q, %v", one.Tree, one.Picked, err)
	}
}

// TestTreeCache: Prepare writes trees/<commit>.json as huggingface_hub's
// write_tree_cache does: Python's json.dump(indent=1) of the sorted
// listing, ASCII-escaped, mode 0600 from mkstemp.
func TestTreeCache(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	p := testPlan("main", hftest.CommitMain)
	p.Tree = []TreeFile{
		{Path: "z/ü 😀.gguf", Size: 5, BlobID: "b2", LFSSHA256: "s2", LFSSize: 5},
		{Path: "README.md", Size: 3, BlobID: "b1"},
	}
	if err := c.Prepare(p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.RepoDir(TypeModel, p.Repo), "trees", hftest.CommitMain+".json")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
 "format_version": 1,
 "files": {
  "README.md": {
   "size": 3,
   "blob_id": "b1"
  },
  "z/\u00fc \ud83d\ude00.gguf": {
   "size": 5,
   "blob_id": "b2",
   "lfs_sha256": "s2",
   "lfs_size": 5
  }
 }
}`
	if string(got) != want {
		t.Errorf("trees json:\n%s\nwant:\n%s", got, want)
	}
	var parsed struct {
		FormatVersion int `json:"format_version"`
		Files         map[string]struct {
			Size int64 `json:"size"`
		} `json:"files"`
	}
	if err := json.Unmarshal(got, &parsed); err != nil || parsed.FormatVersion != 1 || parsed.Files["z/ü 😀.gguf"].Size != 5 {
		t.Errorf("parsed %+v, %v", parsed, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 as mkstemp makes it", fi.Mode().Perm())
	}
	if treeJSON([]TreeFile{}) == nil || string(treeJSON([]TreeFile{})) != "{\n \"format_version\": 1,\n \"files\": {}\n}" {
		t.Errorf("empty listing: %s", treeJSON([]TreeFile{}))
	}
}
