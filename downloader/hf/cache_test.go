package hf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// put lays out f as a fetch of it does: the layout prepared (as NewFetch
// does), the blob written as the engine would once its bytes are
// verified, then finished as the engine does.
func put(t *testing.T, l Layout, p Plan, f File, data []byte) {
	t.Helper()
	if err := l.Prepare(p); err != nil {
		t.Fatal(err)
	}
	dest := l.Dest(p, f)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	finish(t, l, p, f)
}

// finish does what the engine does once f's bytes are at its Dest: its
// links and its stamp (disk.Finish).
func finish(t *testing.T, l Layout, p Plan, f File) {
	t.Helper()
	if err := disk.Finish(l.Dest(p, f), fetch.Request{Links: l.Links(p, f), Stamp: l.Stamp(p, f)}); err != nil {
		t.Fatal(err)
	}
}

func testPlan(revision, commit string, files ...File) Plan {
	return Plan{Repo: "org/Tiny-1B-GGUF", Type: TypeModel, Revision: revision, Commit: commit, Files: files}
}

func TestCacheLayout(t *testing.T) {
	root := t.TempDir()
	c := Cache{Dir: filepath.Join(root, "hub")}
	data := []byte("weights")
	top := File{Path: "model.gguf", Size: int64(len(data)), Blob: hftest.SHA256Hex(data), Digest: DigestSHA256}
	deep := File{Path: "Q4_K_M/part/model-00001-of-00002.gguf", Size: top.Size, Blob: top.Blob, Digest: DigestSHA256}
	p := testPlan("main", hftest.CommitMain, top, deep)
	if c.Has(p, top) {
		t.Fatal("Has before the blob is there")
	}
	put(t, c, p, top, data)
	finish(t, c, p, deep)

	repoDir := filepath.Join(c.Dir, "models--org--Tiny-1B-GGUF")
	if got := c.BlobPath(p, top); got != filepath.Join(repoDir, "blobs", top.Blob) {
		t.Errorf("blob path %s", got)
	}
	links := map[string]string{
		"model.gguf":                            "../../blobs/" + top.Blob,
		"Q4_K_M/part/model-00001-of-00002.gguf": "../../../../blobs/" + top.Blob,
	}
	for name, want := range links {
		got, err := os.Readlink(filepath.Join(repoDir, "snapshots", hftest.CommitMain, name))
		if err != nil || got != want {
			t.Errorf("snapshot %s -> %q (%v), want %q", name, got, err, want)
		}
		content, err := os.ReadFile(filepath.Join(repoDir, "snapshots", hftest.CommitMain, name))
		if err != nil || string(content) != "weights" {
			t.Errorf("reading through %s: %q, %v", name, content, err)
		}
	}
	ref, err := os.ReadFile(filepath.Join(repoDir, "refs", "main"))
	if err != nil || string(ref) != hftest.CommitMain {
		t.Errorf("refs/main = %q (%v), want the commit with no newline", ref, err)
	}
	if tag, err := os.ReadFile(filepath.Join(c.Dir, "CACHEDIR.TAG")); err != nil || string(tag[:43]) != "Signature: 8a477f597d28d172789f06886806bc55" {
		t.Errorf("CACHEDIR.TAG = %q (%v)", tag, err)
	}
	if !c.Has(p, top) || c.Has(p, File{Path: "x", Size: 3, Blob: top.Blob}) {
		t.Error("Has must hold for the blob at its size only")
	}
}

func TestCacheRefs(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	repoDir := c.RepoDir(TypeDataset, "org/d")
	if filepath.Base(repoDir) != "datasets--org--d" {
		t.Errorf("repo dir %s, want datasets--org--d", repoDir)
	}
	p := Plan{Repo: "org/d", Type: TypeDataset, Revision: hftest.CommitV1, Commit: hftest.CommitV1}
	if err := c.WriteRef(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "refs")); !os.IsNotExist(err) {
		t.Errorf("a commit revision wrote a ref (%v)", err)
	}
	p.Revision = "refs/pr/1"
	if err := c.WriteRef(p); err != nil {
		t.Fatal(err)
	}
	if ref, err := os.ReadFile(filepath.Join(repoDir, "refs", "refs", "pr", "1")); err != nil || string(ref) != hftest.CommitV1 {
		t.Errorf("refs/refs/pr/1 = %q (%v)", ref, err)
	}
	p.Revision = "../escape"
	if err := c.WriteRef(p); err == nil {
		t.Error("a revision leaving refs/: no error")
	}
}

