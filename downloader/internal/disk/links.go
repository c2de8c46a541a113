package disk

import (
	"os"
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// MakeLinks makes each link a symlink to dest by a relative target, so
// that the tree stays valid when moved as a whole. Each is made under a
// temporary name and renamed into place, so a reader never sees the name
// missing or half made. Layouts that make their links again (the Hub
// cache's Finish) call it too, so that there is one rule for them.
func MakeLinks(dest string, links []string) error {
	for _, link := range links {
		target, err := filepath.Rel(filepath.Dir(link), dest)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(link), 0o755)
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
