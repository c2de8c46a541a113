package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/modelfetch/modelfetch/downloader/instance"
)

func TestAboutNamesTheBuild(t *testing.T) {
	h := newHarness(t, false)
	h.u.opts.Version = instance.Version{Version: "1.2.3", Commit: "0123456789ab-dirty", Go: "go1.99.1"}
	h.u.showAbout()
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("got no About dialog")
	}
	var shown []string
	for _, o := range test.LaidOutObjects(top) {
		if l, ok := o.(*widget.Label); ok {
			shown = append(shown, l.Text)
		}
	}
	for _, want := range []string{"1.2.3", "0123456789ab-dirty", "go1.99.1"} {
		if !slices.Contains(shown, want) {
			t.Errorf("got labels %q, want one reading %q", shown, want)
		}
	}
}
