package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var (
	_ desktop.Hoverable = (*tipButton)(nil)
	_ desktop.Hoverable = (*tipLabel)(nil)
	_ fyne.Widget       = (*stateBar)(nil)
)

// tooltips shows one small bubble of text over the window's content, near
// the pointer. Fyne 2.7 has no tooltips, and a pop-up would take the
// pointer from the widget under it, so the bubble is drawn in a layer
// of plain canvas objects, which no event stops at.
type tooltips struct {
	layer  *fyne.Container // fills the window, above its content
	bubble *fyne.Container
	bg     *canvas.Rectangle
	lines  *fyne.Container
}

// tipWidth is the widest a tooltip grows before its words wrap.
const tipWidth = 420

func newTooltips() *tooltips {
	t := &tooltips{bg: canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground)), lines: container.NewVBox()}
	t.bg.StrokeColor = theme.Color(theme.ColorNameShadow)
	t.bg.StrokeWidth = 1
	t.bg.CornerRadius = 4
	t.bubble = container.NewStack(t.bg, container.NewPadded(t.lines))
	t.bubble.Hide()
	t.layer = container.NewWithoutLayout(t.bubble)
	return t
}

// show puts text in the bubble just under the pointer at abs (a position
// on the canvas), kept inside the window.
func (t *tooltips) show(text string, abs fyne.Position) {
	if text == "" {
		return
	}
	t.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	t.lines.RemoveAll()
	textSize := theme.TextSize()
	for _, line := range wrapWords(text, tipWidth, textSize) {
		c := canvas.NewText(line, theme.Color(theme.ColorNameForeground))
		c.TextSize = textSize
		t.lines.Add(c)
	}
	size := t.bubble.MinSize()
	t.bubble.Resize(size)
	origin := fyne.CurrentApp().Driver().AbsolutePositionForObject(t.layer)
	pos := abs.Subtract(origin).Add(fyne.NewPos(8, 20))
	bounds := t.layer.Size()
	pos.X = max(0, min(pos.X, bounds.Width-size.Width))
	if pos.Y+size.Height > bounds.Height {
		pos.Y = max(0, pos.Y-size.Height-28)
	}
	t.bubble.Move(pos)
	t.bubble.Show()
	t.layer.Refresh()
}

func (t *tooltips) hide() {
	if t.bubble.Visible() {
		t.bubble.Hide()
		t.layer.Refresh()
	}
}

// wrapWords breaks text into lines no wider than width at text size.
func wrapWords(text string, width, size float32) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		next := strings.TrimSpace(line + " " + word)
		if line != "" && fyne.MeasureText(next, size, fyne.TextStyle{}).Width > width {
			lines = append(lines, line)
			next = word
		}
		line = next
	}
	return append(lines, line)
}

// tipButton is a button, often an icon alone, that says what it does
// when the pointer rests on it.
type tipButton struct {
	widget.Button
	tips *tooltips
	tip  string
}

func newTipButton(tips *tooltips, icon fyne.Resource, tip string, tapped func()) *tipButton {
	b := &tipButton{tips: tips, tip: tip}
	b.Icon, b.OnTapped = icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *tipButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	b.tips.show(b.tip, e.AbsolutePosition)
}

func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	b.tips.hide()
}

func (b *tipButton) Tapped(e *fyne.PointEvent) {
	b.tips.hide()
	b.Button.Tapped(e)
}

// tipLabel is a label cut with an ellipsis to fit, that shows its whole
// text when the pointer rests on it and it was cut.
type tipLabel struct {
	widget.Label
	tips *tooltips
	tip  string // said on hover whether cut or not; "" for the text when cut
}

func newTipLabel(tips *tooltips, style fyne.TextStyle) *tipLabel {
	l := &tipLabel{tips: tips}
	l.TextStyle = style
	l.Truncation = fyne.TextTruncateEllipsis
	l.ExtendBaseWidget(l)
	return l
}

