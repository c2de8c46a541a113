package ui

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// mistake is what is wrong with what a person typed in one of the
// window's forms, and how to write it instead. It words itself (it is a
// words.Sayer), so the one wording function, words.Sentence, which every
// form's message goes through, says it as it is here: precise to the
// field, where the engine's words are general.
type mistake struct {
	kind  mistakeKind
	value string // what was typed, trimmed, as far as the sentence quotes it
}

// mistakeKind is which mistake, and so which sentence.
type mistakeKind int

const (
	noAddress       mistakeKind = iota + 1 // Add URL left empty
	addressScheme                          // ftp://, file://, mailto:
	addressNoScheme                        // example.org/model.gguf
	addressNoHost                          // https:///model.gguf
	addressNotURL                          // a word, or something that does not parse
	addressSpace                           // a space in the server name
	oneFileOnly                            // a title or digest for several addresses
	digestLength                           // not 64 hexadecimal digits
	digestLetter                           // a character that is not a hexadecimal digit
	digestSHA1                             // 40 digits: a git blob id or SHA-1
	noDigest                               // Edit checksum left empty
	folderRelative                         // a download folder that is not a full path
	folderIsFile                           // a download folder that is a file
	limitNotSize                           // a bandwidth limit that is not a size
	limitNoUnit                            // a bandwidth limit without a unit
	limitTooLow                            // a bandwidth limit below a kilobyte a second
	tokenSpace                             // a token with a space inside
)

// example is how an address is written, in every sentence that shows one.
const example = "https://example.org/model.gguf"

func (m *mistake) Error() string { return fmt.Sprintf("invalid input (mistake %d)", m.kind) }

// Sentence says what is wrong with what was typed, and how to write it.
func (m *mistake) Sentence() string {
	if s := m.addressSentence(); s != "" {
		return s
	}
	if s := m.digestSentence(); s != "" {
		return s
	}
	return m.settingSentence()
}

func (m *mistake) addressSentence() string {
	v := m.value
	switch m.kind {
	case noAddress:
		return "Enter the address of the file to download, such as " + example + "."
	case addressScheme:
		return fmt.Sprintf("The address %q cannot be downloaded: ModelFetch downloads addresses that start with http:// or https://, such as %s.", v, example)
	case addressNoScheme:
		return fmt.Sprintf("The address %q has no http:// or https:// in front; write it as https://%s.", v, v)
	case addressNoHost:
		return fmt.Sprintf("The address %q has no server name after the //; write it as %s.", v, example)
	case addressNotURL:
		return fmt.Sprintf("The text %q is not a web address; write it as %s, or as a Hugging Face name such as hf.co/ORG/REPO.", v, example)
	case addressSpace:
		return fmt.Sprintf("The address %q has a space in its server name; put each address on a line of its own.", v)
	case oneFileOnly:
		return "A title and a SHA-256 belong to one file: add that address on its own, or leave them empty."
	}
	return ""
}

func (m *mistake) digestSentence() string {
	v := m.value
	switch m.kind {
	case digestLength:
		return fmt.Sprintf("The SHA-256 %q has %d hexadecimal digits; it needs 64 (0-9 and a-f), as sha256sum prints them.", v, hexDigits(afterColon(v)))
	case digestLetter:
		return fmt.Sprintf("The SHA-256 %q holds %q, which is not a hexadecimal digit; it needs 64 of 0-9 and a-f, as sha256sum prints them.", v, firstNonHex(afterColon(v)))
	case digestSHA1:
		return fmt.Sprintf("The digest %q has 40 digits: it is a SHA-1 or a git blob id, not a SHA-256, which has 64.", v)
	case noDigest:
		return "Enter the SHA-256 the file should have: 64 hexadecimal digits (0-9 and a-f), as sha256sum prints them."
	}
	return ""
}

