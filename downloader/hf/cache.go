package hf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// Layout says where the files of a plan go and what makes each visible
// once its verified bytes are there. The engine moves the verified bytes
// to Dest by rename (a Dest already there with its digest is not fetched
// again), then makes Links and writes the Stamp: all three are part of
// the request it journals, so a download finished after a restart is
// finished the same. Has is for showing which files are there (the
// window's "downloaded" marks).
type Layout interface {
	// Dest is where f's bytes go, as one regular file; its folder may not
	// exist yet.
	Dest(p Plan, f File) string
	// Has reports whether Dest already holds f (present at its size).
	Has(p Plan, f File) bool
	// Links are the symlinks to Dest that make f visible under its name,
	// which the engine makes once Dest holds it.
	Links(p Plan, f File) []string
	// Stamp is what the engine writes once Dest holds f, nil for nothing.
	Stamp(p Plan, f File) *fetch.Stamp
	// Lock is the lock file huggingface_hub takes around its download of
	// f into this layout; the engine takes it too (Request.Lock).
	Lock(p Plan, f File) string
	// Prepare writes what the Hub's clients write when they resolve,
	// before any file is fetched.
	Prepare(p Plan) error
}

var (
	_ Layout = Cache{}
	_ Layout = Dir{}
)

// Cache is the Hub cache, laid out as huggingface_hub writes it:
//
//	CACHEDIR.TAG
//	models--ORG--REPO/blobs/<blob id>
//	models--ORG--REPO/snapshots/<commit>/<path> -> ../../blobs/<blob id>
//	models--ORG--REPO/refs/<revision>            (the commit, no newline)
//
// Datasets live under datasets--ORG--REPO. A blob is named by the id the
// Hub lists (the LFS sha256, or the git blob id), never by a CDN's ETag,
// so that blobs are shared between revisions and repos' snapshots.
type Cache struct {
	Dir string
}

// RepoDir is huggingface_hub's repo_folder_name under the cache.
func (c Cache) RepoDir(t RepoType, repo string) string {
	return filepath.Join(c.Dir, string(t)+"s--"+strings.ReplaceAll(repo, "/", "--"))
}

// BlobPath is where the bytes of f are kept.
func (c Cache) BlobPath(p Plan, f File) string {
	return filepath.Join(c.RepoDir(p.Type, p.Repo), "blobs", f.Blob)
}

// SnapshotPath is the name tools open: a symlink to the blob.
func (c Cache) SnapshotPath(p Plan, f File) string {
	return filepath.Join(c.RepoDir(p.Type, p.Repo), "snapshots", p.Commit, filepath.FromSlash(f.Path))
}

// Dest is the blob.
func (c Cache) Dest(p Plan, f File) string { return c.BlobPath(p, f) }

// Has reports whether the blob is there at its listed size. A blob
// shared with another revision or repo of the same content counts.
func (c Cache) Has(p Plan, f File) bool { return hasFile(c.BlobPath(p, f), f.Size) }

func hasFile(path string, size int64) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == size
}

// Links is the snapshot path.
func (c Cache) Links(p Plan, f File) []string { return []string{c.SnapshotPath(p, f)} }

// Prepare does what huggingface_hub does on resolving a revision, before
// any file is fetched: it tags the cache, makes the repo's blobs and
// snapshot folders, records the revision's commit and writes the commit's
// listing to trees/<commit>.json, so that huggingface_hub, offline, sees a
// snapshot whose files are not all there yet as incomplete
// (snapshot_download raises IncompleteSnapshotError). Every folder and
// file takes its mode from the umask, as that client's do.
func (c Cache) Prepare(p Plan) error {
	if err := c.Tag(); err != nil {
		return err
	}
	repoDir := c.RepoDir(p.Type, p.Repo)
	for _, dir := range []string{filepath.Join(repoDir, "blobs"), filepath.Join(repoDir, "snapshots", p.Commit)} {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return fmt.Errorf("make cache folder: %w", err)
		}
	}
	if err := c.WriteRef(p); err != nil {
		return err
	}
	return writeTree(repoDir, p)
}

// Stamp is none: the snapshot's link is what tools look for.
func (c Cache) Stamp(Plan, File) *fetch.Stamp { return nil }

