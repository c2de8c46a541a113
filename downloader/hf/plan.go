package hf

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"hash"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// commitPattern is a full git commit id.
var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Digest says how a file's Blob id is computed from its bytes.
type Digest string

// The digests the Hub lists: LFS files by the sha256 of their content,
// plain git files by their git blob id (sha1 of "blob <size>\x00" and the
// content).
const (
	DigestSHA256  Digest = "sha256"
	DigestGitSHA1 Digest = "git-sha1"
)

// File is one file of a Plan.
type File struct {
	Path   string // in the repo, '/'-separated
	Size   int64
	Blob   string // lfs.oid (sha256) for LFS files, else the git blob id
	Digest Digest
	URL    string // {endpoint}/[datasets/]ORG/REPO/resolve/COMMIT/PATH
	Quant  string // the GGUF quantization, "" for other files
}

// NewHash is the hash whose hex sum must equal f.Blob once all of the
// file's bytes were written to it.
func (f File) NewHash() hash.Hash {
	if f.Digest == DigestSHA256 {
		return sha256.New()
	}
	h := sha1.New()
	h.Write([]byte("blob " + strconv.FormatInt(f.Size, 10) + "\x00")) // a hash's Write never fails
	return h
}

// SHA256 is the file's sha256 when the Hub lists one (LFS files), else "".
func (f File) SHA256() string {
	if f.Digest == DigestSHA256 {
		return f.Blob
	}
	return ""
}

// Plan is what a Hub name resolves to: the files of one commit.
type Plan struct {
	Repo     string
	Type     RepoType
	Revision string // as asked, "main" by default; refs/<Revision> records Commit
	Commit   string
	Gated    bool
	Files    []File
}

// Total is the size of all files, known before the first byte.
func (p Plan) Total() int64 {
	var n int64
	for _, f := range p.Files {
		n += f.Size
	}
	return n
}

// Title names the files of p for people: the repo's name, and the
// quantization when every file is of one ("Tiny-1B-GGUF Q4_K_M"), or the
// file's name when there is one file of none.
func (p Plan) Title(files []File) string {
	name := path.Base(p.Repo)
	if len(files) == 0 {
		return name
	}
	quant := files[0].Quant
	for _, f := range files[1:] {
		if f.Quant != quant {
			return name
		}
	}
	switch {
	case quant != "":
		return name + " " + quant
	case len(files) == 1:
		return name + " " + path.Base(files[0].Path)
	}
	return name
}

// Group is the files of one quantization; Quant "" holds the other files.
type Group struct {
	Quant string
	Files []File
	Size  int64
}

// Groups puts the plan's files in groups by quantization, in the order
// of their first file, with the other files last.
func (p Plan) Groups() []Group {
	var groups []Group
	var other Group
	for _, f := range p.Files {
		if f.Quant == "" {
			other.Files = append(other.Files, f)
			other.Size += f.Size
			continue
		}
		i := slices.IndexFunc(groups, func(g Group) bool { return g.Quant == f.Quant })
		if i < 0 {
			groups = append(groups, Group{Quant: f.Quant})
			i = len(groups) - 1
		}
		groups[i].Files = append(groups[i].Files, f)
		groups[i].Size += f.Size
	}
	if len(other.Files) > 0 {
		groups = append(groups, other)
	}
	return groups
}

// Resolve pins r's revision to a commit and lists the files r names at
// that commit with sizes and digests. Every file of the plan comes from
// that one commit, so a branch that moves during a download changes
// nothing. For a gated repo it checks at once that the token may read the
// files, so that the refusal comes before anything is queued: then it
// returns the plan (a gated repo's listing is public) and the gated
// *Error together.
func (c *Client) Resolve(ctx context.Context, r Ref) (Plan, error) {
	info, err := c.commit(ctx, r)
	if err != nil {
		return Plan{}, err
	}
	entries, err := c.entries(ctx, r, info.SHA)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Repo: r.Repo, Type: r.Type, Revision: r.revision(), Commit: info.SHA, Gated: bool(info.Gated)}
	if p.Files, err = c.pick(r, info.SHA, entries); err != nil {
		return Plan{}, err
	}
	if p.Gated {
		err = c.checkAccess(ctx, r, p.Files[0])
	}
	return p, err
}

// entries lists the files r may name: the one file or folder of r.Path
// (asked with paths-info), else the whole tree.
func (c *Client) entries(ctx context.Context, r Ref, commit string) ([]entry, error) {
	if r.Path == "" {
		return c.tree(ctx, r, commit, "")
	}
	info, err := c.pathsInfo(ctx, r, commit, r.Path)
	if err != nil {
		return nil, err
	}
	if len(info) == 0 {
		return nil, c.newError(KindFileNotFound, r, nil)
	}
	if info[0].Type == "directory" {
		return c.tree(ctx, r, commit, r.Path)
	}
	return info, nil
}

// pick keeps the files r asks for and makes them plan files.
func (c *Client) pick(r Ref, commit string, entries []entry) ([]File, error) {
	var files []File
	quants := map[string]bool{}
	for _, e := range entries {
		if e.Type != "file" {
			continue
		}
		if !filepath.IsLocal(e.Path) || strings.Contains(e.Path, `\`) || path.Clean(e.Path) != e.Path {
			return nil, c.newError(KindBadAnswer, r, errors.New("a listed path leaves the repository"))
		}
		f := c.file(r, commit, e)
		if f.Quant != "" && keep(f.Path, r.Include, r.Exclude) {
			quants[f.Quant] = true
		}
		if r.Wants(f.Path) {
			files = append(files, f)
		}
	}
	if len(files) > 0 {
		return files, nil
	}
	if r.Quant != "" {
		e := c.newError(KindQuantNotFound, r, nil)
		e.Quants = sortedKeys(quants)
		return nil, e
	}
	return nil, c.newError(KindNoMatch, r, nil)
}

// Wants reports whether the file at p of the repo is one r names: under
// its path, kept by its include and exclude patterns, of its quantization.
// The window uses it to check the files a pasted name asks for.
func (r Ref) Wants(p string) bool {
	return (r.Path == "" || p == r.Path || strings.HasPrefix(p, r.Path+"/")) &&
		keep(p, r.Include, r.Exclude) && (r.Quant == "" || matchQuant(p, r.Quant))
}

func (c *Client) file(r Ref, commit string, e entry) File {
	f := File{Path: e.Path, Size: e.Size, Blob: e.Oid, Digest: DigestGitSHA1,
		URL: c.fileURL(r.Type, r.Repo, commit, e.Path), Quant: QuantOf(e.Path)}
	if e.LFS != nil && e.LFS.Oid != "" {
		f.Blob, f.Digest, f.Size = e.LFS.Oid, DigestSHA256, e.LFS.Size
	}
	return f
}

// checkAccess asks for the first byte of a gated repo's file without
// following the redirect to its bytes: the Hub answers GatedRepo before
// any redirect when the token may not read it.
func (c *Client) checkAccess(ctx context.Context, r Ref, f File) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, f.URL, nil)
	if err != nil {
		return c.badName(r, err)
	}
	req.Header.Set("Range", "bytes=0-0")
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.newError(KindOffline, r, err)
	}
	_ = resp.Body.Close()
	return c.ResponseError(resp, r)
}
