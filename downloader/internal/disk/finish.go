package disk

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Finish makes what a request asks for once its file is in place at
// dest: its links, then its stamp. It is done again, harmlessly, whenever
// a finished file is found in place, so that a restart between the two
// leaves nothing undone.
func Finish(dest string, req fetch.Request) error {
	if err := MakeLinks(dest, req.Links); err != nil {
		return err
	}
	if req.Stamp == nil {
		return nil
	}
	if err := writeStamp(dest, *req.Stamp); err != nil {
		return &fetch.FileError{Op: fetch.OpStamp, Path: req.Stamp.Path, Err: err}
	}
	return nil
}

// writeStamp writes s's text and then dest's modification time in
// seconds, with six decimals, on a line of its own: a tool that resumes
// downloads into a folder compares that time with the file's own.
func writeStamp(dest string, s fetch.Stamp) error {
	st, err := os.Stat(dest)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o777); err != nil {
		return err
	}
	at := strconv.FormatFloat(float64(st.ModTime().UnixNano())/1e9, 'f', 6, 64)
	return WriteFile(s.Path, []byte(s.Text+at+"\n"), 0o666)
}

// MakeLinks makes each link name dest: a symlink by a relative target, so
// that the tree stays valid when moved as a whole. Where no symlink can be
// made (Windows without developer mode, FAT and exFAT disks), the link is
// the file itself, as huggingface_hub then puts files in snapshots/: a
// hard link, else a copy; never a failure for want of symlinks. Each is
// made under a temporary name and renamed into place, so a reader never
// sees the name missing or half made. Folders are made 0777 less the
// umask, as the tools whose trees these links are (the Hub cache) make
// theirs.
func MakeLinks(dest string, links []string) error {
	for _, link := range links {
		if err := makeLink(dest, link); err != nil {
			return &fetch.FileError{Op: fetch.OpLink, Path: link, Err: err}
		}
	}
	return nil
}

func makeLink(dest, link string) error {
	target, err := filepath.Rel(filepath.Dir(link), dest)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o777); err != nil {
		return err
	}
	if linked(dest, link, target) {
		return nil
	}
	tmp := link + ".modelfetch-tmp"
	_ = os.Remove(tmp) // a leftover of a crash; what follows reports real trouble
	if err = symlink(target, tmp); err != nil {
		err = placeFile(dest, tmp)
	}
	if err == nil {
		err = rename(tmp, link)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// symlink makes link a symlink to target and reads it back: wine says it
// made one and makes nothing, so the answer of the call alone is not
// trusted.
func symlink(target, link string) error {
	if err := os.Symlink(target, link); err != nil {
		return err
	}
	if got, err := os.Readlink(link); err != nil || got != target {
		_ = os.Remove(link)
		return fmt.Errorf("symlink %s: the link made is not the link asked for", link)
	}
	return nil
}

// placeFile puts dest's content at name without a symlink: a hard link,
// which costs no space and keeps dest where the engine's index finds it,
// else (another volume, a disk without hard links) a copy with dest's
// modification time, by which linked knows it later.
func placeFile(dest, name string) error {
	if os.Link(dest, name) == nil {
		return nil
	}
	st, err := os.Stat(dest)
	if err != nil {
		return err
	}
	if err := copyFile(dest, name); err != nil {
		return err
	}
	return os.Chtimes(name, st.ModTime(), st.ModTime())
}

// linked reports whether link already names dest: a symlink to target,
// or the file placeFile put there.
func linked(dest, link, target string) bool {
	if got, err := os.Readlink(link); err == nil {
		return got == target
	}
	li, err := os.Lstat(link)
	return err == nil && placed(dest, li)
}

// placed reports whether li is dest's content as placeFile leaves it: a
// hard link of dest, or a copy of its size and time (a file replaced at
// dest since has another time).
func placed(dest string, li fs.FileInfo) bool {
	if !li.Mode().IsRegular() || dest == "" {
		return false
	}
	di, err := os.Stat(dest)
	return err == nil && (os.SameFile(li, di) || li.Size() == di.Size() && li.ModTime().Equal(di.ModTime()))
}

// Replaceable reports whether MakeLinks may put a link to dest where link
// is: nothing is there, or a symlink, or what MakeLinks put there without
// symlinks. Any other file or folder there is not the engine's.
func Replaceable(dest, link string) bool {
	li, err := os.Lstat(link)
	return err != nil || li.Mode()&fs.ModeSymlink != 0 || placed(dest, li)
}
