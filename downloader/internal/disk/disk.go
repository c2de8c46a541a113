package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LockDir takes an exclusive lock on dir/lock, held until the returned file
// is closed (or the process dies, so kill -9 never leaves a stale lock).
func LockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return Lock(filepath.Join(dir, "lock"))
}

// WriteFileAtomic replaces name with data so that a crash at any moment
// leaves either the old or the new content.
func WriteFileAtomic(name string, data []byte) error {
	err := ReplaceAtomic(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return SyncDir(filepath.Dir(name))
}

// ReplaceAtomic makes dst appear whole or not at all: fill writes a
// temporary file beside it, which is synced, closed and renamed over dst.
// The caller syncs the directory when the rename must survive a crash.
func ReplaceAtomic(dst string, fill func(io.Writer) error) error { return replace(dst, fill, true) }

// ReplaceUnsynced is ReplaceAtomic without the sync: dst appears whole or
// not at all to every process, and after the death of this one, but a
// power cut may leave it empty or old. It suits what is trusted only in
// the boot it was written in, and never waits for the disk.
func ReplaceUnsynced(dst string, fill func(io.Writer) error) error { return replace(dst, fill, false) }

func replace(dst string, fill func(io.Writer) error, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// Move puts src at dst by an atomic rename. Across file systems (the
// partial folder on one disk, the models on another) it copies to a
// temporary name beside dst, syncs, and renames that, so dst still appears
// only when complete.
func Move(src, dst string) error {
	err := os.Rename(src, dst)
	if crossDevice(err) {
		err = copyFile(src, dst)
		if err == nil {
			err = os.Remove(src)
		}
	}
	if err != nil {
		return err
	}
	return SyncDir(filepath.Dir(dst))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return ReplaceAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// FreePath is path, or "name-2.ext", "name-3.ext"… when something is
// already there: a download never replaces a file a person put in its
// folder.
func FreePath(path string) string {
	return Numbered(path, func(p string) bool {
		_, err := os.Lstat(p)
		return !errors.Is(err, os.ErrNotExist)
	})
}

// Numbered is name, or "name-2.ext", "name-3.ext"…: the first that taken
// does not claim.
func Numbered(name string, taken func(string) bool) string {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
	return name
}
