//go:build !unix

package apps_test

import (
	"os"
	"testing"
)

func inodeOf(os.FileInfo) string { return "-" }

func linksOf(os.FileInfo) uint64 { return 0 }

func deviceOf(t *testing.T, _ string) uint64 {
	t.Skip("no device numbers here")
	return 0
}
