package apps

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// checkSource refuses a verified file that is gone or whose size changed:
// only the bytes the engine verified are ever put under a digest's name.
func checkSource(m Model) error {
	fi, err := os.Stat(m.Path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotVerified, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != m.Size {
		return fmt.Errorf("%w: %s is %d bytes, not %d", ErrNotVerified, m.Path, fi.Size(), m.Size)
	}
	return nil
}

// placeModel decides how the verified file gets to dst: already there,
// a hard link, or a copy. A store that names files by their digest
// (Ollama's blobs) takes a file of that name and size as the same file, as
// the app itself does; any other file already at dst is taken.
func placeModel(m Model, dst string, byDigest bool) (Step, error) {
	fi, err := os.Lstat(dst)
	if err == nil {
		if sameOrDigest(m, fi, byDigest) {
			return Step{Path: dst, Means: Present}, nil
		}
		return Step{}, &TakenError{Path: dst}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Step{}, fmt.Errorf("look at %s: %w", dst, err)
	}
	means, err := linkOrCopy(m.Path, dst)
	if err != nil {
		return Step{}, err
	}
	s := Step{Path: dst, Means: means}
	if means == Copy {
		s.Size = m.Size
	}
	return s, nil
}

func sameOrDigest(m Model, fi fs.FileInfo, byDigest bool) bool {
	if !fi.Mode().IsRegular() {
		return false
	}
	src, err := os.Stat(m.Path)
	return (err == nil && os.SameFile(src, fi)) || (byDigest && fi.Size() == m.Size)
}

// placeData plans a small file the app reads beside the model: nothing to
// do when the same bytes are there, taken when other bytes are.
func placeData(dst string, data []byte) (Step, error) {
	old, err := os.ReadFile(dst)
	switch {
	case err == nil && bytes.Equal(old, data):
		return Step{Path: dst, Means: Present}, nil
	case err == nil:
		return Step{}, &TakenError{Path: dst}
	case !errors.Is(err, fs.ErrNotExist):
		return Step{}, fmt.Errorf("look at %s: %w", dst, err)
	}
	return Step{Path: dst, Means: Write, Size: int64(len(data)), data: data}, nil
}

// linkOrCopy finds out, without leaving anything behind, whether dst's
// folder (or the nearest folder above it that exists) takes a hard link
// to src: it makes one under a probe name and removes it. A refused link
// means a copy; a folder that takes no file at all is an error.
func linkOrCopy(src, dst string) (Means, error) {
	dir := nearestDir(filepath.Dir(dst))
	probe := filepath.Join(dir, ".modelfetch-probe-"+randomHex())
	err := os.Link(src, probe)
	if err == nil {
		if err := os.Remove(probe); err != nil {
			return 0, fmt.Errorf("remove link probe: %w", err)
		}
		return Link, nil
	}
	if !linkRefused(err) {
		return 0, fmt.Errorf("make a link in %s: %w", dir, err)
	}
	f, err := os.OpenFile(probe, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return 0, fmt.Errorf("write in %s: %w", dir, err)
	}
	if err := errors.Join(f.Close(), os.Remove(probe)); err != nil {
		return 0, fmt.Errorf("remove write probe: %w", err)
	}
	return Copy, nil
}

// nearestDir is dir, or the nearest folder above it that exists.
func nearestDir(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// apply makes one step. Every file is made whole under a temporary name
// and then hard-linked to its final name, which fails with EEXIST instead
// of replacing whatever appeared there since the plan was made; folders
// are made as the app's own code makes them, with the process's umask.
func (s Step) apply(src string) error {
	if s.Means == Present {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o777); err != nil {
		return fmt.Errorf("make folder for %s: %w", s.Path, err)
	}
	from := src
	if s.Means != Link {
		tmp, err := s.writeTemp(src)
		if err != nil {
			return err
		}
		defer func() { _ = os.Remove(tmp) }()
		from = tmp
	}
	err := os.Link(from, s.Path)
	if errors.Is(err, fs.ErrExist) {
		return s.alreadyThere(from)
	}
	if err != nil {
		return fmt.Errorf("link %s: %w", s.Path, err)
	}
	return nil
}

// alreadyThere accepts a file that appeared at the step's path since the
// plan only when it is the same file or holds the same bytes.
func (s Step) alreadyThere(from string) error {
	a, aerr := os.Stat(from)
	b, berr := os.Lstat(s.Path)
	if aerr == nil && berr == nil && os.SameFile(a, b) {
		return nil
	}
	if s.Means == Write {
		if old, err := os.ReadFile(s.Path); err == nil && bytes.Equal(old, s.data) {
			return nil
		}
	}
	return &TakenError{Path: s.Path}
}

// writeTemp writes the step's bytes (a Write's data, or a copy of src)
// beside its final name and syncs them.
func (s Step) writeTemp(src string) (string, error) {
	// Made 0666 less the umask, as the app's own writes are (os.CreateTemp
	// would make it 0600).
	name := filepath.Join(filepath.Dir(s.Path), ".modelfetch-"+randomHex()+"-"+filepath.Base(s.Path))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", s.Path, err)
	}
	err = s.fill(f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", s.Path, err)
	}
	return f.Name(), nil
}

func (s Step) fill(f *os.File, src string) error {
	if s.Means == Write {
		_, err := f.Write(s.data)
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	n, err := io.Copy(f, in)
	if err == nil && n != s.Size {
		err = fmt.Errorf("%w: copied %d bytes, want %d", ErrNotVerified, n, s.Size)
	}
	return err
}

// removeOurs removes path when it is what Share made for m: a hard link to
// the verified file, or a copy holding exactly its bytes (hashed, since a
// copy has its own inode). It reports whether it removed it.
func removeOurs(m Model, path string) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look at %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != m.Size {
		return false, nil
	}
	if src, err := os.Stat(m.Path); err != nil || !os.SameFile(src, fi) {
		if sum, err := fileSHA256(path); err != nil || sum != m.SHA256 {
			return false, err
		}
	}
	return true, removeFile(path)
}

// removeData removes path when it holds exactly data.
func removeData(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !bytes.Equal(old, data)) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look at %s: %w", path, err)
	}
	return true, removeFile(path)
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pruneEmpty removes dir and the folders above it while they are empty,
// stopping at stop, which is kept.
func pruneEmpty(dir, stop string) {
	for dir != stop && len(dir) > len(stop) {
		if os.Remove(dir) != nil { // not empty, or not ours to remove
			return
		}
		dir = filepath.Dir(dir)
	}
}
