package instance

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/adrg/xdg"
	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/network/bustest"
	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// keyring stands in for the desktop's Secret Service: a default
// collection whose items it keeps in memory, as GNOME Keyring does once
// unlocked.
type keyring struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	items map[dbus.ObjectPath]keyringItem
	calls int
}

type keyringItem struct {
	attrs  map[string]string
	secret []byte
}

// startKeyring puts a keyring on the bus of conn.
func startKeyring(t *testing.T, conn *dbus.Conn) *keyring {
	t.Helper()
	k := &keyring{conn: conn, items: map[dbus.ObjectPath]keyringItem{}}
	for path, iface := range map[dbus.ObjectPath]string{secretsPath: secretsService, defaultCollection: secretsCollection} {
		if err := conn.Export(k, path, iface); err != nil {
			t.Fatal(err)
		}
	}
	if reply, err := conn.RequestName(secretsName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("could not own %s: %v", secretsName, err)
	}
	return k
}

func (k *keyring) OpenSession(algorithm string, _ dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	if algorithm != "plain" {
		return dbus.Variant{}, "", dbus.MakeFailedError(errors.New("not supported"))
	}
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

func (k *keyring) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	var found []dbus.ObjectPath
	for path, it := range k.items {
		if it.attrs["proxy"] == attrs["proxy"] && it.attrs["application"] == attrs["application"] {
			found = append(found, path)
		}
	}
	return found, []dbus.ObjectPath{}, nil
}

func (k *keyring) CreateItem(props map[string]dbus.Variant, secret secretValue, replace bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	attrs, _ := props[secretsItem+".Attributes"].Value().(map[string]string)
	path := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/secrets/collection/login/%d", len(k.items)+1))
	for p, it := range k.items {
		if replace && it.attrs["proxy"] == attrs["proxy"] {
			path = p
		}
	}
	k.items[path] = keyringItem{attrs: attrs, secret: secret.Value}
	item := &keyringObject{k: k, path: path}
	if err := k.conn.Export(item, path, secretsItem); err != nil {
		return "", "", dbus.MakeFailedError(err)
	}
	return path, noPrompt, nil
}

// keyringObject is one item of the keyring.
type keyringObject struct {
	k    *keyring
	path dbus.ObjectPath
}

func (o *keyringObject) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	o.k.mu.Lock()
	defer o.k.mu.Unlock()
	return secretValue{Session: session, Value: o.k.items[o.path].secret, ContentType: "text/plain"}, nil
}

func (o *keyringObject) Delete() (dbus.ObjectPath, *dbus.Error) {
	o.k.mu.Lock()
	defer o.k.mu.Unlock()
	delete(o.k.items, o.path)
	return noPrompt, nil
}

