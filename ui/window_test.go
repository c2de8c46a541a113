package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/modelfetch/modelfetch/downloader"
)

// longTitle is a catalog title far wider than any window.
const longTitle = "Meta Llama 3.1 8B Instruct, quantised to 4 bits (Q4_K_M) in GGUF for llama.cpp, Ollama and LM Studio, with the long names some catalogs give their models"

func TestWindowFitsHalfASmallScreen(t *testing.T) {
	h := newHarnessWith(t, true, func(o *Options) {
		o.Catalog = append([]downloader.Model{{ID: "llama-long", Title: longTitle,
			Files: []downloader.ModelFile{{URL: "http://127.0.0.1:1/llama.gguf"}}}}, o.Catalog...)
	})
	test.Tap(h.gemmaCard().button)
	h.waitFor("bytes to arrive", func() bool {
		s, _ := h.m.Get("gemma-2b")
		return h.rowState("gemma-2b") == "Downloading" && s.Downloaded > 0
	})
	min := h.u.win.Content().MinSize()
	if min.Width > 640 {
		t.Fatalf("got a minimum width of %v px with a long title in the catalog, want at most 640", min.Width)
	}
	h.u.win.Resize(fyne.NewSize(640, 480))
	h.waitFor("the layout at 640 px", func() bool { return h.row("gemma-2b") != nil && h.row("gemma-2b").line.Size().Width > 0 })
	r := h.row("gemma-2b")
	// A line as long as a running row's gets must fit uncut.
	need := fyne.MeasureText(widestLine, theme.CaptionTextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding()
	if r.line.Size().Width < need {
		t.Errorf("got %v px for the row's line at 640 px, want %v for %q", r.line.Size().Width, need, widestLine)
	}
	if got := h.u.status.Size().Width; got < h.u.status.MinSize().Width {
		t.Errorf("got the status line %v px wide, want its %v", got, h.u.status.MinSize().Width)
	}
	card := h.u.cards[0]
	if card.title.Text != longTitle || card.title.Truncation != fyne.TextTruncateEllipsis {
		t.Errorf("got the long title %q cut %v, want it whole in the label and cut with an ellipsis", card.title.Text, card.title.Truncation)
	}
	if w := card.button.Size().Width; w < card.button.MinSize().Width {
		t.Errorf("got the card's button %v px wide, want at least %v", w, card.button.MinSize().Width)
	}
	// Its tooltip says the whole title.
	card.title.MouseIn(hoverAt(card.title))
	if !h.u.tips.bubble.Visible() || !strings.Contains(tipText(h.u.tips), "Ollama") {
		t.Errorf("got tooltip %q (shown %v), want the whole title", tipText(h.u.tips), h.u.tips.bubble.Visible())
	}
	card.title.MouseOut()
	if h.u.tips.bubble.Visible() {
		t.Error("got the tooltip still shown after the pointer left")
	}
	h.srv.open()
}

func TestSplitRemembered(t *testing.T) {
	h := newHarness(t, false)
	h.u.split.SetOffset(0.5)
	h.u.saveLayout()
	if got := fyne.CurrentApp().Preferences().Float(prefSplit); got != 0.5 {
		t.Errorf("got split %v saved, want 0.5", got)
	}
	h2 := New(fyne.CurrentApp(), h.m, Options{Do: h.do, Bus: h.u.opts.Bus, Notify: func(*fyne.Notification) {}})
	defer h2.Stop()
	if h2.split.Offset != 0.5 {
		t.Errorf("got split %v in a new window, want 0.5", h2.split.Offset)
	}
}

func hoverAt(o fyne.CanvasObject) *desktop.MouseEvent {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return &desktop.MouseEvent{PointEvent: fyne.PointEvent{AbsolutePosition: pos}}
}

// tipText is what the tooltip says.
func tipText(t *tooltips) string {
	var lines []string
	for _, o := range t.lines.Objects {
		lines = append(lines, o.(*canvas.Text).Text)
	}
	return strings.Join(lines, " ")
}
