package fetch

import (
	"cmp"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Invalid says what is wrong with a Request, so that a caller can word it
// for its own audience (a form field, a flag, a JSON field).
type Invalid string

// The kinds of RequestError.
const (
	InvalidURL    Invalid = "url"     // the URL does not parse
	InvalidScheme Invalid = "scheme"  // not http or https
	InvalidHost   Invalid = "host"    // no host name
	InvalidDigest Invalid = "sha256"  // not 64 hexadecimal digits
	InvalidSize   Invalid = "size"    // negative
	InvalidName   Invalid = "name"    // not a plain file name
	InvalidGitID  Invalid = "gitSHA1" // not 40 hexadecimal digits, or given with a SHA-256
	InvalidPath   Invalid = "dest"    // Dest, a link or the stamp is not an absolute path
)

// The kinds of OptionsError.
const (
	InvalidTotal       Invalid = "downloadTotal" // negative
	InvalidConnections Invalid = "connections"   // negative or over MaxConnections
	InvalidDir         Invalid = "dir"           // not an absolute path
)

// MaxConnections is the most connections per file a fetch may ask for.
const MaxConnections = 64

// OptionsError is a fetch's Options that cannot be, and why.
type OptionsError struct {
	Kind    Invalid
	Options Options
}

func (e *OptionsError) Error() string {
	return fmt.Sprintf("invalid %s in the options", e.Kind)
}

// Validate is the one check of a fetch's options: a total that is not
// negative, connections between 0 (automatic) and MaxConnections, an
// absolute dir. It returns nil or an *OptionsError.
func (o Options) Validate() error {
	kind := Invalid("")
	switch {
	case o.DownloadTotal < 0:
		kind = InvalidTotal
	case o.Connections < 0 || o.Connections > MaxConnections:
		kind = InvalidConnections
	case !absolute(o.Dir):
		kind = InvalidDir
	}
	if kind != "" {
		return &OptionsError{Kind: kind, Options: o}
	}
	return nil
}

// RequestError is a Request that cannot be fetched, and why.
type RequestError struct {
	Kind    Invalid
	Request Request
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("invalid %s in the request for %q", e.Kind, e.Request.URL)
}

// Validate is the one check of a request's URL, digest, size and name; it
// returns nil or a *RequestError.
func (q Request) Validate() error {
	if kind := cmp.Or(q.invalidURL(), q.invalidFields()); kind != "" {
		return &RequestError{Kind: kind, Request: q}
	}
	return nil
}

// invalidURL is what is wrong with the request's URL, or "".
func (q Request) invalidURL() Invalid {
	u, err := url.Parse(q.URL)
	switch {
	case err != nil:
		return InvalidURL
	case u.Scheme != "http" && u.Scheme != "https":
		return InvalidScheme
	case u.Hostname() == "":
		return InvalidHost
	}
	return ""
}

// invalidFields is what is wrong with the request's other fields, or "".
func (q Request) invalidFields() Invalid {
	switch {
	case q.SHA256 != "" && !sha256Hex.MatchString(q.SHA256):
		return InvalidDigest
	case q.GitSHA1 != "" && (!sha1Hex.MatchString(q.GitSHA1) || q.SHA256 != ""):
		return InvalidGitID
	case !q.absolutePaths():
		return InvalidPath
	case q.Size < 0:
		return InvalidSize
	case q.Name != "" && q.Dest == "" && SanitizeName(q.Name) != q.Name:
		return InvalidName // with a Dest, the name only labels the file
	}
	return ""
}

// absolutePaths reports whether the request's Dest, links and stamp are
// absolute paths (an empty Dest is none).
func (q Request) absolutePaths() bool {
	return absolute(q.Dest) && !slices.ContainsFunc(q.Links, func(l string) bool { return l == "" || !absolute(l) }) &&
		(q.Stamp == nil || q.Stamp.Path != "" && absolute(q.Stamp.Path)) && absolute(q.Lock)
}

// Validate refuses what no fetch can be: a bad id, no requests, a bad
// request, bad options.
func Validate(id string, requests []Request, opts Options) error {
	if !ValidID(id) {
		return ErrInvalidID
	}
	if len(requests) == 0 {
		return ErrNoRequests
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	for _, q := range requests {
		if err := q.Validate(); err != nil {
			return err
		}
	}
	return nil
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	sha1Hex   = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
)

// absolute reports whether p is empty or an absolute path.
func absolute(p string) bool { return p == "" || filepath.IsAbs(p) }

// IsSHA256 reports whether s is a SHA-256 in hex (64 hexadecimal digits).
func IsSHA256(s string) bool { return sha256Hex.MatchString(s) }

// Pasted is s as a person meant it: without the blanks, tabs and line
// ends that copying from a page or a terminal adds around it, and without
// one pair of matching quotes around the whole ("…", '…' or `…`), which a
// shell or a chat keeps. Every client reads typed and pasted text through
// it before checking it.
func Pasted(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range []string{`"`, `'`, "`"} {
		if len(s) >= 2 && strings.HasPrefix(s, q) && strings.HasSuffix(s, q) {
			return strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	return s
}

// ParseSHA256 reads a SHA-256 as people paste it: Pasted, with a
// "sha256:" or "sha256-" prefix in any case (Hugging Face, Ollama and
// OCI write digests so), upper-case digits, and blanks between groups of
// digits. It returns the 64 digits in lower case, or a *RequestError of
// kind InvalidDigest holding s as it was given, so that the sentence
// quotes what the person typed.
func ParseSHA256(s string) (string, error) {
	hexDigits := Pasted(s)
	if len(hexDigits) > len("sha256:") && strings.EqualFold(hexDigits[:len("sha256")], "sha256") &&
		strings.ContainsRune(":-", rune(hexDigits[len("sha256")])) {
		hexDigits = hexDigits[len("sha256:"):]
	}
	hexDigits = strings.ToLower(strings.Join(strings.Fields(hexDigits), ""))
	if !sha256Hex.MatchString(hexDigits) {
		return "", &RequestError{Kind: InvalidDigest, Request: Request{SHA256: s}}
	}
	return hexDigits, nil
}
