package hf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// put writes a blob as the engine would once its bytes are verified.
func put(t *testing.T, l Layout, p Plan, f File, data []byte) {
	t.Helper()
	dest := l.Dest(p, f)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(p, f); err != nil {
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
	if err := c.Finish(p, deep); err != nil {
		t.Fatal(err)
	}

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
	if err := c.Finish(v1, f); err != nil {
		t.Fatal(err)
	}
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
	put(t, d, p, f, data)
	if !d.Has(p, f) {
		t.Error("Has after the file is there = false")
	}
	if entries, _ := os.ReadDir(d.Dir); len(entries) != 1 {
		t.Errorf("%d entries in DIR, want only sub/", len(entries))
	}
}
