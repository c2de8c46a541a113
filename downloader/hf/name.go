package hf

import (
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// RepoType is the kind of Hub repository.
type RepoType string

// The repository types ModelFetch downloads from.
const (
	TypeModel   RepoType = "model"
	TypeDataset RepoType = "dataset"
)

// urlPrefix is what comes before ORG/REPO in the Hub's file URLs and pages.
func (t RepoType) urlPrefix() string {
	if t == TypeDataset {
		return "datasets/"
	}
	return ""
}

// Ref is a parsed Hub name: which repo, at which revision, and which of its
// files. Empty Path, Quant, Include and Exclude mean every file.
type Ref struct {
	Repo     string // ORG/REPO
	Type     RepoType
	Revision string // a branch, tag or commit; "" means main
	Path     string // one file or folder of the repo
	Quant    string // a GGUF quantization such as Q4_K_M, upper case
	Include  []string
	Exclude  []string
	// PickQuant: the name is hf.co/ORG/REPO with no quantization, which
	// llama.cpp and Ollama take as one quantization they pick (see
	// PickDefault), not as every file. ":*" or an include pattern asks
	// for the files themselves.
	PickQuant bool
}

// revision is the revision to ask the Hub for.
func (r Ref) revision() string {
	if r.Revision == "" {
		return "main"
	}
	return r.Revision
}

// Options are what a person gives besides the name, as `hf download`'s
// --revision, --include and --exclude. Endpoint is the Hub in use, so that
// addresses of a mirror set by HF_ENDPOINT are recognised too.
type Options struct {
	Endpoint string
	Revision string
	Include  []string
	Exclude  []string
}

// hubHosts are the Hub's own host names; the endpoint's host is added.
var hubHosts = []string{"huggingface.co", "www.huggingface.co", "hf.co"}

// Parse reads a Hub name: hf.co/ORG/REPO[:QUANT], ORG/REPO[:QUANT],
// hf://[datasets/]ORG/REPO[@REVISION][/PATH] or a Hub address pasted from
// a browser (the repo page, …/blob/REV/PATH, …/resolve/REV/PATH,
// …/tree/REV/DIR). Something that is not a Hub name returns ErrNotHub; a
// Hub name that cannot be read returns an *Error of KindBadName.
func Parse(name string, o Options) (Ref, error) {
	s := strings.TrimSpace(name)
	var r Ref
	var why string
	switch {
	case strings.HasPrefix(s, "hf://"):
		r, why = parseHFURL(s[len("hf://"):])
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil || !isHubHost(u, o.Endpoint) {
			return Ref{}, ErrNotHub
		}
		r, why = parseAddress(u)
	default:
		short, ok := trimHost(s)
		switch {
		case ok && strings.Count(short, "/") > 1: // an address pasted without https://
			r, why = parseAddress(&url.URL{Path: short})
		case ok || repoIDPattern.MatchString(strings.SplitN(s, ":", 2)[0]):
			r, why = parseShort(short)
		default:
			return Ref{}, ErrNotHub
		}
	}
	if why == "" {
		why = r.apply(o)
	}
	if why != "" {
		return Ref{}, &Error{Kind: KindBadName, Path: s, Message: why}
	}
	return r, nil
}

// trimHost removes hf.co/ or huggingface.co/ from a name without a scheme.
func trimHost(s string) (string, bool) {
	for _, h := range hubHosts {
		if rest, ok := strings.CutPrefix(s, h+"/"); ok {
			return rest, true
		}
	}
	return s, false
}

func isHubHost(u *url.URL, endpoint string) bool {
	if u.Scheme != "https" && u.Scheme != "http" {
		return false
	}
	host := strings.ToLower(u.Host)
	if slices.Contains(hubHosts, host) {
		return true
	}
	e, err := url.Parse(endpoint)
	return err == nil && endpoint != "" && strings.EqualFold(e.Host, u.Host)
}

// repoIDPattern is huggingface_hub's repo id: ORG/REPO of letters, digits,
// '-', '_' and '.', not starting or ending with '-' or '.'.
var repoIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]([\w.-]*[A-Za-z0-9_])?/[A-Za-z0-9_]([\w.-]*[A-Za-z0-9_])?$`)

func checkRepoID(id string) string {
	if !repoIDPattern.MatchString(id) || strings.Contains(id, "--") || strings.Contains(id, "..") || len(id) > 96 {
		return "a repository is ORG/REPO, in letters, digits, '-', '_' and '.'"
	}
	return ""
}

var quantPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// parseShort reads ORG/REPO[:QUANT], the form of ollama and llama.cpp -hf:
// without a quantization it is the one they pick, and ":*" is every file.
func parseShort(s string) (Ref, string) {
	id, quant, hasQuant := strings.Cut(s, ":")
	if why := checkRepoID(id); why != "" {
		return Ref{}, why
	}
	if hasQuant && quant == "*" {
		return Ref{Repo: id, Type: TypeModel}, ""
	}
	if hasQuant && !quantPattern.MatchString(quant) {
		return Ref{}, "a quantization after ':' is a name such as Q4_K_M, or * for every file"
	}
	return Ref{Repo: id, Type: TypeModel, Quant: strings.ToUpper(quant), PickQuant: !hasQuant}, ""
}

// parseHFURL reads [datasets/]ORG/REPO[@REVISION][/PATH], huggingface_hub's
// HfFileSystem form. A revision with '/' in it is written %2F-escaped.
func parseHFURL(s string) (Ref, string) {
	r := Ref{Type: TypeModel}
	if rest, ok := strings.CutPrefix(s, "datasets/"); ok {
		r.Type, s = TypeDataset, rest
	}
	org, rest, _ := strings.Cut(s, "/")
	repo, rest, _ := strings.Cut(rest, "/")
	repo, rev, hasRev := strings.Cut(repo, "@")
	r.Repo = org + "/" + repo
	if why := checkRepoID(r.Repo); why != "" {
		return Ref{}, why
	}
	if hasRev {
		var err error
		if r.Revision, err = url.PathUnescape(rev); err != nil || r.Revision == "" {
			return Ref{}, "the revision after '@' is a branch, tag or commit"
		}
	}
	return r, r.setPath(rest)
}

// parseAddress reads a huggingface.co address: the repo's page, or a file
// or folder of it (blob, resolve, tree).
func parseAddress(u *url.URL) (Ref, string) {
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for i, s := range segs {
		segs[i], _ = url.PathUnescape(s)
	}
	r := Ref{Type: TypeModel}
	if segs[0] == "datasets" {
		r.Type, segs = TypeDataset, segs[1:]
	}
	if len(segs) < 2 {
		return Ref{}, "the address is not a model's or dataset's page"
	}
	r.Repo = segs[0] + "/" + segs[1]
	if why := checkRepoID(r.Repo); why != "" {
		return Ref{}, why
	}
	if len(segs) == 2 {
		return r, ""
	}
	if !slices.Contains([]string{"blob", "resolve", "tree"}, segs[2]) || len(segs) < 4 {
		return Ref{}, "the address is not a repository, file or folder page"
	}
	r.Revision = segs[3]
	if segs[2] != "tree" && len(segs) < 5 {
		return Ref{}, "the address names no file"
	}
	return r, r.setPath(strings.Join(segs[4:], "/"))
}

// setPath keeps p as the file or folder asked for, or as an include
// pattern when it has glob characters (hf://ORG/REPO/*.gguf).
func (r *Ref) setPath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	if path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." {
		return "a path in a repository has no '.' or '..' parts"
	}
	if strings.ContainsAny(p, "*?[") {
		r.Include = append(r.Include, p)
		return ""
	}
	r.Path = p
	return ""
}

// apply adds the options to the name; a revision in both must agree.
func (r *Ref) apply(o Options) string {
	if o.Revision != "" {
		if r.Revision != "" && r.Revision != o.Revision {
			return "the name says revision " + r.Revision + " and the option says " + o.Revision
		}
		r.Revision = o.Revision
	}
	r.Include = append(r.Include, o.Include...)
	r.Exclude = append(r.Exclude, o.Exclude...)
	if len(r.Include) > 0 {
		r.PickQuant = false // the patterns say which files
	}
	return ""
}

// String is the name in hf:// form, with the quantization if one was
// asked for.
func (r Ref) String() string {
	s := "hf://" + r.Type.urlPrefix() + r.Repo
	if r.Revision != "" {
		s += "@" + url.PathEscape(r.Revision)
	}
	if r.Path != "" {
		s += "/" + r.Path
	}
	if r.Quant != "" {
		s += ":" + r.Quant
	}
	return s
}