// WriteRef records that p.Revision is p.Commit in refs/<revision>, with no
// newline, as huggingface_hub's _cache_commit_hash_for_specific_revision
// does; a revision that is the commit itself has no ref.
func (c Cache) WriteRef(p Plan) error {
	if p.Revision == "" || p.Revision == p.Commit {
		return nil
	}
	if !filepath.IsLocal(filepath.FromSlash(p.Revision)) {
		return fmt.Errorf("revision %q is not a name for a ref file", p.Revision)
	}
	ref := filepath.Join(c.RepoDir(p.Type, p.Repo), "refs", filepath.FromSlash(p.Revision))
	if old, err := os.ReadFile(ref); err == nil && string(old) == p.Commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(ref), 0o777); err != nil {
		return fmt.Errorf("write ref %s: %w", p.Revision, err)
	}
	return writeUmask(ref, []byte(p.Commit))
}

// cacheDirTag marks the folder as a cache for backup tools
// (https://bford.info/cachedir/).
const cacheDirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by ModelFetch for the Hugging Face Hub cache.\n" +
	"# For information about cache directory tags, see https://bford.info/cachedir/\n"

// Tag writes CACHEDIR.TAG at the cache root unless one is there.
func (c Cache) Tag() error {
	p := filepath.Join(c.Dir, "CACHEDIR.TAG")
	if _, err := os.Lstat(p); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache tag: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o777); err != nil {
		return fmt.Errorf("cache tag: %w", err)
	}
	return writeUmask(p, []byte(cacheDirTag))
}

// ErrNotCached says the cache holds none of the files a name asks for.
var ErrNotCached = errors.New("not in the hugging face cache")

