package disk

import (
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

// MakeLinks makes each link a symlink to dest by a relative target, so
// that the tree stays valid when moved as a whole. Each is made under a
// temporary name and renamed into place, so a reader never sees the name
// missing or half made. Folders are made 0777 less the umask, as the
// tools whose trees these links are (the Hub cache) make theirs.
func MakeLinks(dest string, links []string) error {
	for _, link := range links {
		target, err := filepath.Rel(filepath.Dir(link), dest)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(link), 0o777)
		}
		if old, lerr := os.Readlink(link); err == nil && lerr == nil && old == target {
			continue
		}
		tmp := link + ".modelfetch-tmp"
		_ = os.Remove(tmp) // a leftover of a crash; the symlink below reports real trouble
		if err == nil {
			err = os.Symlink(target, tmp)
		}
		if err == nil {
			if err = os.Rename(tmp, link); err != nil {
				_ = os.Remove(tmp)
			}
		}
		if err != nil {
			return &fetch.FileError{Op: fetch.OpLink, Path: link, Err: err}
		}
	}
	return nil
}
