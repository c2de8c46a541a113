package apps_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/apps/appstest"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hubFile puts data where the Hub cache keeps a blob and describes it as
// the engine hands a verified file over.
func hubFile(t *testing.T, root string, data []byte) apps.Model {
	t.Helper()
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	p := filepath.Join(root, "hub", "models--org--Tiny-1B-GGUF", "blobs", hexSum)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return apps.Model{Path: p, SHA256: hexSum, Size: int64(len(data)), Org: "org", Repo: "Tiny-1B-GGUF",
		Quant: "Q4_K_M", File: "Tiny-1B-Q4_K_M.gguf"}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// linuxEnv is a Linux machine whose home is home, with vars set.
func linuxEnv(home string, vars map[string]string) apps.Env {
	return apps.Env{GOOS: "linux", Home: home, Getenv: func(k string) string { return vars[k] }}
}

// TestFolderLayouts: in a temporary home where LM Studio, Jan and GPT4All
// keep their folders, Find finds the three and Share puts a hard link of
// the verified file where each app looks, with Jan's model.yml beside it.
func TestFolderLayouts(t *testing.T) {
	home := t.TempDir()
	m := hubFile(t, home, appstest.GGUF("llama", 64))
	for _, d := range []string{".lmstudio/models", ".local/share/Jan/data", ".local/share/nomic.ai/GPT4All"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	found := apps.Find(linuxEnv(home, nil))
	var names []string
	for _, a := range found {
		names = append(names, a.Name())
	}
	if strings.Join(names, ",") != "LM Studio,Jan,GPT4All" {
		t.Fatalf("found %v", names)
	}
	shareAll(t, home, m, found)
	yml, _ := os.ReadFile(filepath.Join(home, ".local/share/Jan/data/llamacpp/models/Tiny-1B-Q4_K_M/model.yml"))
	if string(yml) != "model_path: llamacpp/models/Tiny-1B-Q4_K_M/model.gguf\nname: Tiny-1B-Q4_K_M\nsize_bytes: "+itoa(m.Size)+"\n" {
		t.Errorf("model.yml:\n%s", yml)
	}
	listInodes(t, home)
	for _, a := range found {
		if _, err := a.Unshare(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{".lmstudio/models/org", ".local/share/Jan/data/llamacpp/models/Tiny-1B-Q4_K_M", ".local/share/nomic.ai/GPT4All/Tiny-1B-Q4_K_M.gguf"} {
		if _, err := os.Stat(filepath.Join(home, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("unshare left %s", d)
		}
	}
	if _, err := os.Stat(filepath.Join(home, ".lmstudio/models")); err != nil {
		t.Error("unshare removed LM Studio's own models folder")
	}
}

// shareAll shares m with each app and checks that each file is a hard
// link of the verified file where the app looks.
func shareAll(t *testing.T, home string, m apps.Model, found []apps.App) {
	t.Helper()
	want := map[string]string{
		"LM Studio": ".lmstudio/models/org/Tiny-1B-GGUF/Tiny-1B-Q4_K_M.gguf",
		"Jan":       ".local/share/Jan/data/llamacpp/models/Tiny-1B-Q4_K_M/model.gguf",
		"GPT4All":   ".local/share/nomic.ai/GPT4All/Tiny-1B-Q4_K_M.gguf",
	}
	src, _ := os.Stat(m.Path)
	for _, a := range found {
		p, err := a.Plan(m)
		if err != nil {
			t.Fatal(err)
		}
		if p.Means() != apps.Link || p.CopyBytes() != 0 {
			t.Errorf("%s: plan %+v, want a hard link", a.Name(), p.Steps)
		}
		if err := apps.Share(p); err != nil {
			t.Fatal(err)
		}
		got, err := os.Lstat(filepath.Join(home, want[a.Name()]))
		if err != nil || !got.Mode().IsRegular() || !os.SameFile(got, src) {
			t.Errorf("%s: %s is not a hard link of the verified file (%v)", a.Name(), want[a.Name()], err)
		}
	}
}

// listInodes logs every file under root with its inode and link count.
func listInodes(t *testing.T, root string) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := os.Lstat(p)
			rel, _ := filepath.Rel(root, p)
			t.Logf("%10s %d %s", inodeOf(fi), linksOf(fi), rel)
		}
		return nil
	})
}

// TestNeverOverwrites: a file already at the app's path with other
// content is reported and left as it is.
func TestNeverOverwrites(t *testing.T) {
	home := t.TempDir()
	m := hubFile(t, home, appstest.GGUF("llama", 64))
	models := filepath.Join(home, "models")
	theirs := filepath.Join(models, "org", "Tiny-1B-GGUF", "Tiny-1B-Q4_K_M.gguf")
	writeFile(t, theirs, "their own file")
	_, err := apps.LMStudio(models).Plan(m)
	if !errors.Is(err, apps.ErrTaken) {
		t.Fatalf("got %v, want ErrTaken", err)
	}
	if removed, err := apps.LMStudio(models).Unshare(m); err != nil || len(removed) != 0 {
		t.Errorf("unshare removed %v (%v)", removed, err)
	}
	if got, _ := os.ReadFile(theirs); string(got) != "their own file" {
		t.Error("their file changed")
	}
}

// TestChangedFileRefused: a file whose size is not the verified size, or
// a digest that is not a SHA-256, is never put in a store.
func TestChangedFileRefused(t *testing.T) {
	home := t.TempDir()
	m := hubFile(t, home, appstest.GGUF("llama", 64))
	grown := m
	grown.Size++
	noDigest := m
	noDigest.SHA256 = "abc"
	for _, bad := range []apps.Model{grown, noDigest} {
		if _, err := apps.GPT4All(filepath.Join(home, "g")).Plan(bad); !errors.Is(err, apps.ErrNotVerified) {
			t.Errorf("got %v, want ErrNotVerified", err)
		}
	}
	p, err := apps.GPT4All(filepath.Join(home, "g")).Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.Path, []byte("changed after the plan"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := apps.Share(p); !errors.Is(err, apps.ErrNotVerified) {
		t.Errorf("share of a changed file: %v, want ErrNotVerified", err)
	}
}

// TestCopyAcrossFileSystems: a store on another file system gets a copy,
// and the plan says what it costs before it is made. It needs a tmpfs at
// /dev/shm on another device than the temporary folder.
func TestCopyAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "apps-test-")
	if err != nil {
		t.Skip("no /dev/shm to copy to")
	}
	t.Cleanup(func() { _ = os.RemoveAll(other) })
	home := t.TempDir()
	if a, b := deviceOf(t, home), deviceOf(t, other); a == b {
		t.Skip("/dev/shm is on the same file system as the temporary folder")
	}
	m := hubFile(t, home, appstest.GGUF("llama", 64))
	p, err := apps.GPT4All(other).Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Means() != apps.Copy || p.CopyBytes() != m.Size {
		t.Fatalf("plan %+v, want a copy of %d bytes", p.Steps, m.Size)
	}
	if err := apps.Share(p); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(m.Path)
	b, _ := os.ReadFile(filepath.Join(other, "Tiny-1B-Q4_K_M.gguf"))
	if string(a) != string(b) {
		t.Error("the copy differs")
	}
	if removed, err := apps.GPT4All(other).Unshare(m); err != nil || len(removed) != 1 {
		t.Errorf("unshare of the copy removed %v (%v)", removed, err)
	}
}

