package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidID reports whether id is safe as a folder name and in URLs.
func ValidID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// SanitizeName turns a name from a URL, a header or a person into one safe
// file name: no path separators, no "..", no control characters, no leading
// dots, at most 200 bytes. It returns "download" when nothing is left.
//
// The name is also one Windows accepts, on every system: none of
// < > : " | ? * (each becomes '_'), no trailing dots or spaces, and not a
// device name (CON, NUL, COM1, "nul.txt"…, which gets a leading '_'). A
// file named on Linux is often copied to a Windows disk or share, or
// lands on one (an exFAT drive, a WSL /mnt/c), and the same URL gets the
// same name wherever ModelFetch runs; one rule is also one rule tested.
func SanitizeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	if name == "/" || name == ".." {
		name = ""
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '/', strings.ContainsRune(windowsForbidden, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.ReplaceAll(b.String(), "..", "_")
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimRight(shorten(name, 200), ". ")
	if name == "" {
		return "download"
	}
	if windowsDevice(name) {
		return shorten("_"+name, 200)
	}
	return name
}

// windowsForbidden are the characters Windows refuses in a file name.
const windowsForbidden = `<>:"|?*`

// windowsDevice reports whether Windows takes name for a device: its part
// before the first dot, spaces trimmed, is one of the reserved names, in
// any case ("nul.txt" and "Con .gguf" are the console and nothing).
func windowsDevice(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	n, ok := strings.CutPrefix(stem, "COM")
	if !ok {
		n, ok = strings.CutPrefix(stem, "LPT")
	}
	return ok && (len(n) == 1 && n[0] >= '0' && n[0] <= '9' || n == "¹" || n == "²" || n == "³")
}

// shorten cuts name to at most n bytes on a rune boundary, keeping its
// extension (when the extension is short enough to be one), so that the
// file still opens with the program it is for.
func shorten(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	for len(stem)+len(ext) > n {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + ext
}

// NameFromURL is the last path segment of a URL, unescaped.
func NameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return path.Base(u.Path)
}

// IDForURLs makes a readable fetch id for URLs: the first file's name
// without its extension, and a short hash of all of them so that two
// different downloads of "model.bin" do not collide.
func IDForURLs(urls []string) string {
	h := sha256.New()
	for _, u := range urls {
		io.WriteString(h, u+"\n")
	}
	base := ""
	if len(urls) > 0 {
		base = SanitizeName(NameFromURL(urls[0]))
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	var b strings.Builder
	for _, c := range strings.ToLower(base) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), ".-")
	if len(id) > 100 {
		id = id[:100]
	}
	if id == "" || id == "download" {
		id = "download"
	}
	return id + "-" + hex.EncodeToString(h.Sum(nil))[:8]
}
