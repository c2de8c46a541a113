package disk

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// WriteFile replaces name with data, a file made with perm less the
// umask, so that a crash at any moment leaves either the old or the new
// content.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	err := ReplaceAtomic(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return SyncDir(filepath.Dir(name))
}

// ReplaceAtomic makes dst appear whole or not at all: fill writes a
// hidden temporary file beside it, made with perm less the umask, which is
// synced, closed and renamed over dst. The caller syncs the directory when
// the rename must survive a crash.
func ReplaceAtomic(dst string, perm fs.FileMode, fill func(io.Writer) error) error {
	return replace(dst, perm, fill, true)
}

// ReplaceUnsynced is ReplaceAtomic without the sync: dst appears whole or
// not at all to every process, and after the death of this one, but a
// power cut may leave it empty or old. It suits what is trusted only in
// the boot it was written in, and never waits for the disk.
func ReplaceUnsynced(dst string, perm fs.FileMode, fill func(io.Writer) error) error {
	return replace(dst, perm, fill, false)
}

func replace(dst string, perm fs.FileMode, fill func(io.Writer) error, sync bool) error {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	name := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-"+hex.EncodeToString(b[:]))
	tmp, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	defer os.Remove(name) // fails harmlessly once renamed
	err = fill(tmp)
	if err == nil && sync {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return rename(name, dst)
}

// Move puts src at dst by an atomic rename, replacing what is there. src
// must be closed (Windows does not rename an open file). Across file
// systems (the partial folder on one disk, the models on another) it
// copies to a temporary name beside dst, syncs, and renames that, so dst
// still appears only when complete.
func Move(src, dst string) error {
	err := rename(src, dst)
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
	st, err := in.Stat()
	if err != nil {
		return err
	}
	return ReplaceAtomic(dst, st.Mode().Perm(), func(w io.Writer) error {
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
