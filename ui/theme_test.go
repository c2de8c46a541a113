package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestFocusCanBeSeen(t *testing.T) {
	test.NewTempApp(t)
	for _, v := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(v.name, func(t *testing.T) {
			base := theme.DefaultTheme()
			got := color.NRGBAModel.Convert(focusTheme{base}.Color(theme.ColorNameFocus, v.variant)).(color.NRGBA)
			faint := color.NRGBAModel.Convert(base.Color(theme.ColorNameFocus, v.variant)).(color.NRGBA)
			primary := color.NRGBAModel.Convert(base.Color(theme.ColorNamePrimary, v.variant)).(color.NRGBA)
			if got.A < 2*faint.A || got.R != primary.R || got.G != primary.G || got.B != primary.B {
				t.Errorf("got focus %v, want the primary colour %v at least twice as strong as Fyne's %v", got, primary, faint)
			}
			ours := focusTheme{base}
			if bg := ours.Color(theme.ColorNameBackground, v.variant); bg != base.Color(theme.ColorNameBackground, v.variant) {
				t.Errorf("got background %v, want Fyne's", bg)
			}
		})
	}
}
