package apps

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// folderStore is an app that finds models as plain files in a folder
// tree: LM Studio, Jan and GPT4All. Share hard-links the verified file
// there (never a symlink: LM Studio shows a symlinked model as 0 bytes or
// not at all) and writes the app's small description beside it if it
// has one.
type folderStore struct {
	name   string
	dir    string                         // the models folder
	target func(m Model) (string, string) // the model file's path under dir, and the app's name for it
	meta   func(m Model) (string, []byte) // a file written beside it, if any
}

func (s folderStore) Name() string { return s.name }
func (s folderStore) Dir() string  { return s.dir }

// Plan links (or copies) the file to its place and writes the app's
// description beside it.
func (s folderStore) Plan(m Model) (Plan, error) {
	if err := m.check(); err != nil {
		return Plan{}, err
	}
	rel, name := s.target(m)
	file, err := placeModel(m, filepath.Join(s.dir, rel), false)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{App: s.name, Name: name, Steps: []Step{file}, model: m}
	if s.meta != nil {
		metaRel, data := s.meta(m)
		meta, err := placeData(filepath.Join(s.dir, metaRel), data)
		if err != nil {
			return Plan{}, err
		}
		p.Steps = append(p.Steps, meta)
	}
	return p, nil
}

// Unshare removes the link or copy Share made and its description, and
// then the folders left empty.
func (s folderStore) Unshare(m Model) ([]string, error) {
	rel, _ := s.target(m)
	var removed []string
	if s.meta != nil {
		metaRel, data := s.meta(m)
		ok, err := removeData(filepath.Join(s.dir, metaRel), data)
		if err != nil {
			return nil, err
		}
		if ok {
			removed = append(removed, filepath.Join(s.dir, metaRel))
		}
	}
	full := filepath.Join(s.dir, rel)
	ok, err := removeOurs(m, full)
	if ok {
		removed = append(removed, full)
	}
	pruneEmpty(filepath.Dir(full), s.dir)
	return removed, err
}

// baseName is the file's name in the repo without its folders.
func baseName(m Model) string { return path.Base(filepath.ToSlash(m.File)) }

// LMStudio is LM Studio's models folder: models/<publisher>/<repo>/<file>,
// as its own downloads from the Hub and `lms import --hard-link` lay it
// out; the model's name there is ORG/REPO.
func LMStudio(dir string) App {
	return folderStore{name: "LM Studio", dir: dir, target: func(m Model) (string, string) {
		return filepath.Join(m.Org, m.Repo, baseName(m)), m.Org + "/" + m.Repo
	}}
}

// LMStudioHome is LM Studio's home as its lms CLI finds it
// (lms-common-server's findLMStudioHome): the path in
// ~/.lmstudio-home-pointer, else ~/.cache/lm-studio when it exists, else
// ~/.lmstudio.
func LMStudioHome(e Env) string {
	if b, err := os.ReadFile(e.home(".lmstudio-home-pointer")); err == nil {
		if p := strings.TrimSpace(string(b)); p != "" {
			return p
		}
	}
	if old := e.home(".cache", "lm-studio"); isDir(old) {
		return old
	}
	return e.home(".lmstudio")
}

// LMStudioModels is LM Studio's models folder: the downloadsFolder of its
// settings.json (in its home, or where `lms import` reads it, in the
// user's config folder under "LM Studio"), else <home>/models.
func LMStudioModels(e Env) string {
	home := LMStudioHome(e)
	for _, settings := range []string{filepath.Join(home, "settings.json"), filepath.Join(e.configDir(), "LM Studio", "settings.json")} {
		var s struct {
			DownloadsFolder string `json:"downloadsFolder"`
		}
		if b, err := os.ReadFile(settings); err == nil && json.Unmarshal(b, &s) == nil && s.DownloadsFolder != "" {
			return s.DownloadsFolder
		}
	}
	return filepath.Join(home, "models")
}

func findLMStudio(e Env) (App, bool) {
	d := LMStudioModels(e)
	return LMStudio(d), isDir(d) || isDir(LMStudioHome(e))
}

// janID is the id a model has in Jan, from the file's name: Jan's
// llamacpp extension takes ids of letters, digits and / _ - . only.
var janUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func janID(m Model) string {
	return strings.Trim(janUnsafe.ReplaceAllString(strings.TrimSuffix(baseName(m), path.Ext(baseName(m))), "-"), ".-")
}

// Jan is the models folder of Jan's llama.cpp engine, <data>/llamacpp/models:
// <id>/model.gguf and <id>/model.yml, whose model_path is relative to
// Jan's data folder, as its own downloads write them
// (extensions/llamacpp-extension, ModelConfig).
func Jan(dataDir string) App {
	return folderStore{name: "Jan", dir: filepath.Join(dataDir, "llamacpp", "models"),
		target: func(m Model) (string, string) { return filepath.Join(janID(m), "model.gguf"), janID(m) },
		meta: func(m Model) (string, []byte) {
			id := janID(m)
			yml := "model_path: llamacpp/models/" + id + "/model.gguf\nname: " + id +
				"\nsize_bytes: " + strconv.FormatInt(m.Size, 10) + "\n"
			return filepath.Join(id, "model.yml"), []byte(yml)
		}}
}

// JanData is Jan's data folder (src-tauri, get_jan_data_folder_path):
// the data_folder of its settings.json, kept in its app folder
// (<data>/jan.ai.app, or the older <config>/Jan on Linux and <data>/Jan
// elsewhere), else <data>/Jan/data.
func JanData(e Env) string {
	legacy := filepath.Join(e.dataDir(), "Jan")
	if e.GOOS == "linux" {
		legacy = filepath.Join(e.configDir(), "Jan")
	}
	for _, settings := range []string{filepath.Join(legacy, "settings.json"), filepath.Join(e.dataDir(), "jan.ai.app", "settings.json")} {
		var s struct {
			DataFolder string `json:"data_folder"`
		}
		if b, err := os.ReadFile(settings); err == nil && json.Unmarshal(b, &s) == nil && s.DataFolder != "" {
			return s.DataFolder
		}
	}
	return filepath.Join(e.dataDir(), "Jan", "data")
}

func findJan(e Env) (App, bool) {
	d := JanData(e)
	return Jan(d), isDir(d)
}

// GPT4All is GPT4All's models folder: a flat folder of .gguf files.
func GPT4All(dir string) App {
	return folderStore{name: "GPT4All", dir: dir, target: func(m Model) (string, string) {
		return baseName(m), baseName(m)
	}}
}

// GPT4AllModels is GPT4All's models folder: the modelPath of its settings
// (Qt's INI file, nomic.ai/GPT4All.ini in the user's config folder), else
// Qt's AppLocalDataLocation, <local data>/nomic.ai/GPT4All
// (gpt4all-chat/src/mysettings.cpp, defaultLocalModelsPath).
func GPT4AllModels(e Env) string {
	ini := filepath.Join(e.xdg("XDG_CONFIG_HOME", ".config"), "nomic.ai", "GPT4All.ini")
	if e.GOOS == "windows" {
		ini = filepath.Join(e.configDir(), "nomic.ai", "GPT4All.ini")
	}
	if p := iniValue(ini, "modelPath"); p != "" {
		return p
	}
	return filepath.Join(e.localDataDir(), "nomic.ai", "GPT4All")
}

// iniValue is key's value in the INI file's general section, "" when
// the file or key is not there.
func iniValue(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	section := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && (section == "" || section == "[General]") && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

func findGPT4All(e Env) (App, bool) {
	d := GPT4AllModels(e)
	return GPT4All(d), isDir(d)
}
