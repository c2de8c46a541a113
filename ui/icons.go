package ui

import (
	"bytes"
	"image"
	"image/png"

	_ "image/jpeg" // fetch icons may be JPEG

	"fyne.io/fyne/v2"
	"golang.org/x/image/draw"
)

// rowIconSize is the size, in pixels, at which row and card icons are
// kept: twice the 32 they are shown at, for screens that scale by two.
const rowIconSize = 64

// smallIcon is res scaled down to rowIconSize, or res itself when it is
// small already or not an image. Fyne decodes an image resource in full
// for every icon that shows it, and keeps it: the app's 512-pixel icon in
// each row and card held a megabyte apiece.
func smallIcon(res fyne.Resource) fyne.Resource {
	if res == nil {
		return nil
	}
	src, _, err := image.Decode(bytes.NewReader(res.Content()))
	if err != nil {
		return res // an SVG, drawn at its size anyway
	}
	b := src.Bounds()
	if b.Dx() <= rowIconSize && b.Dy() <= rowIconSize {
		return res
	}
	w, h := rowIconSize, rowIconSize
	if b.Dx() > b.Dy() {
		h = max(1, b.Dy()*rowIconSize/b.Dx())
	} else {
		w = max(1, b.Dx()*rowIconSize/b.Dy())
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return res
	}
	return fyne.NewStaticResource("small-"+res.Name(), out.Bytes())
}