// TestCacheSharedBlob: a second revision of the same content needs no
// bytes (Has), and its snapshot links to the same blob; relinking moves a
// name to a new blob atomically.
func TestCacheSharedBlob(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	data := []byte("same bytes")
	f := File{Path: "m.gguf", Size: int64(len(data)), Blob: hftest.SHA256Hex(data), Digest: DigestSHA256}
	main := testPlan("main", hftest.CommitMain, f)
	v1 := testPlan("v1", hftest.CommitV1, f)
	put(t, c, main, f, data)
	if !c.Has(v1, f) {
		t.Fatal("v1 shares main's blob: Has = false")
	}
	finish(t, c, v1, f)
	a, _ := os.Readlink(c.SnapshotPath(main, f))
	b, _ := os.Readlink(c.SnapshotPath(v1, f))
	if a != b {
		t.Errorf("snapshots link to %q and %q, want one blob", a, b)
	}
	newer := []byte("new bytes!")
	g := File{Path: f.Path, Size: int64(len(newer)), Blob: hftest.SHA256Hex(newer), Digest: DigestSHA256}
	put(t, c, main, g, newer)
	if got, err := os.ReadFile(c.SnapshotPath(main, f)); err != nil || string(got) != "new bytes!" {
		t.Errorf("relinked snapshot reads %q (%v)", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(c.SnapshotPath(main, f)))
	if len(entries) != 1 {
		t.Errorf("%d entries in the snapshot, want 1 (no temporary link left)", len(entries))
	}
}

func TestDirLayout(t *testing.T) {
	d := Dir{Dir: t.TempDir()}
	data := []byte("x")
	f := File{Path: "sub/a.gguf", Size: 1, Blob: hftest.SHA256Hex(data), Digest: DigestSHA256}
	p := testPlan("main", hftest.CommitMain, f)
	if got, want := d.Dest(p, f), filepath.Join(d.Dir, "sub", "a.gguf"); got != want {
		t.Errorf("dest %s, want %s", got, want)
	}
	if err := os.MkdirAll(filepath.Join(d.Dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.Dest(p, f), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if d.Has(p, f) {
		t.Error("Has = true for a file without the hf CLI's metadata")
	}
	if err := d.Prepare(p); err != nil {
		t.Fatal(err)
	}
	finish(t, d, p, f)
	if !d.Has(p, f) {
		t.Error("Has after Finish = false")
	}
	checkDirMetadata(t, d, p, f)
	other := f
	other.Blob = hftest.SHA256Hex([]byte("y"))
	if d.Has(p, other) {
		t.Error("Has = true for another blob of the same size")
	}
}

func TestCacheLookup(t *testing.T) {
	repo := hftest.TinyGGUF()
	h := hftest.New(t, hftest.WithRepo(repo))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{Exclude: []string{"*Q8_0*"}}))
	if err != nil {
		t.Fatal(err)
	}
	c := Cache{Dir: t.TempDir()}
	writePlan(t, c, p, repo.Commits[hftest.CommitMain])
	tests := []struct {
		name string
		want []string // snapshot paths; nil means not cached
	}{
		{"hf.co/org/Tiny-1B-GGUF:F16", []string{"Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf", "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF:Q4_K_M", []string{"Tiny-1B-Q4_K_M.gguf"}},
		{"hf://org/Tiny-1B-GGUF@" + hftest.CommitMain + "/README.md", []string{"README.md"}},
		{"hf.co/org/Tiny-1B-GGUF:Q8_0", nil},
		{"hf://org/Tiny-1B-GGUF@v1/README.md", nil},
		{"hf.co/org/Other", nil},
	}
	for _, tt := range tests {
		commit, found, err := c.Lookup(mustParse(t, tt.name, Options{}))
		if tt.want == nil {
			if !errors.Is(err, ErrNotCached) {
				t.Errorf("Lookup(%s) = %q, %v; want ErrNotCached", tt.name, found, err)
			}
			continue
		}
		var want []string
		for _, w := range tt.want {
			want = append(want, filepath.Join(c.RepoDir(TypeModel, "org/Tiny-1B-GGUF"), "snapshots", hftest.CommitMain, w))
		}
		if err != nil || commit != hftest.CommitMain || !slices.Equal(found, want) {
			t.Errorf("Lookup(%s) = %s %q, %v; want %q", tt.name, commit, found, err, want)
		}
	}
	// A snapshot whose blob was pruned by another tool is not there.
	if err := os.Remove(c.BlobPath(p, p.Files[1])); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Lookup(mustParse(t, "hf://org/Tiny-1B-GGUF/"+p.Files[1].Path, Options{})); !errors.Is(err, ErrNotCached) {
		t.Errorf("a pruned blob: %v, want ErrNotCached", err)
	}
}

// checkDirMetadata checks the hf CLI's metadata of f in d.
func checkDirMetadata(t *testing.T, d Dir, p Plan, f File) {
	t.Helper()
	meta, err := os.ReadFile(filepath.Join(d.Dir, ".cache", "huggingface", "download", "sub", "a.gguf.metadata"))
	lines := strings.Split(string(meta), "\n")
	if err != nil || len(lines) != 4 || lines[0] != hftest.CommitMain || lines[1] != f.Blob || lines[3] != "" {
		t.Fatalf("metadata %q (%v), want commit, blob id, time", meta, err)
	}
	fi, _ := os.Stat(d.Dest(p, f))
	stamp, err := strconv.ParseFloat(lines[2], 64)
	if mtime := float64(fi.ModTime().UnixNano()) / 1e9; err != nil || mtime-1 > stamp || stamp > mtime+1e-6 {
		t.Errorf("metadata time %q, want the file's mtime %f (the hf CLI ignores metadata older than the file)", lines[2], mtime)
	}
	if ignore, err := os.ReadFile(filepath.Join(d.Dir, ".cache", "huggingface", ".gitignore")); err != nil || string(ignore) != "*" {
		t.Errorf(".gitignore %q (%v)", ignore, err)
	}
}
