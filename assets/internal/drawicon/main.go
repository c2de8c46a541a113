// Command drawicon draws ModelFetch's app icon, assets/icon.png: a rounded
// square in an indigo-to-cyan gradient with a white arrow landing in a
// tray, the picture of "download, and it arrives". It is a program rather
// than a drawing so that the icon can be changed by editing numbers and
// regenerated with `go generate ./assets`.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

const (
	size    = 512
	samples = 4 // per axis: 16 samples a pixel smooth the edges
)

func main() {
	out := "icon.png"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := write(out, draw()); err != nil {
		fmt.Fprintln(os.Stderr, "drawicon:", err)
		os.Exit(1)
	}
}

func write(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rgb is a colour with components from 0 to 1, so that blending is plain
// arithmetic.
type rgb struct{ r, g, b float64 }

func mix(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

var (
	top    = rgb{0.31, 0.27, 0.90} // indigo
	bottom = rgb{0.02, 0.71, 0.83} // cyan
	white  = rgb{1, 1, 1}
	shade  = rgb{0.10, 0.10, 0.30}
)

func draw() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			var acc rgb
			var alpha float64
			for sy := range samples {
				for sx := range samples {
					x := (float64(px) + (float64(sx)+0.5)/samples) / size
					y := (float64(py) + (float64(sy)+0.5)/samples) / size
					c, a := shadeAt(x, y)
					acc.r += c.r * a
					acc.g += c.g * a
					acc.b += c.b * a
					alpha += a
				}
			}
			if alpha == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(acc.r / alpha * 255)),
				G: uint8(math.Round(acc.g / alpha * 255)),
				B: uint8(math.Round(acc.b / alpha * 255)),
				A: uint8(math.Round(alpha / samples / samples * 255)),
			})
		}
	}
	return img
}

// shadeAt is the colour and coverage at (x, y), both from 0 to 1.
func shadeAt(x, y float64) (rgb, float64) {
	const margin, radius = 0.04, 0.2
	if roundedRect(x, y, margin, margin, 1-margin, 1-margin, radius) > 0 {
		return rgb{}, 0
	}
	c := mix(top, bottom, math.Min(1, math.Max(0, (x*0.35+y*0.9-0.1)/1.05)))
	// A soft light from the top left gives the tile some depth.
	if d := math.Hypot(x-0.25, y-0.15); d < 0.6 {
		c = mix(c, white, 0.12*(1-d/0.6))
	}
	if arrow(x, y-0.012) || tray(x, y-0.012) {
		c = mix(c, shade, 0.25) // a faint drop shadow under the glyph
	}
	if arrow(x, y) || tray(x, y) {
		c = white
	}
	return c, 1
}

// arrow is the downward arrow: a shaft and a triangular head.
func arrow(x, y float64) bool {
	const cx = 0.5
	if roundedRect(x, y, cx-0.065, 0.17, cx+0.065, 0.50, 0.04) <= 0 {
		return true
	}
	// The head: a triangle from (0.29, 0.44) to (0.71, 0.44) down to (0.5, 0.66).
	if y < 0.43 || y > 0.665 {
		return false
	}
	half := 0.215 * (0.665 - y) / (0.665 - 0.43)
	return math.Abs(x-cx) <= half
}

// tray is the open box the arrow lands in: a U drawn as one stroke with
// round caps and joins, so that its corners stay smooth.
func tray(x, y float64) bool {
	const w = 0.055
	pts := [][2]float64{{0.22, 0.60}, {0.22, 0.79}, {0.78, 0.79}, {0.78, 0.60}}
	for i := 1; i < len(pts); i++ {
		if segment(x, y, pts[i-1], pts[i]) <= w {
			return true
		}
	}
	return false
}

// segment is the distance from (x, y) to the segment from a to b.
func segment(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Min(1, math.Max(0, t))
	return math.Hypot(x-(a[0]+t*dx), y-(a[1]+t*dy))
}

// roundedRect is the signed distance from (x, y) to a rectangle with
// rounded corners: negative inside.
func roundedRect(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	dx, dy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	outside := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
	return outside + math.Min(math.Max(dx, dy), 0) - r
}
