//go:build unix

package apps_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
)

func inodeOf(fi os.FileInfo) string { return strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10) }

func linksOf(fi os.FileInfo) uint64 { return uint64(fi.Sys().(*syscall.Stat_t).Nlink) }

func deviceOf(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Dev)
}