// TestSettingsStore: the settings are one file, 0600, that every process
// reads; the proxy's password is in the keyring, never in the file, and
// comes back with it; the engine's transport goes through the proxy.
func TestSettingsStore(t *testing.T) {
	conn := bustest.Connect(t, bustest.Start(t))
	keys := startKeyring(t, conn)
	secrets := func() (Secrets, error) { return OpenSecrets(conn) }
	path := filepath.Join(t.TempDir(), "modelfetch", "settings.json")
	store, err := OpenStore(path, secrets)
	if err != nil || !reflect.DeepEqual(store.Settings(), Settings{}) {
		t.Fatalf("got %+v, %v with no file, want the defaults", store.Settings(), err)
	}
	want := Settings{Network: network.Settings{Proxy: "http://ada:s3cret@127.0.0.1:3128"}, PauseMetered: true, ShareNew: []string{"ollama", "lmstudio"}}
	if err := store.Save(want); err != nil {
		t.Fatal(err)
	}
	if len(keys.items) != 1 {
		t.Errorf("got %d secrets in the keyring, want the proxy's password", len(keys.items))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 || strings.Contains(string(data), "s3cret") || !strings.Contains(string(data), "ada@127.0.0.1") {
		t.Fatalf("got %s (mode %v), want the proxy without its password, 0600", data, st.Mode().Perm())
	}

	again, err := OpenStore(path, secrets)
	if err != nil || !reflect.DeepEqual(again.Settings(), want) {
		t.Fatalf("got %+v, %v from a new start, want %+v", again.Settings(), err, want)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://example.org/model.gguf", nil)
	proxy, err := again.Wrap(http.DefaultTransport).(*http.Transport).Proxy(req)
	if err != nil || proxy == nil || proxy.String() != want.Network.Proxy {
		t.Errorf("got the engine's proxy %v, %v; want %s", proxy, err, network.Redact(want.Network.Proxy))
	}

}

// TestSettingsKeyringOnlyForAPassword: a proxy without a user never asks
// the keyring; a password taken away is removed from it.
func TestSettingsKeyringOnlyForAPassword(t *testing.T) {
	conn := bustest.Connect(t, bustest.Start(t))
	keys := startKeyring(t, conn)
	store, err := OpenStore(filepath.Join(t.TempDir(), "settings.json"), func() (Secrets, error) { return OpenSecrets(conn) })
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(Settings{Network: network.Settings{Proxy: "http://127.0.0.1:3128"}}); err != nil || keys.calls != 0 {
		t.Fatalf("got %v and %d calls to the keyring for a proxy without a user, want none", err, keys.calls)
	}
	for _, proxy := range []string{"http://ada:s3cret@127.0.0.1:3128", "http://ada@127.0.0.1:3128"} {
		if err := store.Save(Settings{Network: network.Settings{Proxy: proxy}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(keys.items) != 0 {
		t.Errorf("got %d secrets kept after the password was taken away, want none", len(keys.items))
	}
}

// TestSettingsWithoutKeyring: with no keyring, the password is used by
// this process only and said so in a sentence; the file never holds it.
func TestSettingsWithoutKeyring(t *testing.T) {
	none := func() (Secrets, error) { return nil, errors.New("no session bus") }
	path := filepath.Join(t.TempDir(), "settings.json")
	store, err := OpenStore(path, none)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Network: network.Settings{Proxy: "http://ada:s3cret@127.0.0.1:3128", CAFile: "/etc/ssl/company.pem"}}
	err = store.Save(want)
	var pe *PasswordError
	if !errors.As(err, &pe) || !store.MemoryOnly() || !reflect.DeepEqual(store.Settings(), want) {
		t.Fatalf("got %v (memory only %v, %+v), want the password kept in memory and said", err, store.MemoryOnly(), store.Settings())
	}
	wordstest.IsSentence(t, words.Sentence(err), "keyring")
	if strings.Contains(words.Sentence(err), "s3cret") || strings.Contains(err.Error(), "s3cret") {
		t.Error("got the password in the error")
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "s3cret") || !strings.Contains(string(data), "company.pem") {
		t.Errorf("got the file %s", data)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if broken, err := OpenStore(path, none); err == nil || !reflect.DeepEqual(broken.Settings(), Settings{}) {
		t.Errorf("got %+v, %v from a broken file, want the defaults and an error", broken.Settings(), err)
	}
}

// TestEnvFollowsSettings: every start (get, serve, the user unit, the
// window) takes the metered choice and the proxy from the settings file:
// the engine's requests go through the proxy.
func TestEnvFollowsSettings(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host == "modelfetch.invalid" { // an absolute URI: asked as a proxy
			proxied.Add(1)
		}
		fmt.Fprint(w, "from the proxy")
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	xdg.Reload()
	t.Cleanup(xdg.Reload)
	store, err := OpenStore(SettingsPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(Settings{Network: network.Settings{Proxy: proxy.URL}, PauseMetered: true, ShareNew: []string{"jan"}}); err != nil {
		t.Fatal(err)
	}
	env := NewEnv([]byte("[]"), Version{})
	if !env.Config.PauseMetered || !slices.Equal(env.Config.ShareNew, []string{"jan"}) || env.SettingsErr != nil {
		t.Errorf("got metered pause %v, new models for %q (%v), want the file's", env.Config.PauseMetered, env.Config.ShareNew, env.SettingsErr)
	}
	client := &http.Client{Transport: env.Config.Wrap(http.DefaultTransport.(*http.Transport).Clone())}
	resp, err := client.Get("http://modelfetch.invalid/model.gguf") // .invalid: never a real host
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proxied.Load() != 1 {
		t.Error("got the engine's request past the proxy of the settings")
	}
}

// TestSettingsAppsAsKeys: the apps new models go to are kept as keys, each
// once; names written by hand are read as people write them, and a name
// of no app is dropped, so that the engine is never asked for it.
func TestSettingsAppsAsKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(path, []byte(`{"shareNew": ["LM Studio", "ollama", "lm-studio", "notepad"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := OpenStore(path, nil)
	if got, want := store.Settings().ShareNew, []string{"lmstudio", "ollama"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v, want %q", got, err, want)
	}
	store.Settings().ShareNew[0] = "changed"
	if got := store.Settings().ShareNew[0]; got != "lmstudio" {
		t.Errorf("a caller's change to Settings reached the store: got %q", got)
	}
}