func (l *tipLabel) MouseIn(e *desktop.MouseEvent) {
	if l.tip != "" {
		l.tips.show(l.tip, e.AbsolutePosition)
		return
	}
	size := theme.Size(l.SizeName)
	if l.SizeName == "" {
		size = theme.TextSize()
	}
	if fyne.MeasureText(l.Text, size, l.TextStyle).Width+2*theme.InnerPadding() > l.Size().Width {
		l.tips.show(l.Text, e.AbsolutePosition)
	}
}

func (l *tipLabel) MouseMoved(*desktop.MouseEvent) {}

func (l *tipLabel) MouseOut() { l.tips.hide() }

// barKind is what a bar's colour says.
type barKind int

const (
	barIdle barKind = iota // queued or cancelled: the track alone
	barRunning
	barPaused
	barFailed
	barDone
)

// stateBar is a thin progress bar coloured by state. It never animates:
// a queued fetch shows an empty track, an unknown size an empty one too.
type stateBar struct {
	widget.BaseWidget
	kind     barKind
	fraction float64
}

func newStateBar() *stateBar {
	b := &stateBar{}
	b.ExtendBaseWidget(b)
	return b
}

// set shows fraction (0 to 1; below 0 while unknown) in kind's colour.
func (b *stateBar) set(kind barKind, fraction float64) {
	if b.kind == kind && b.fraction == fraction {
		return
	}
	b.kind, b.fraction = kind, fraction
	b.Refresh()
}

func (b *stateBar) CreateRenderer() fyne.WidgetRenderer {
	r := &stateBarRenderer{b: b, track: canvas.NewRectangle(nil), fill: canvas.NewRectangle(nil)}
	r.track.CornerRadius, r.fill.CornerRadius = 3, 3
	r.Refresh()
	return r
}

type stateBarRenderer struct {
	b           *stateBar
	track, fill *canvas.Rectangle
}

// barHeight is the bar's height in pixels.
const barHeight = 6

func (r *stateBarRenderer) Layout(size fyne.Size) {
	top := (size.Height - barHeight) / 2
	r.track.Move(fyne.NewPos(0, top))
	r.track.Resize(fyne.NewSize(size.Width, barHeight))
	r.fill.Move(fyne.NewPos(0, top))
	r.fill.Resize(fyne.NewSize(size.Width*float32(max(r.b.fraction, 0)), barHeight))
}

func (r *stateBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, barHeight+2) }

func (r *stateBarRenderer) Refresh() {
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.fill.FillColor = theme.Color(barColors[r.b.kind])
	r.fill.Hidden = r.b.kind == barIdle || r.b.fraction <= 0
	r.Layout(r.b.Size())
	r.track.Refresh()
	r.fill.Refresh()
}

// barColors are the theme's colours for each state, so that light and
// dark themes both read well.
var barColors = map[barKind]fyne.ThemeColorName{
	barIdle:    theme.ColorNameDisabled,
	barRunning: theme.ColorNamePrimary,
	barPaused:  theme.ColorNameWarning,
	barFailed:  theme.ColorNameError,
	barDone:    theme.ColorNameSuccess,
}

func (r *stateBarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.track, r.fill} }

func (r *stateBarRenderer) Destroy() {}

// fixedWidth holds o at the width of the widest of samples, so that a
// button whose text changes keeps its size.
func fixedWidth(o fyne.CanvasObject, samples ...fyne.CanvasObject) fyne.CanvasObject {
	size := o.MinSize()
	for _, s := range samples {
		size = size.Max(s.MinSize())
	}
	return container.New(&fixedWidthLayout{width: size.Width}, o)
}

type fixedWidthLayout struct{ width float32 }

func (l *fixedWidthLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(size.Width, h))
		o.Move(fyne.NewPos(0, (size.Height-h)/2))
	}
}

func (l *fixedWidthLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objects {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}
