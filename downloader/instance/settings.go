package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/adrg/xdg"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// Settings are what a person chose in the window's Settings that every
// process of ModelFetch follows: the window, `modelfetch get`, `modelfetch
// serve` and the user unit read them when they start, from one file.
type Settings struct {
	// Network is the proxy, with its password when it has one, and the
	// extra CA file.
	Network network.Settings
	// PauseMetered pauses downloads on a metered connection.
	PauseMetered bool
	// ShareNew are the apps (apps.Keys) every Hub model downloaded from
	// now on is made available to (the engine's Config.ShareNew).
	ShareNew []string
}

// settingsFile is Settings as the file keeps them: the proxy without its
// password, which is kept in the desktop's secret store.
type settingsFile struct {
	Proxy        string   `json:"proxy,omitempty"`
	CAFile       string   `json:"caFile,omitempty"`
	PauseMetered bool     `json:"pauseMetered,omitempty"`
	ShareNew     []string `json:"shareNew,omitempty"`
}

// SettingsPath is where the settings are kept:
// $XDG_CONFIG_HOME/modelfetch/settings.json.
func SettingsPath() string { return filepath.Join(xdg.ConfigHome, "modelfetch", "settings.json") }

// Store keeps the settings of every process in one file, written
// atomically and readable by its owner only, and a proxy's password in
// the desktop's secret store (Secret Service), never in the file and
// never in the log. It is safe for concurrent use.
type Store struct {
	path    string
	secrets func() (Secrets, error) // the secret store, when there is one

	mu       sync.Mutex
	current  Settings
	memoryPW bool // the proxy's password is kept in memory only: no secret store took it
}

// Secrets is a secret store: the desktop's keyring.
type Secrets interface {
	// Secret is the secret stored for key, "" when none is.
	Secret(key string) (string, error)
	// SetSecret stores secret for key, labelled label; "" removes it.
	SetSecret(key, label, secret string) error
}

// OpenStore reads the settings at path; secrets opens the secret store,
// asked only when the proxy has a user name (nil: there is none). A missing file is the
// defaults. A file that cannot be read is an error, and the defaults.
func OpenStore(path string, secrets func() (Secrets, error)) (*Store, error) {
	s := &Store{path: path, secrets: secrets}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	var f settingsFile
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		return s, &SettingsError{Path: path, Err: err}
	}
	s.current = Settings{Network: network.Settings{Proxy: f.Proxy, CAFile: f.CAFile}, PauseMetered: f.PauseMetered, ShareNew: appKeys(f.ShareNew)}
	s.current.Network.Proxy, err = s.withPassword(f.Proxy)
	return s, err
}

