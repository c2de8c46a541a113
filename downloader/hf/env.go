package hf

import (
	"os"
	"path/filepath"
	"strings"
)

// DefaultEndpoint is the Hub that HF_ENDPOINT replaces.
const DefaultEndpoint = "https://huggingface.co"

// Getenv reads one environment variable; os.Getenv is one, and tests pass
// a map's lookup so that they need not change the process environment.
type Getenv func(key string) string

// env returns the variable, or "" when it is unset or blank: an empty
// HF_HOME means "not set" to a person, whatever Python's getenv says.
func (g Getenv) env(key string) string {
	if g == nil {
		g = os.Getenv
	}
	return strings.TrimSpace(g(key))
}

// expandHome turns a leading "~" into the home directory, as Python's
// os.path.expanduser does for the Hub's variables.
func (g Getenv) expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home := g.env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, p[1:])
}

// Endpoint is HF_ENDPOINT without its trailing slash, else the Hub.
func (g Getenv) Endpoint() string {
	if e := g.env("HF_ENDPOINT"); e != "" {
		return strings.TrimRight(e, "/")
	}
	return DefaultEndpoint
}

// HomeDir is huggingface_hub's HF_HOME: the variable, else
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func (g Getenv) HomeDir() string {
	if h := g.env("HF_HOME"); h != "" {
		return g.expandHome(h)
	}
	if x := g.env("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(g.expandHome(x), "huggingface")
	}
	return g.expandHome("~/.cache/huggingface")
}

// CacheDir is the Hub cache every Hub-aware tool reads: HF_HUB_CACHE, else
// the older HUGGINGFACE_HUB_CACHE, else HomeDir/hub.
func (g Getenv) CacheDir() string {
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if d := g.env(k); d != "" {
			return g.expandHome(d)
		}
	}
	return filepath.Join(g.HomeDir(), "hub")
}

// Offline is HF_HUB_OFFLINE as huggingface_hub reads it (1, ON, YES or
// TRUE in any case): the Hub is not to be asked anything, and only what
// the cache holds is used.
func (g Getenv) Offline() bool {
	switch strings.ToUpper(g.env("HF_HUB_OFFLINE")) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// TokenPath is the file `hf auth login` writes: HF_TOKEN_PATH, else
// HomeDir/token.
func (g Getenv) TokenPath() string {
	if p := g.env("HF_TOKEN_PATH"); p != "" {
		return g.expandHome(p)
	}
	return filepath.Join(g.HomeDir(), "token")
}
