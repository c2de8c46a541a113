package apps

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Env is what finding an app's folder reads: the operating system, the
// home folder and the environment. Tests give their own, so that every
// operating system's rules run everywhere.
type Env struct {
	GOOS   string
	Home   string
	Getenv func(string) string
}

// System is this machine's Env.
func System() Env {
	home, _ := os.UserHomeDir()
	return Env{GOOS: runtime.GOOS, Home: home, Getenv: os.Getenv}
}

// get is a variable without surrounding blanks (and quotes, as Ollama
// reads its own), "" when unset.
func (e Env) get(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(e.Getenv(key)), `"'`)
}

// home joins parts under the home folder.
func (e Env) home(parts ...string) string {
	return filepath.Join(append([]string{e.Home}, parts...)...)
}

// xdg is an XDG base folder: the variable when it is an absolute path,
// else the default under the home folder.
func (e Env) xdg(key string, def ...string) string {
	if v := e.get(key); filepath.IsAbs(v) {
		return v
	}
	return e.home(def...)
}

// configDir is where apps keep settings: $XDG_CONFIG_HOME (~/.config),
// ~/Library/Application Support, %APPDATA%.
func (e Env) configDir() string {
	switch e.GOOS {
	case "darwin":
		return e.home("Library", "Application Support")
	case "windows":
		return e.appData("APPDATA", "Roaming")
	}
	return e.xdg("XDG_CONFIG_HOME", ".config")
}

// dataDir is where apps keep data, as Rust's dirs::data_dir (Jan's Tauri)
// gives it: $XDG_DATA_HOME (~/.local/share), ~/Library/Application
// Support, %APPDATA%.
func (e Env) dataDir() string {
	switch e.GOOS {
	case "darwin":
		return e.home("Library", "Application Support")
	case "windows":
		return e.appData("APPDATA", "Roaming")
	}
	return e.xdg("XDG_DATA_HOME", ".local", "share")
}

// localDataDir is Qt's AppLocalDataLocation root (GPT4All): the same as
// dataDir but %LOCALAPPDATA% on Windows.
func (e Env) localDataDir() string {
	if e.GOOS == "windows" {
		return e.appData("LOCALAPPDATA", "Local")
	}
	return e.dataDir()
}

func (e Env) appData(key, sub string) string {
	if v := e.get(key); v != "" {
		return v
	}
	return e.home("AppData", sub)
}

// isDir reports whether p is an existing folder.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
