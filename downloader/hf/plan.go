package hf

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
	// Picked is, for a name that named no quantization (hf.co/ORG/REPO),
	// what was taken for it as llama.cpp and Ollama take it: the
	// quantization ("Q4_K_M"), or the file's path when its name has none.
	// It is "" when the name said which files.
	Picked string
	// Tree is every file of the commit as the Hub lists it, when the
	// whole repo was listed; the cache keeps it as huggingface_hub does.
	Tree []TreeFile
}

// TreeFile is one file of a commit's listing, as huggingface_hub's tree
// cache records it (_tree_cache.py, TreeCacheEntry).
type TreeFile struct {
	Path      string
	Size      int64
	BlobID    string // the git blob id (of the LFS pointer, for LFS files)
	LFSSHA256 string // "" for a file not in LFS
	LFSSize   int64
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
// *Error together; any other error comes with a zero Plan.
//
// The Hub's answers are bounded by the client's Limits and Timeout, and
// checked: one listed path, digest or size that must not be used refuses
// the whole listing (KindUnsafeListing), as the endpoint that sent it
// cannot be trusted with the rest. Resolve returns soon after ctx ends,
// whatever it was reading.
func (c *Client) Resolve(ctx context.Context, r Ref) (Plan, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.limits.Time, timeUp(c.limits.Time))
	defer cancel()
	info, err := c.commit(ctx, r)
	if err != nil {
		return Plan{}, err
	}
	l := &listing{c: c, r: r, commit: info.SHA, quants: map[string]bool{}}
	if r.Path == "" {
		l.tree = []TreeFile{}
	}
	if err := c.list(ctx, l); err != nil {
		return Plan{}, err
	}
	p := Plan{Repo: r.Repo, Type: r.Type, Revision: r.revision(), Commit: info.SHA, Gated: bool(info.Gated), Tree: l.tree}
	if p.Files, err = l.picked(); err != nil {
		return Plan{}, err
	}
	if r.PickQuant {
		p.Picked, p.Files = PickDefault(p.Files)
	}
	if !p.Gated {
		return p, nil
	}
	err = c.checkAccess(ctx, r, p.Files[0])
	if k := errKind(err); err != nil && k != KindGatedLogin && k != KindGatedAccess {
		return Plan{}, err
	}
	return p, err
}

// errKind is the Kind of err's *Error, 0 for another error.
func errKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// list reads into l the entries r may name: the one file or folder of
// r.Path (asked with paths-info), else the whole tree.
func (c *Client) list(ctx context.Context, l *listing) error {
	if l.r.Path == "" {
		return c.tree(ctx, l.r, l.commit, "", l.add)
	}
	e, err := c.pathsInfo(ctx, l.r, l.commit, l.r.Path, l.check)
	if err != nil {
		return err
	}
	if e.Type == "directory" {
		return c.tree(ctx, l.r, l.commit, l.r.Path, l.add)
	}
	return l.add(e)
}

// listing gathers a listing's entries as they are read. It checks each,
// counts them against Limits.Entries, and keeps only what a plan needs:
// the files r names and, for the whole repo, the tree; so a listing costs
// what its plan holds, not what its answers held.
type listing struct {
	c      *Client
	r      Ref
	commit string
	count  int
	files  []File
	tree   []TreeFile // nil unless the whole repo is listed
	quants map[string]bool
}

// add takes one entry of the listing.
func (l *listing) add(e entry) error {
	if l.count++; l.count > l.c.limits.Entries {
		return l.c.limitError(l.r, BoundEntries, int64(l.c.limits.Entries))
	}
	if err := l.check(&e); err != nil || e.Type != "file" {
		return err
	}
	f := l.c.file(l.r, l.commit, e)
	if f.Quant != "" && keep(f.Path, l.r.Include, l.r.Exclude) {
		l.quants[f.Quant] = true
	}
	if l.r.Wants(f.Path) {
		l.files = append(l.files, f)
	}
	if l.tree != nil {
		l.tree = append(l.tree, treeFile(e))
	}
	return nil
}

