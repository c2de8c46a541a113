package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
	got := loadSettings(fyne.CurrentApp().Preferences(), h.cfg.ModelsDir)
	if !got.metered || got.net != (network.Settings{Proxy: "http://127.0.0.1:3128"}) {
		t.Errorf("got saved settings %+v", got)
	}
}
