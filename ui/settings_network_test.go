package ui

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/network"
)

// TestNetworkSettingsForm: a proxy that is not a proxy address and a CA
// file that holds no certificate are refused with their sentence; the
// metered pause, a proxy and a CA file are saved and applied.
func TestNetworkSettingsForm(t *testing.T) {
	h := newHarness(t, false)
	h.u.showSettings()
	f := h.u.setup
	f.proxy.SetText("ftp://proxy:21")
	test.Tap(f.save)
	if !f.problem.Visible() || !strings.Contains(f.problem.Text, "is not a proxy address") {
		t.Fatalf("got a bad proxy accepted, saying %q", f.problem.Text)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.proxy.SetText("http://127.0.0.1:3128")
	f.caFile.SetText(ca)
	test.Tap(f.save)
	if !strings.Contains(f.problem.Text, "holds no PEM certificate") {
		t.Fatalf("got a bad CA file accepted, saying %q", f.problem.Text)
	}
	f.caFile.SetText("")
	f.metered.SetChecked(true)
	test.Tap(f.save)
	if h.u.setup != nil {
		t.Fatalf("got the dialog still open: %q", f.problem.Text)
	}
	// Saved where every process reads them, not in the window's own.
	store, err := instance.OpenStore(h.settingsPath, noKeyring)
	if err != nil {
		t.Fatal(err)
	}
	if got := store.Settings(); !got.PauseMetered || got.Network != (network.Settings{Proxy: "http://127.0.0.1:3128"}) {
		t.Errorf("got saved settings %+v", got)
	}
}

// TestProxyPasswordWithoutKeyring: with no keyring, a proxy's password is
// used by the window, said to stay in it only, and never written to the
// settings file.
func TestProxyPasswordWithoutKeyring(t *testing.T) {
	h := newHarness(t, false)
	h.u.showSettings()
	f := h.u.setup
	f.proxy.SetText("http://ada@127.0.0.1:3128")
	f.proxyPW.SetText("s3cret")
	test.Tap(f.save)
	if h.u.setup != nil {
		t.Fatalf("got the dialog still open: %q", f.problem.Text)
	}
	if h.u.prefs.net.Proxy != "http://ada:s3cret@127.0.0.1:3128" {
		t.Errorf("got the window's proxy %q, want it with its password", network.Redact(h.u.prefs.net.Proxy))
	}
	if h.u.dialog == nil {
		t.Error("got nothing said of the password that stays in this window")
	}
	data, err := os.ReadFile(h.settingsPath)
	if err != nil || strings.Contains(string(data), "s3cret") {
		t.Errorf("got the settings file %q (%v), want it without the password", data, err)
	}
	// Opened again, the proxy keeps its saved password when none is typed.
	h.u.dialog.Hide()
	h.u.showSettings()
	test.Tap(h.u.setup.save)
	if h.u.prefs.net.Proxy != "http://ada:s3cret@127.0.0.1:3128" {
		t.Errorf("got %q after saving again, want the password kept", network.Redact(h.u.prefs.net.Proxy))
	}
}

// TestNetworkSettingsCarriedOver: network settings an older ModelFetch
// kept in the window's preferences move, once, to the file every process
// reads.
func TestNetworkSettingsCarriedOver(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetString(prefProxy, "http://127.0.0.1:3128")
	p.SetBool(prefMetered, true)
	store, err := instance.OpenStore(filepath.Join(t.TempDir(), "settings.json"), noKeyring)
	if err != nil {
		t.Fatal(err)
	}
	carryOver(p, store)
	want := instance.Settings{Network: network.Settings{Proxy: "http://127.0.0.1:3128"}, PauseMetered: true}
	if got := store.Settings(); !reflect.DeepEqual(got, want) || p.String(prefProxy) != "" {
		t.Errorf("got %+v in the file and %q left in the preferences, want %+v moved", got, p.String(prefProxy), want)
	}
}