// check refuses the whole listing for an entry a compromised Hub could
// turn against the machine, and lower-cases its digests, which name the
// blob files (the Hub and every client name them in lower case).
func (l *listing) check(e *entry) error {
	if why := pathFault(e.Path); why != "" {
		return l.c.unsafe(l.r, e.Path, why)
	}
	if e.Type != "file" {
		return nil
	}
	e.Oid = strings.ToLower(e.Oid)
	why := digestFault(e.Oid, 40, "a git blob id")
	if why == "" {
		why = sizeFault(e.Size)
	}
	if e.LFS != nil && why == "" {
		e.LFS.Oid = strings.ToLower(e.LFS.Oid)
		if why = digestFault(e.LFS.Oid, 64, "a SHA-256"); why == "" {
			why = sizeFault(e.LFS.Size)
		}
	}
	if why != "" {
		return l.c.unsafe(l.r, e.Path, why)
	}
	return nil
}

// picked is the files r asked for, or the *Error that none is.
func (l *listing) picked() ([]File, error) {
	if len(l.files) > 0 {
		return l.files, nil
	}
	if l.r.Quant != "" {
		e := l.c.newError(KindQuantNotFound, l.r, nil)
		e.Quants = sortedKeys(l.quants)
		return nil, e
	}
	return nil, l.c.newError(KindNoMatch, l.r, nil)
}

// The bounds of a listed path: Linux's PATH_MAX, and the longest name of
// one file or folder on the file systems in use (NAME_MAX).
const (
	maxPathBytes = 4096
	maxPartBytes = 255
)

