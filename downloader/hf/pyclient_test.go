//go:build unix

package hf

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// python runs testdata/pyclient/check.py with the real huggingface_hub's
// source (HF_HUB_SRC, its src folder) and filelock's (FILELOCK_SRC), and
// returns the command. The test skips when the source is not there:
// `make interop` sets both (see packaging/interop.sh).
func python(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	src := os.Getenv("HF_HUB_SRC")
	if src == "" {
		t.Skip("HF_HUB_SRC is not set: the cache is not checked by the Python huggingface_hub (see make interop)")
	}
	bin := os.Getenv("PYTHON")
	if bin == "" {
		bin = "python3"
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			bin = "/usr/bin/python3" // Debian's, which has the client's dependencies
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "pyclient", "check.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+src+string(os.PathListSeparator)+os.Getenv("FILELOCK_SRC"), "HF_HUB_OFFLINE=1")
	cmd.Stderr = os.Stderr
	return cmd
}

// pyRun runs a command of check.py and decodes its answer into out.
func pyRun(t *testing.T, out any, args ...string) {
	t.Helper()
	b, err := python(t, args...).Output()
	if err != nil {
		t.Fatalf("check.py %v: %v", args, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("check.py %v said %s: %v", args, b, err)
	}
}

type pySnapshot struct {
	Result string
	Repos  []struct {
		ID        string
		Revisions []struct {
			Commit string
			Refs   []string
			Files  []string
		}
	}
	Warnings []string
}

// TestPythonIncompleteSnapshot: a fetch paused after one of two files is
// incomplete to the real client offline (snapshot_download raises
// IncompleteSnapshotError), and complete once the second file is there.
func TestPythonIncompleteSnapshot(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "hub")}
	readme, weights := []byte("# tiny\n"), []byte("weights")
	fr := File{Path: "README.md", Size: int64(len(readme)), Blob: origintest.GitBlobID(readme), Digest: DigestGitSHA1}
	fw := File{Path: "Tiny-1B-Q4_K_M.gguf", Size: int64(len(weights)), Blob: hftest.SHA256Hex(weights), Digest: DigestSHA256}
	p := testPlan("main", hftest.CommitMain, fr, fw)
	p.Tree = []TreeFile{{Path: fr.Path, Size: fr.Size, BlobID: fr.Blob},
		{Path: fw.Path, Size: fw.Size, BlobID: origintest.GitBlobID([]byte("pointer")), LFSSHA256: fw.Blob, LFSSize: fw.Size}}
	if err := c.Prepare(p); err != nil {
		t.Fatal(err)
	}
	put(t, c, p, fr, readme)
	var s pySnapshot
	pyRun(t, &s, "snapshot", c.Dir, p.Repo)
	t.Logf("paused: %+v", s)
	if s.Result != "incomplete" {
		t.Errorf("a paused fetch: %q, want IncompleteSnapshotError", s.Result)
	}
	put(t, c, p, fw, weights)
	pyRun(t, &s, "snapshot", c.Dir, p.Repo)
	t.Logf("done: %+v", s)
	if s.Result != "ok" || len(s.Repos) != 1 || len(s.Repos[0].Revisions) != 1 || len(s.Warnings) != 0 ||
		!slices.Equal(s.Repos[0].Revisions[0].Files, []string{"README.md", "Tiny-1B-Q4_K_M.gguf"}) ||
		!slices.Equal(s.Repos[0].Revisions[0].Refs, []string{"main"}) {
		t.Errorf("a finished fetch: %+v", s)
	}
}

// TestPythonModes: under umask 002 and 077, the cache's folders and files
// have the modes the real client gives its own, path for path.
func TestPythonModes(t *testing.T) {
	for _, u := range []int{0o002, 0o077} {
		theirs := map[string]string{}
		pyRun(t, &theirs, "modes", filepath.Join(t.TempDir(), "hub"), fmt.Sprintf("%03o", u))
		ours := cacheModes(t, ourCache(t, u), modePaths)
		for _, p := range modePaths {
			want, _ := strconv.ParseUint(theirs[p], 0, 32)
			t.Logf("umask %03o  ours %04o  huggingface_hub %04o  %s", u, ours[p], want, p)
			if ours[p] != fs.FileMode(want) {
				t.Errorf("umask %03o: %s is %04o, huggingface_hub makes %04o", u, p, ours[p], want)
			}
		}
	}
}

// TestPythonLocks: the real client waits while the engine holds a blob's
// lock and takes it once it is let go; the engine waits while the client
// holds it.
func TestPythonLocks(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "hub")}
	f := File{Path: "m.gguf", Blob: hftest.SHA256Hex([]byte("m"))}
	p := testPlan("main", hftest.CommitMain, f)
	unlock, err := disk.WaitSharedLock(t.Context(), c.Lock(p, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Result string }
	pyRun(t, &got, "lock", c.Lock(p, f), "0.3")
	if got.Result != "timeout" {
		t.Errorf("the client took a lock the engine holds: %q", got.Result)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	pyRun(t, &got, "lock", c.Lock(p, f), "10")
	if got.Result != "acquired" {
		t.Errorf("the client could not take the lock after unlock: %q", got.Result)
	}

	hold := python(t, "hold", c.Lock(p, f))
	stdin, _ := hold.StdinPipe()
	stdout, _ := hold.StdoutPipe()
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line == "" {
		t.Fatalf("the client did not take the lock: %q %v", line, err)
	}
	waits := 0
	unlock, err = disk.WaitSharedLock(t.Context(), c.Lock(p, f), func() {
		waits++
		_ = stdin.Close() // the client lets go while the engine waits
		_ = hold.Wait()
	})
	if err != nil || waits != 1 {
		t.Fatalf("the lock after %d waits: %v", waits, err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}
