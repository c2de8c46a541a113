package downloader

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"golang.org/x/sys/unix"
)

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
			return nil, fetch.ErrLocked
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
