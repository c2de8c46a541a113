package instance

import (
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// The Secret Service (org.freedesktop.secrets), the desktop's keyring on
// Linux and the BSDs: GNOME Keyring, KWallet, KeePassXC.
const (
	secretsName       = "org.freedesktop.secrets"
	secretsPath       = "/org/freedesktop/secrets"
	secretsService    = "org.freedesktop.Secret.Service"
	secretsItem       = "org.freedesktop.Secret.Item"
	secretsCollection = "org.freedesktop.Secret.Collection"
	defaultCollection = "/org/freedesktop/secrets/aliases/default"
	noPrompt          = "/"
)

// errLocked is a keyring that asks to be unlocked first: a background
// process cannot show the desktop's prompt.
var errLocked = errors.New("the keyring is locked")

// secretService is a Secrets on the Secret Service, over conn, with a
// plain session: the secret crosses the private connection to the
// session bus only, as every client of a local keyring does.
type secretService struct {
	conn    *dbus.Conn
	session dbus.ObjectPath
}

// secretValue is the Secret Service's Secret struct (oayays).
type secretValue struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// SessionSecrets opens the Secret Service on the desktop's session bus;
// it never starts a bus of its own. The caller closes nothing: the
// connection lives as long as the process.
func SessionSecrets() (Secrets, error) {
	conn, err := SessionBus()
	if err != nil {
		return nil, err
	}
	return OpenSecrets(conn)
}

// SessionBus connects to the desktop's session bus; the caller closes it.
// It never starts a bus of its own (dbus-launch): only the session's
// counts, for the Secret Service as for the tray and notifications.
func SessionBus() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, err
	}
	if err = conn.Auth(nil); err == nil {
		err = conn.Hello()
	}
	if err != nil {
		_ = conn.Close() // what failed is err
		return nil, err
	}
	return conn, nil
}

// OpenSecrets opens a session of the Secret Service on conn.
func OpenSecrets(conn *dbus.Conn) (Secrets, error) {
	var output dbus.Variant
	var session dbus.ObjectPath
	err := conn.Object(secretsName, secretsPath).Call(secretsService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&output, &session)
	if err != nil {
		return nil, fmt.Errorf("open a session of the secret service: %w", err)
	}
	return &secretService{conn: conn, session: session}, nil
}

// attributes name ModelFetch's secret for key, as keyrings show them.
func attributes(key string) map[string]string {
	return map[string]string{"application": "modelfetch", "proxy": key}
}

// items are the unlocked items of key.
func (s *secretService) items(key string) ([]dbus.ObjectPath, error) {
	var unlocked, locked []dbus.ObjectPath
	err := s.conn.Object(secretsName, secretsPath).Call(secretsService+".SearchItems", 0, attributes(key)).Store(&unlocked, &locked)
	if err != nil {
		return nil, fmt.Errorf("search the keyring: %w", err)
	}
	if len(unlocked) == 0 && len(locked) > 0 {
		return nil, errLocked
	}
	return unlocked, nil
}

func (s *secretService) Secret(key string) (string, error) {
	items, err := s.items(key)
	if err != nil || len(items) == 0 {
		return "", err
	}
	var v secretValue
	if err := s.conn.Object(secretsName, items[0]).Call(secretsItem+".GetSecret", 0, s.session).Store(&v); err != nil {
		return "", fmt.Errorf("read the keyring: %w", err)
	}
	return string(v.Value), nil
}

func (s *secretService) SetSecret(key, label, secret string) error {
	if secret == "" {
		return s.remove(key)
	}
	props := map[string]dbus.Variant{
		secretsItem + ".Label":      dbus.MakeVariant(label),
		secretsItem + ".Attributes": dbus.MakeVariant(attributes(key)),
	}
	v := secretValue{Session: s.session, Value: []byte(secret), ContentType: "text/plain"}
	var item, prompt dbus.ObjectPath
	err := s.conn.Object(secretsName, defaultCollection).Call(secretsCollection+".CreateItem", 0, props, v, true).Store(&item, &prompt)
	switch {
	case err != nil:
		return fmt.Errorf("write to the keyring: %w", err)
	case prompt != noPrompt:
		return errLocked
	}
	return nil
}

// remove deletes key's secret, if there is one.
func (s *secretService) remove(key string) error {
	items, err := s.items(key)
	for _, item := range items {
		var prompt dbus.ObjectPath
		if err := s.conn.Object(secretsName, item).Call(secretsItem+".Delete", 0).Store(&prompt); err != nil {
			return fmt.Errorf("remove from the keyring: %w", err)
		}
	}
	return err
}
