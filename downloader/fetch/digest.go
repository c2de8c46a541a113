package fetch

import (
	"strings"
	"unicode"
)

// ParseSHA256 reads a SHA-256 as people paste it, and returns it as 64
// lower-case hexadecimal digits: with space, tabs or quotes around it, in
// upper case, with a "sha256:" (or "SHA-256=", "sha256 ") prefix, split
// into groups by spaces, as a line of sha256sum ("HEX  file") or of
// openssl ("SHA2-256(file)= HEX"). Empty (after trimming) is "", no
// digest. Anything else is a *RequestError of kind InvalidDigest whose
// Request.SHA256 is what was typed, trimmed, for the caller to word.
// Every client (the window's forms, the command line's --sha256, the
// local API) reads a typed digest through it.
func ParseSHA256(s string) (string, error) {
	typed := trimPasted(s)
	hex := strings.ToLower(withoutDigestName(typed))
	if fields := strings.Fields(hex); len(fields) > 1 && IsSHA256(fields[0]) {
		hex = fields[0] // sha256sum's "HEX  file" or "HEX *file"
	} else {
		hex = strings.Join(fields, "")
	}
	if hex == "" && typed == "" {
		return "", nil
	}
	if !IsSHA256(hex) {
		return "", &RequestError{Kind: InvalidDigest, Request: Request{SHA256: typed}}
	}
	return hex, nil
}

// trimPasted drops what a copy often brings along: white space, and the
// quotes or backticks of the page it came from.
func trimPasted(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("\"'`“”‘’", r) })
}

// withoutDigestName drops the name of the digest in front of it:
// "sha256:", "SHA-256=", "sha256 ", or openssl's "SHA2-256(file)= ".
func withoutDigestName(s string) string {
	named := func(name string) bool { return len(s) >= len(name) && strings.EqualFold(s[:len(name)], name) }
	if i := strings.Index(s, ")="); named("sha") && i > 0 { // openssl dgst
		return trimPasted(s[i+2:])
	}
	for _, name := range []string{"sha2-256", "sha-256", "sha256"} {
		if named(name) {
			return trimPasted(strings.TrimLeft(s[len(name):], ":= \t"))
		}
	}
	return s
}
