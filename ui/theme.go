package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// focusTheme is a theme whose focus can be seen. Fyne's own focus colour
// is the primary colour at a sixth of its strength, too faint to follow
// with the keyboard; here it is at half.
type focusTheme struct{ fyne.Theme }

var _ fyne.Theme = focusTheme{}

func (t focusTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n != theme.ColorNameFocus {
		return t.Theme.Color(n, v)
	}
	c := color.NRGBAModel.Convert(t.Theme.Color(theme.ColorNamePrimary, v)).(color.NRGBA)
	c.A = 0x80
	return c
}