// Lookup finds the files of r in the cache without the network, as
// huggingface_hub's hf_hub_download(..., local_files_only=True) does: the
// commit is r's revision when it is one, else what refs/<revision> holds;
// the files are those of that snapshot that r wants and whose blob is
// there. The paths are the snapshot's, in order.
func (c Cache) Lookup(r Ref) (string, []string, error) {
	repoDir := c.RepoDir(r.Type, r.Repo)
	commit := r.revision()
	if !commitPattern.MatchString(commit) {
		ref, err := os.ReadFile(filepath.Join(repoDir, "refs", filepath.FromSlash(commit)))
		if err != nil {
			return "", nil, ErrNotCached
		}
		commit = strings.TrimSpace(string(ref))
	}
	snapshot := filepath.Join(repoDir, "snapshots", commit)
	var found []string
	err := filepath.WalkDir(snapshot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(snapshot, p)
		if err != nil {
			return err
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && r.Wants(filepath.ToSlash(rel)) {
			found = append(found, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(found) == 0) {
		return "", nil, ErrNotCached
	}
	if err != nil {
		return "", nil, fmt.Errorf("look in the hugging face cache: %w", err)
	}
	if r.PickQuant {
		found = pickFound(snapshot, found)
	}
	return commit, found, nil
}

// pickFound keeps of a snapshot's files those PickDefault picks, so that
// a name without a quantization finds offline what it fetches online.
func pickFound(snapshot string, found []string) []string {
	files := make([]File, len(found))
	for i, p := range found {
		rel, _ := filepath.Rel(snapshot, p)
		files[i] = File{Path: filepath.ToSlash(rel)}
	}
	_, picked := PickDefault(files)
	kept := make([]string, len(picked))
	for i, f := range picked {
		kept[i] = filepath.Join(snapshot, filepath.FromSlash(f.Path))
	}
	return kept
}

// Dir is `--dir DIR`, like `hf download --local-dir`: plain files at
// DIR/<path>, and beside them what the hf CLI keeps to know a file needs
// no new download: DIR/.cache/huggingface/download/<path>.metadata (the
// commit, the blob id and a time, one a line) and a .gitignore of "*".
type Dir struct {
	Dir string
}

// Dest is DIR/<path>.
func (d Dir) Dest(p Plan, f File) string { return filepath.Join(d.Dir, filepath.FromSlash(f.Path)) }

func (d Dir) metadataPath(f File) string {
	return filepath.Join(d.Dir, ".cache", "huggingface", "download", filepath.FromSlash(f.Path)+".metadata")
}

// Links is none: the file is at its name.
func (d Dir) Links(Plan, File) []string { return nil }

// Prepare writes what `hf download --local-dir` keeps beside the files
// before they come: DIR/.cache/huggingface/.gitignore ("*") and the
// commit's listing, trees/<commit>.json; each file's metadata is its
// Stamp, which the engine writes once the file is there.
func (d Dir) Prepare(p Plan) error {
	hfDir := filepath.Join(d.Dir, ".cache", "huggingface")
	if err := os.MkdirAll(hfDir, 0o777); err != nil {
		return fmt.Errorf("download metadata: %w", err)
	}
	if _, err := os.Stat(filepath.Join(hfDir, ".gitignore")); errors.Is(err, fs.ErrNotExist) {
		if err := writeUmask(filepath.Join(hfDir, ".gitignore"), []byte("*")); err != nil {
			return err
		}
	}
	return writeTree(hfDir, p)
}

// Has reports whether DIR/<path> is there at the listed size and its
// metadata names the same blob, as the hf CLI decides (the engine itself
// goes by the size alone).
func (d Dir) Has(p Plan, f File) bool {
	if !hasFile(d.Dest(p, f), f.Size) {
		return false
	}
	meta, err := os.ReadFile(d.metadataPath(f))
	lines := strings.Split(string(meta), "\n")
	return err == nil && len(lines) >= 2 && lines[1] == f.Blob
}

// Lock is the lock file `hf download --local-dir` takes around its
// download of f (get_local_download_paths): the metadata's path with
// .lock for .metadata.
func (d Dir) Lock(p Plan, f File) string {
	return strings.TrimSuffix(d.metadataPath(f), ".metadata") + ".lock"
}

// Stamp is the file's metadata as huggingface_hub's
// write_download_metadata writes it: the commit, the blob id, and (the
// engine adds it) the file's own modification time, which the hf CLI
// requires not to be later than the metadata's.
func (d Dir) Stamp(p Plan, f File) *fetch.Stamp {
	return &fetch.Stamp{Path: d.metadataPath(f), Text: p.Commit + "\n" + f.Blob + "\n"}
}

// writeUmask writes data to path atomically, the file made 0666 less
// the umask, as Python's open(path, "w") makes huggingface_hub's refs,
// CACHEDIR.TAG and download metadata.
func writeUmask(path string, data []byte) error {
	if err := disk.WriteFile(path, data, 0o666); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// writeTree writes p's listing to folder/trees/<commit>.json as
// huggingface_hub's write_tree_cache does (_tree_cache.py): format 1,
// files sorted by path, json.dump with indent=1 and ASCII escapes, through
// tempfile.mkstemp (so 0600) and a rename. A commit never changes, so a
// listing already there is kept. A plan without the whole repo's listing
// (a name of one file or folder) writes none: a partial listing would make
// that client take the snapshot for complete.
func writeTree(folder string, p Plan) error {
	if p.Tree == nil {
		return nil
	}
	path := filepath.Join(folder, "trees", p.Commit+".json")
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return fmt.Errorf("write tree listing: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "*.tmp")
	if err != nil {
		return fmt.Errorf("write tree listing: %w", err)
	}
	_, err = f.Write(treeJSON(p.Tree))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write tree listing: %w", err)
	}
	return nil
}

// treeJSON is Python's json.dump(data, f, indent=1) of the tree cache.
func treeJSON(tree []TreeFile) []byte {
	files := slices.Clone(tree)
	slices.SortFunc(files, func(a, b TreeFile) int { return strings.Compare(a.Path, b.Path) })
	var b strings.Builder
	b.WriteString("{\n \"format_version\": 1,\n \"files\": {")
	for i, f := range files {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  %s: {\n   \"size\": %d,\n   \"blob_id\": %s", pyString(f.Path), f.Size, pyString(f.BlobID))
		if f.LFSSHA256 != "" {
			fmt.Fprintf(&b, ",\n   \"lfs_sha256\": %s,\n   \"lfs_size\": %d", pyString(f.LFSSHA256), f.LFSSize)
		}
		b.WriteString("\n  }")
	}
	if len(files) > 0 {
		b.WriteString("\n ")
	}
	b.WriteString("}\n}")
	return []byte(b.String())
}

// pyString is a JSON string as Python's json writes it with
// ensure_ascii: every character outside ' '..'~' escaped, as \uXXXX (a
// surrogate pair above the BMP) unless it has a short escape.
func pyString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case strings.ContainsRune("\n\r\t\b\f", r):
			b.WriteString(map[rune]string{'\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`}[r])
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Lock is the lock file huggingface_hub takes around the download of f's
// blob (_hf_hub_download_to_cache_dir): .locks/<repo folder>/<blob>.lock
// under the cache, the blob named by the same id as in blobs/.
func (c Cache) Lock(p Plan, f File) string {
	return filepath.Join(c.Dir, ".locks", filepath.Base(c.RepoDir(p.Type, p.Repo)), f.Blob+".lock")
}