// pathFault says what makes p other than a plain relative path of
// printable characters, in words that follow "which" in a sentence; "" for
// a plain one. A listed path becomes a file's name under a snapshot or a
// --dir folder, on Linux or Windows, and a line of the CLI's output that
// a script may read: it must stay in its folder everywhere, and print as
// itself.
func pathFault(p string) string {
	for _, fault := range []func(string) string{formFault, charFault, partFault} {
		if why := fault(p); why != "" {
			return why
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(p)) { // Windows' device names and colons
		return "is not a file name this system allows"
	}
	return ""
}

// formFault is pathFault's word on p as a whole.
func formFault(p string) string {
	switch {
	case p == "":
		return "is empty"
	case len(p) > maxPathBytes:
		return "is longer than 4,096 bytes"
	case strings.HasPrefix(p, "/"):
		return "is an absolute path"
	case strings.Contains(p, `\`):
		return "has a backslash, which Windows reads as a folder"
	case len(p) >= 2 && p[1] == ':' && 'a' <= p[0]|0x20 && p[0]|0x20 <= 'z':
		return "names a drive"
	}
	return ""
}

// charFault is pathFault's word on p's characters.
func charFault(p string) string {
	for _, r := range p {
		if unicode.IsControl(r) {
			return "has a control character in it"
		}
		if !unicode.IsPrint(r) {
			return "has a character in it that does not print"
		}
	}
	return ""
}

// partFault is pathFault's word on p's parts between slashes.
func partFault(p string) string {
	for part := range strings.SplitSeq(p, "/") {
		switch {
		case part == "":
			return "has an empty part"
		case part == "..":
			return `leaves its folder through ".."`
		case part == ".":
			return `has a "." part`
		case len(part) > maxPartBytes:
			return "has a part longer than 255 bytes"
		}
	}
	return ""
}

// digestFault says what makes d other than n lower-case hex digits.
func digestFault(d string, n int, what string) string {
	if len(d) != n || strings.Trim(d, "0123456789abcdef") != "" {
		return fmt.Sprintf("has %s that is not %d hexadecimal digits", what, n)
	}
	return ""
}

// maxFileSize bounds a listed size: more than the Hub keeps in one file,
// and small enough that the sizes of a whole listing add up without
// overflow.
const maxFileSize = 4 << 40

// sizeFault says what makes a listed size out of range.
func sizeFault(n int64) string {
	switch {
	case n < 0:
		return "has a negative size"
	case n > maxFileSize:
		return "has a size over 4 TiB, more than the Hub keeps in one file"
	}
	return ""
}

// Wants reports whether the file at p of the repo is one r names: under
// its path, kept by its include and exclude patterns, of its quantization.
// The window uses it to check the files a pasted name asks for.
func (r Ref) Wants(p string) bool {
	return (r.Path == "" || p == r.Path || strings.HasPrefix(p, r.Path+"/")) &&
		keep(p, r.Include, r.Exclude) && (r.Quant == "" || matchQuant(p, r.Quant))
}

// treeFile is a listed file as the tree cache records it.
func treeFile(e entry) TreeFile {
	t := TreeFile{Path: e.Path, Size: e.Size, BlobID: e.Oid}
	if e.LFS != nil {
		t.LFSSHA256, t.LFSSize = e.LFS.Oid, e.LFS.Size
	}
	return t
}

// The default pick of llama.cpp's -hf ORG/REPO (common/download.cpp,
// find_best_model), which the Hub's answer to `ollama pull hf.co/ORG/REPO`
// follows too: the first model file, in the listing's order, whose path
// has Q4_K_M, else Q8_0, followed by '.' or '-' (in any case), else the
// first model file at all; with every part of a split file.
var defaultQuants = []string{"Q4_K_M", "Q8_0"}

// PickDefault picks among files what llama.cpp picks for a name without a
// quantization, and says what it picked (see Plan.Picked). Files with no
// model GGUF among them are all kept, and nothing is said.
func PickDefault(files []File) (string, []File) {
	first := slices.IndexFunc(files, func(f File) bool { return isModelGGUF(f.Path) && splitPart(f.Path) <= 1 })
	if first < 0 {
		return "", files
	}
	picked := first
	for _, q := range defaultQuants {
		re := regexp.MustCompile(`(?i)` + q + `[.-]`)
		if i := slices.IndexFunc(files, func(f File) bool {
			return isModelGGUF(f.Path) && splitPart(f.Path) <= 1 && re.MatchString(f.Path)
		}); i >= 0 {
			picked = i
			break
		}
	}
	primary := files[picked]
	chosen := []File{primary}
	if prefix := splitPrefix(primary.Path); prefix != "" {
		chosen = slices.DeleteFunc(slices.Clone(files), func(f File) bool { return splitPrefix(f.Path) != prefix })
	}
	for _, q := range defaultQuants {
		if regexp.MustCompile(`(?i)` + q + `[.-]`).MatchString(primary.Path) {
			return q, chosen
		}
	}
	if q := QuantOf(primary.Path); q != "" {
		return q, chosen
	}
	return primary.Path, chosen
}

// isModelGGUF is llama.cpp's gguf_filename_is_model: a .gguf file that is
// not a projector, an importance matrix or a draft model.
func isModelGGUF(p string) bool {
	base := path.Base(p)
	if !strings.HasSuffix(p, ".gguf") {
		return false
	}
	for _, not := range []string{"mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"} {
		if strings.Contains(base, not) {
			return false
		}
	}
	return true
}

// splitPartRe is a split GGUF's part number and count: -00001-of-00003.gguf.
var splitPartRe = regexp.MustCompile(`(?i)^(.+)-([0-9]{5})-of-([0-9]{5})\.gguf$`)

// splitPart is a split file's part number, 0 for a file not split.
func splitPart(p string) int {
	m := splitPartRe.FindStringSubmatch(p)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// splitPrefix is what every part of a split file shares (its path before
// the part number, and the count), "" for a file not split.
func splitPrefix(p string) string {
	m := splitPartRe.FindStringSubmatch(p)
	if m == nil {
		return ""
	}
	return m[1] + "/" + m[3]
}

func (c *Client) file(r Ref, commit string, e entry) File {
	f := File{Path: e.Path, Size: e.Size, Blob: e.Oid, Digest: DigestGitSHA1,
		URL: c.fileURL(r.Type, r.Repo, commit, e.Path), Quant: QuantOf(e.Path)}
	if e.LFS != nil {
		f.Blob, f.Digest, f.Size = e.LFS.Oid, DigestSHA256, e.LFS.Size
	}
	return f
}

// checkAccess asks for the first byte of a gated repo's file without
// following the redirect to its bytes: the Hub answers GatedRepo before
// any redirect when the token may not read it.
func (c *Client) checkAccess(ctx context.Context, r Ref, f File) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, timeUp(c.timeout))
	defer cancel()
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
			return c.ended(ctx, r)
		}
		return c.newError(KindOffline, r, err)
	}
	_ = resp.Body.Close()
	return c.ResponseError(resp, r)
}