// TestFindFolders: each app's folder as the app itself finds it, from its
// variables and settings files, on each operating system.
func TestFindFolders(t *testing.T) {
	home := t.TempDir()
	env := linuxEnv(home, map[string]string{"OLLAMA_MODELS": "/srv/ollama", "XDG_DATA_HOME": filepath.Join(home, "data")})
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %s, want %s", what, got, want)
		}
	}
	check("ollama", apps.OllamaDir(env), "/srv/ollama")
	check("ollama default", apps.OllamaDir(linuxEnv(home, nil)), filepath.Join(home, ".ollama", "models"))
	check("lm studio", apps.LMStudioModels(env), filepath.Join(home, ".lmstudio", "models"))
	check("jan", apps.JanData(env), filepath.Join(home, "data", "Jan", "data"))
	check("gpt4all", apps.GPT4AllModels(env), filepath.Join(home, "data", "nomic.ai", "GPT4All"))

	writeFile(t, filepath.Join(home, ".lmstudio-home-pointer"), filepath.Join(home, "lms")+"\n")
	check("lm studio pointer", apps.LMStudioModels(env), filepath.Join(home, "lms", "models"))
	writeFile(t, filepath.Join(home, "lms", "settings.json"), `{"downloadsFolder": "/big/models"}`)
	check("lm studio setting", apps.LMStudioModels(env), "/big/models")
	writeFile(t, filepath.Join(home, ".config", "Jan", "settings.json"), `{"data_folder": "/big/jan"}`)
	check("jan setting", apps.JanData(env), "/big/jan")
	writeFile(t, filepath.Join(home, ".config", "nomic.ai", "GPT4All.ini"), "[General]\nmodelPath=/big/gpt4all/\n")
	check("gpt4all setting", apps.GPT4AllModels(env), "/big/gpt4all/")

	win := apps.Env{GOOS: "windows", Home: `C:\Users\p`, Getenv: func(k string) string {
		return map[string]string{"APPDATA": `C:\Users\p\AppData\Roaming`, "LOCALAPPDATA": `C:\Users\p\AppData\Local`}[k]
	}}
	check("gpt4all windows", apps.GPT4AllModels(win), filepath.Join(`C:\Users\p\AppData\Local`, "nomic.ai", "GPT4All"))
	check("jan windows", apps.JanData(win), filepath.Join(`C:\Users\p\AppData\Roaming`, "Jan", "data"))
	mac := apps.Env{GOOS: "darwin", Home: "/Users/p"}
	check("jan mac", apps.JanData(mac), "/Users/p/Library/Application Support/Jan/data")
	check("gpt4all mac", apps.GPT4AllModels(mac), "/Users/p/Library/Application Support/nomic.ai/GPT4All")
}