// Settings are the settings now; a nil Store's are the defaults.
func (s *Store) Settings() Settings {
	if s == nil {
		return Settings{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.current
	v.ShareNew = slices.Clone(v.ShareNew) // the caller's to change
	return v
}

// appKeys are the apps of names that are apps, as keys (an "LM Studio"
// written by hand is lmstudio), each once; nil for none.
func appKeys(names []string) []string {
	var keys []string
	for _, n := range names {
		if k := apps.Key(n); slices.Contains(apps.Keys(), k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Save makes v the settings of this process and of every process that
// starts after: the file first, the password in the secret store. When
// there is no secret store, the password is used by this process only,
// and the error says so (*PasswordError); the rest is saved.
func (s *Store) Save(v Settings) error {
	proxy, password := splitPassword(v.Network.Proxy)
	v.ShareNew = appKeys(v.ShareNew)
	f := settingsFile{Proxy: proxy, CAFile: v.Network.CAFile, PauseMetered: v.PauseMetered, ShareNew: v.ShareNew}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("save the settings: %w", err)
	}
	if err := disk.WriteFile(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the settings: %w", err)
	}
	err = s.storePassword(proxy, password)
	s.mu.Lock()
	s.current, s.memoryPW = v, err != nil
	s.mu.Unlock()
	return err
}

// storePassword keeps the proxy's password in the secret store, or
// removes the one kept when the proxy has none.
func (s *Store) storePassword(proxy, password string) error {
	if proxy == "" || (password == "" && !hasUser(proxy)) {
		return nil
	}
	store, err := s.secretStore()
	if err == nil {
		err = store.SetSecret(proxy, "ModelFetch: the password of the proxy "+proxy, password)
	}
	if err != nil && password != "" {
		return &PasswordError{Proxy: proxy, Err: err}
	}
	return nil
}

// withPassword is proxy with the password the secret store keeps for it,
// when it names a user.
func (s *Store) withPassword(proxy string) (string, error) {
	if !hasUser(proxy) {
		return proxy, nil
	}
	store, err := s.secretStore()
	var password string
	if err == nil {
		password, err = store.Secret(proxy)
	}
	if err != nil {
		return proxy, &PasswordError{Proxy: proxy, Read: true, Err: err}
	}
	u, _ := url.Parse(proxy) // hasUser parsed it
	if password != "" {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	return u.String(), nil
}

// errNoSecrets is a Store made without a secret store.
var errNoSecrets = errors.New("no secret store")

// secretStore opens the secret store.
func (s *Store) secretStore() (Secrets, error) {
	if s.secrets == nil {
		return nil, errNoSecrets
	}
	return s.secrets()
}

// MemoryOnly reports whether the proxy's password is kept by this process
// only, since no secret store took it.
func (s *Store) MemoryOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.memoryPW
}

// Wrap configures a copy of base, the engine's transport, with the proxy
// and CA file of the settings now (network.Configure), so that every
// process reaches the network as the person chose; a base that is not an
// *http.Transport, or settings it cannot use, leave base as it is (the
// window says why when they are saved); a nil Store leaves base as it
// is. The engine calls it again when its settings change
// (Manager.SetNetworkSettings), so save the store first.
func (s *Store) Wrap(base http.RoundTripper) http.RoundTripper {
	t, ok := base.(*http.Transport)
	if !ok || s == nil {
		return base
	}
	t = t.Clone()
	if err := network.Configure(t, s.Settings().Network); err != nil {
		return base
	}
	return t
}

// WarnSettings reports a settings file that could not be read (or a
// proxy's password the keyring could not give): the start goes on with
// the defaults.
func (env Env) WarnSettings() {
	if env.SettingsErr != nil {
		env.Warn("%s", words.Sentence(env.SettingsErr))
	}
}

// SettingsError is a settings file that could not be read: the defaults
// are used.
type SettingsError struct {
	Path string
	Err  error
}

func (e *SettingsError) Error() string { return fmt.Sprintf("read the settings %s: %v", e.Path, e.Err) }

func (e *SettingsError) Unwrap() error { return e.Err }

// Sentence says what is used instead, and what to do.
func (e *SettingsError) Sentence() string {
	return fmt.Sprintf("The settings in %s could not be read, so ModelFetch uses its defaults; save them again in the window's Settings.", e.Path)
}

// PasswordError is a proxy's password that the secret store could not
// keep, or give (Read).
type PasswordError struct {
	Proxy string // without its password
	Read  bool
	Err   error
}

func (e *PasswordError) Error() string {
	return fmt.Sprintf("the secret store for the proxy %s: %v", e.Proxy, e.Err)
}

func (e *PasswordError) Unwrap() error { return e.Err }

// Sentence says what happened to the password, and what to do.
func (e *PasswordError) Sentence() string {
	if e.Read {
		return fmt.Sprintf("The password of the proxy %s could not be read from the desktop's keyring, so the proxy is used without it; unlock the keyring, or type the password in Settings again.", e.Proxy)
	}
	return fmt.Sprintf("The password of the proxy %s could not be kept in the desktop's keyring, so only this window uses it, until it quits; "+
		"`modelfetch get` and `modelfetch serve` reach the proxy without it. Unlock or install a keyring (GNOME Keyring, KWallet) and save again.", e.Proxy)
}

// SplitProxy is proxy without its password, and the password: what a
// settings field shows, and what the keyring keeps.
func SplitProxy(proxy string) (address, password string) { return splitPassword(proxy) }

// JoinProxy is address with password for its user; address itself when
// it names no user or password is "".
func JoinProxy(address, password string) string {
	u, err := url.Parse(address)
	if err != nil || u.User == nil || password == "" {
		return address
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// splitPassword is proxy without its password, and the password.
func splitPassword(proxy string) (string, string) {
	u, err := url.Parse(proxy)
	if err != nil || u.User == nil {
		return proxy, ""
	}
	password, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	return u.String(), password
}

// hasUser reports whether proxy is an address with a user name.
func hasUser(proxy string) bool {
	u, err := url.Parse(proxy)
	return err == nil && u.User != nil && u.User.Username() != ""
}
