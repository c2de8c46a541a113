package hf

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Token is a Hugging Face access token and where it came from. Its value
// is unexported and its String names only the source, so that printing a
// Token, or a struct that holds one, never shows the secret.
type Token struct {
	value string
	// From is "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" or the token file's
	// path: what a sentence tells a person to fix.
	From string
}

// NewToken is a token typed by a person, or read by a caller, from from.
func NewToken(value, from string) Token {
	return Token{value: cleanToken(value), From: from}
}

// cleanToken is huggingface_hub's _clean_token: no surrounding space and
// no line breaks.
func cleanToken(v string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(v, "\r", ""), "\n", ""))
}

// Set reports whether there is a token.
func (t Token) Set() bool { return t.value != "" }

// String says where the token came from, never what it is.
func (t Token) String() string {
	if !t.Set() {
		return "no token"
	}
	return "token from " + t.From
}

// GoString keeps %#v from printing the secret.
func (t Token) GoString() string { return t.String() }

// LoadToken finds the token where the hf CLI does: HF_TOKEN, then
// HUGGING_FACE_HUB_TOKEN, then the file at TokenPath. No token anywhere is
// a zero Token and no error; a token file that cannot be read is an error
// that names it.
func LoadToken(g Getenv) (Token, error) {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if v := g.env(k); v != "" {
			return NewToken(v, k), nil
		}
	}
	p := g.TokenPath()
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Token{}, nil
	}
	if err != nil {
		return Token{}, fmt.Errorf("read the hugging face token file: %w", err)
	}
	t := NewToken(string(data), p)
	if !t.Set() {
		return Token{}, nil
	}
	return t, nil
}

// SaveToken writes the token file `hf auth login` writes, readable by its
// owner only, atomically. An empty value removes the file.
func SaveToken(path, value string) error {
	value = cleanToken(value)
	if value == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove the token file: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("make the token folder: %w", err)
	}
	return writeAtomic(path, []byte(value), 0o600)
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so that a reader sees the old or the new content.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// transport adds the token to requests for the Hub's own origin only.
type transport struct {
	base   http.RoundTripper
	origin string
	token  Token
}

// NewTransport wraps base so that requests whose scheme, host and port are
// the endpoint's carry "Authorization: Bearer <token>", and every other
// request carries no Authorization at all. Go's client keeps the headers
// of a request on a redirect to the same host at another port or to a
// subdomain, and a CDN must never see the token; adding it here, per
// request, is what makes a redirect lose it. A nil base is
// http.DefaultTransport.
func NewTransport(base http.RoundTripper, endpoint string, t Token) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return base
	}
	return &transport{base: base, origin: origin(u), token: t}
}

// origin is scheme://host:port in lower case with the port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme + "://" + u.Hostname() + ":" + port)
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ours := t.token.Set() && origin(req.URL) == t.origin
	if !ours && req.Header.Get("Authorization") == "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	if ours {
		r.Header.Set("Authorization", "Bearer "+t.token.value)
	} else {
		r.Header.Del("Authorization")
	}
	return t.base.RoundTrip(r)
}
