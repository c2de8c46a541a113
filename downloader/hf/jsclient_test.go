package hf

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"time"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// jsView is what check.mjs prints: what @huggingface/hub saw in the cache.
type jsView struct {
	DefaultCacheDir string   `json:"defaultCacheDir"`
	Warnings        []string `json:"warnings"`
	Repos           []struct {
		ID        struct{ Name, Type string } `json:"id"`
		Revisions []struct {
			CommitOid string   `json:"commitOid"`
			Refs      []string `json:"refs"`
			Files     []jsFile `json:"files"`
		} `json:"revisions"`
	} `json:"repos"`
	Downloads []struct {
		Path, Local, Error string
	} `json:"downloads"`
	Network []string `json:"network"`
}

// jsFile is a file of a revision as scanCacheDir lists it.
type jsFile struct {
	Path     string `json:"path"`
	BlobPath string `json:"blobPath"`
	Size     int64  `json:"size"`
}

// runJSClient installs the official JavaScript Hub client from npm (the
// versions pinned in testdata/jsclient/package-lock.json) in a temporary
// folder and runs check.mjs with args and env.
func runJSClient(t *testing.T, env []string, args ...string) jsView {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the cache is not checked by the JavaScript Hub client", tool)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "check.mjs"} {
		data, err := os.ReadFile(filepath.Join("testdata", "jsclient", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	check := exec.CommandContext(ctx, "node", append([]string{"check.mjs"}, args...)...)
	check.Dir = dir
	check.Env = env
	check.Stderr = os.Stderr
	out, err := check.Output()
	if err != nil {
		t.Fatalf("node check.mjs: %v", err)
	}
	t.Logf("@huggingface/hub saw: %s", out)
	var v jsView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("check.mjs printed %q: %v", out, err)
	}
	return v
}

// hubFreeEnv is the process environment without the Hub's variables, so
// that the check sees only what the test sets.
func hubFreeEnv(extra ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "HF_") || strings.HasPrefix(kv, "HUGGINGFACE_") || strings.HasPrefix(kv, "XDG_CACHE_HOME=")
	})
	return append(env, extra...)
}

// TestJSClientReadsOurCache resolves a quantization with its README and a
// split quantization in a folder, writes the blobs and links as the engine
// will (Cache's Dest and Finish), and has the official JavaScript client
// find every file, offline: scanCacheDir for the repo, its revision, its
// ref and its files, and downloadFileToCacheDir returning the cached path
// without a network call (the endpoint is a closed 127.0.0.1 port and
// fetch throws).
func TestJSClientReadsOurCache(t *testing.T) {
	repo := hftest.TinyGGUF()
	h := hftest.New(t, hftest.WithRepo(repo))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(),
		mustParse(t, "hf.co/org/Tiny-1B-GGUF", Options{Include: []string{"README.md", "*Q4_K_M*", "Tiny-1B-F16/*"}}))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	getenv := envOf(map[string]string{"HF_HOME": home})
	c := Cache{Dir: getenv.CacheDir()}
	args := writePlan(t, c, p, repo.Commits[hftest.CommitMain])

	v := runJSClient(t, hubFreeEnv("HF_HOME="+home, "CHECK_HUB_URL="+origintest.ClosedURL(t)),
		append([]string{c.Dir, p.Repo, p.Commit}, args...)...)

	if v.DefaultCacheDir != c.Dir {
		t.Errorf("the client's cache for HF_HOME=%s is %s, ours %s", home, v.DefaultCacheDir, c.Dir)
	}
	if len(v.Network) > 0 || len(v.Warnings) > 0 {
		t.Errorf("network calls %q, warnings %q; want none", v.Network, v.Warnings)
	}
	if len(v.Repos) != 1 || v.Repos[0].ID.Name != p.Repo || v.Repos[0].ID.Type != "model" || len(v.Repos[0].Revisions) != 1 {
		t.Fatalf("repos = %+v, want %s with one revision", v.Repos, p.Repo)
	}
	checkScanned(t, c, p, v.Repos[0].Revisions[0].CommitOid, v.Repos[0].Revisions[0].Refs, v.Repos[0].Revisions[0].Files)
	for i, d := range v.Downloads {
		if d.Error != "" || d.Local != c.SnapshotPath(p, p.Files[i]) {
			t.Errorf("downloadFileToCacheDir(%s) = %q, %s; want %s offline", d.Path, d.Local, d.Error, c.SnapshotPath(p, p.Files[i]))
		}
	}
	if len(v.Downloads) != len(p.Files) || len(p.Files) != 5 {
		t.Errorf("%d files checked, %d in the plan; want 5", len(v.Downloads), len(p.Files))
	}
}

// writePlan writes the plan's files with their bytes from the fake repo
// into c as the engine will, and returns their paths.
func writePlan(t *testing.T, c Cache, p Plan, files []hftest.File) []string {
	t.Helper()
	var paths []string
	for _, f := range p.Files {
		i := slices.IndexFunc(files, func(src hftest.File) bool { return src.Path == f.Path })
		put(t, c, p, f, files[i].Data)
		paths = append(paths, f.Path)
	}
	return paths
}

// checkScanned compares a revision as scanCacheDir saw it with the plan
// written to c. scanCacheDir lists the files at the top of a snapshot (it
// does not go into folders); each must resolve to our blob at its size.
func checkScanned(t *testing.T, c Cache, p Plan, commit string, refs []string, files []jsFile) {
	t.Helper()
	if commit != p.Commit || !slices.Equal(refs, []string{"main"}) {
		t.Errorf("revision %s refs %q, want %s refs [main]", commit, refs, p.Commit)
	}
	top := 0
	for _, f := range p.Files {
		if strings.Contains(f.Path, "/") {
			continue
		}
		top++
		i := slices.IndexFunc(files, func(s jsFile) bool { return s.Path == c.SnapshotPath(p, f) })
		if i < 0 {
			t.Errorf("scanCacheDir did not list %s", f.Path)
			continue
		}
		blob, _ := filepath.EvalSymlinks(c.BlobPath(p, f))
		if files[i].BlobPath != blob || files[i].Size != f.Size {
			t.Errorf("%s: blob %s size %d, want %s size %d", f.Path, files[i].BlobPath, files[i].Size, blob, f.Size)
		}
	}
	if len(files) != top {
		t.Errorf("scanCacheDir listed %d files, want %d", len(files), top)
	}
}