func (m *mistake) settingSentence() string {
	v := m.value
	switch m.kind {
	case folderRelative:
		return fmt.Sprintf("The download folder %q is not a full path; write it from the root, such as /home/you/models (Choose… picks one).", v)
	case folderIsFile:
		return fmt.Sprintf("The download folder %s is a file, not a folder; choose a folder for the downloads.", v)
	case limitNotSize:
		return fmt.Sprintf("The bandwidth limit %q is not a speed; write it as a size a second, such as 20 MB or 500 KB, or leave it empty for no limit.", v)
	case limitNoUnit:
		return fmt.Sprintf("The bandwidth limit %q has no unit; write %s MB or %s KB a second.", v, v, v)
	case limitTooLow:
		return fmt.Sprintf("The bandwidth limit %q is below 1 KB a second, too slow for any download; write at least 1 KB, or leave it empty for no limit.", v)
	case tokenSpace:
		return "A Hugging Face token has no spaces inside; copy it again from huggingface.co/settings/tokens."
	}
	return "What was typed cannot be used; correct it and try again."
}

// hexDigits counts the hexadecimal digits of s.
func hexDigits(s string) int {
	n := 0
	for _, r := range s {
		if isHex(r) {
			n++
		}
	}
	return n
}

// firstNonHex is the first character of s that is neither a hexadecimal
// digit nor a space.
func firstNonHex(s string) string {
	for _, r := range s {
		if !isHex(r) && !unicode.IsSpace(r) {
			return string(r)
		}
	}
	return ""
}

func isHex(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' }

// parseDigest reads a SHA-256 as fetch.ParseSHA256 does (nothing typed
// is no digest), and says what is wrong with one it cannot read in the
// form's words.
func parseDigest(typed string) (string, error) {
	if fetch.Pasted(typed) == "" {
		return "", nil
	}
	sha, err := fetch.ParseSHA256(typed)
	var re *fetch.RequestError
	if !errors.As(err, &re) {
		return sha, err
	}
	v := fetch.Pasted(re.Request.SHA256)
	switch rest := afterColon(v); {
	case firstNonHex(rest) != "":
		return "", &mistake{kind: digestLetter, value: v}
	case hexDigits(rest) == 40:
		return "", &mistake{kind: digestSHA1, value: v}
	}
	return "", &mistake{kind: digestLength, value: v}
}

// afterColon is s after a "name:" prefix that ParseSHA256 did not know
// ("md5:…"), so that the character named is in the digits.
func afterColon(s string) string {
	if _, rest, ok := strings.Cut(s, ":"); ok {
		return rest
	}
	return s
}

// checkAddress says what is wrong with one address typed in Add URL, in
// the form's words; nil when it can be downloaded.
func checkAddress(raw string) error {
	if raw == "" {
		return &mistake{kind: noAddress}
	}
	var re *fetch.RequestError
	err := fetch.Request{URL: raw}.Validate()
	if !errors.As(err, &re) {
		return err
	}
	switch kind := re.Kind; {
	case strings.ContainsFunc(raw, unicode.IsSpace):
		return &mistake{kind: addressSpace, value: raw}
	case kind == fetch.InvalidScheme && hasScheme(raw):
		return &mistake{kind: addressScheme, value: raw}
	case kind == fetch.InvalidScheme && looksLikeHost(raw):
		return &mistake{kind: addressNoScheme, value: raw}
	case kind == fetch.InvalidHost:
		return &mistake{kind: addressNoHost, value: raw}
	}
	return &mistake{kind: addressNotURL, value: raw}
}

// hasScheme reports whether raw starts with a scheme ("ftp:", "mailto:"),
// not with a host and its port ("localhost:8080").
func hasScheme(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme != "" && !strings.Contains(u.Scheme, ".") &&
		!(u.Opaque != "" && u.Opaque[0] >= '0' && u.Opaque[0] <= '9')
}

// looksLikeHost reports whether raw reads as an address without its
// scheme: a host name with a dot, perhaps a port, then a path.
func looksLikeHost(raw string) bool {
	u, err := url.Parse("https://" + raw)
	if err != nil || strings.Contains(raw, "://") {
		return false
	}
	host := u.Hostname()
	named := strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
	return named || host != "" && u.Port() != ""
}
