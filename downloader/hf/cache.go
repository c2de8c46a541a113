package hf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// Layout says where the files of a plan go and what is done once a file's
// verified bytes are there. The engine moves the verified bytes to Dest by
// rename (a Dest already there at its size is not fetched again) and makes
// Links; the caller that started the fetch then calls Finish. Has is for
// showing which files are there (the window's "downloaded" marks).
type Layout interface {
	// Dest is where f's bytes go, as one regular file; its folder may not
	// exist yet.
	Dest(p Plan, f File) string
	// Has reports whether Dest already holds f (present at its size).
	Has(p Plan, f File) bool
	// Finish makes f visible under its name once Dest holds it.
	Finish(p Plan, f File) error
	// Links are the symlinks to Dest that make f visible under its name,
	// which the engine makes once Dest holds it.
	Links(p Plan, f File) []string
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

// Prepare tags the cache and records the revision's commit, as
// huggingface_hub does on resolving it.
func (c Cache) Prepare(p Plan) error {
	if err := c.Tag(); err != nil {
		return err
	}
	return c.WriteRef(p)
}

// Finish tags the cache, links the snapshot to the blob and records the
// revision's commit.
func (c Cache) Finish(p Plan, f File) error {
	if err := c.Tag(); err != nil {
		return err
	}
	if err := disk.MakeLinks(c.BlobPath(p, f), c.Links(p, f)); err != nil {
		return err
	}
	return c.WriteRef(p)
}

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
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return fmt.Errorf("write ref %s: %w", p.Revision, err)
	}
	return writeAtomic(ref, []byte(p.Commit), 0o644)
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
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("cache tag: %w", err)
	}
	return writeAtomic(p, []byte(cacheDirTag), 0o644)
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
	return commit, found, nil
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

// Prepare has nothing to write before the files: their metadata is
// written by Finish once each is there.
func (d Dir) Prepare(Plan) error { return nil }

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

// Finish writes the file's metadata as huggingface_hub's
// write_download_metadata does. Its time is the file's own modification
// time, which the hf CLI requires not to be later than it.
func (d Dir) Finish(p Plan, f File) error {
	fi, err := os.Stat(d.Dest(p, f))
	if err != nil {
		return fmt.Errorf("download metadata: %w", err)
	}
	hfDir := filepath.Join(d.Dir, ".cache", "huggingface")
	meta := d.metadataPath(f)
	if err := os.MkdirAll(filepath.Dir(meta), 0o755); err != nil {
		return fmt.Errorf("download metadata: %w", err)
	}
	if _, err := os.Stat(filepath.Join(hfDir, ".gitignore")); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(filepath.Join(hfDir, ".gitignore"), []byte("*"), 0o644); err != nil {
			return err
		}
	}
	stamp := strconv.FormatFloat(float64(fi.ModTime().UnixNano())/1e9, 'f', 6, 64)
	return writeAtomic(meta, []byte(p.Commit+"\n"+f.Blob+"\n"+stamp+"\n"), 0o644)
}
