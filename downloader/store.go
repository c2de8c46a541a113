package downloader

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// validID reports whether id is safe as a folder name and in URLs.
func validID(id string) bool {
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
func SanitizeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	if name == "/" || name == ".." {
		name = ""
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '/':
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.ReplaceAll(b.String(), "..", "_")
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = shorten(name, 200)
	if name == "" {
		return "download"
	}
	return name
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

// nameFromURL is the last path segment of a URL, unescaped.
func nameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return path.Base(u.Path)
}

// nameFromDisposition is the filename of a Content-Disposition header.
func nameFromDisposition(header string) string {
	if header == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return params["filename"]
}

// freeSpace is the bytes an unprivileged user may still write in dir.
func freeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// isNoSpace reports whether err means the disk (or quota) is full.
func isNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// lockDir takes an exclusive lock on dir/lock, held until the returned file
// is closed (or the process dies, so kill -9 never leaves a stale lock).
func lockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return LockFile(filepath.Join(dir, "lock"))
}

// LockFile takes an exclusive lock on the file at path, made if missing,
// held until the returned file is closed or the process dies. Another
// holder is ErrLocked: the caller does not wait.
func LockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// writeFileAtomic replaces name with data so that a crash at any moment
// leaves either the old or the new content.
func writeFileAtomic(name string, data []byte) error {
	err := replaceAtomic(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(name))
}

// replaceAtomic makes dst appear whole or not at all: fill writes a
// temporary file beside it, which is synced, closed and renamed over dst.
// The caller syncs the directory when the rename must survive a crash.
func replaceAtomic(dst string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
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
		base = SanitizeName(nameFromURL(urls[0]))
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

// moveFile puts src at dst by an atomic rename. Across file systems (the
// partial folder on one disk, the models on another) it copies to a
// temporary name beside dst, syncs, and renames that, so dst still appears
// only when complete.
func moveFile(src, dst string) error {
	err := os.Rename(src, dst)
	if errors.Is(err, unix.EXDEV) {
		err = copyFile(src, dst)
		if err == nil {
			err = os.Remove(src)
		}
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return replaceAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// freePath is path, or "name-2.ext", "name-3.ext"… when something is
// already there: a download never replaces a file a person put in its
// folder.
func freePath(path string) string {
	return numbered(path, func(p string) bool {
		_, err := os.Lstat(p)
		return !errors.Is(err, os.ErrNotExist)
	})
}

// numbered is name, or "name-2.ext", "name-3.ext"…: the first that taken
// does not claim.
func numbered(name string, taken func(string) bool) string {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
	return name
}
