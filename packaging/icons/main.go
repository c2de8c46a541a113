// Command icons writes the app icon at the sizes desktops look for, in the
// hicolor theme's layout: OUT/48x48/apps/io.github.modelfetch.png and so
// on. make build runs it, so the sizes always come from assets/icon.png.
//
//	go run ./packaging/icons -src assets/icon.png -out bin/icons 48 64 128 256 512
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/image/draw"
)

func main() {
	src := flag.String("src", "assets/icon.png", "the icon to scale, a PNG")
	out := flag.String("out", "bin/icons", "the hicolor folder to write into")
	name := flag.String("name", "io.github.modelfetch.png", "the file name of each size")
	flag.Parse()
	if err := run(*src, *out, *name, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "icons:", err)
		os.Exit(1)
	}
}

func run(src, out, name string, sizes []string) error {
	if len(sizes) == 0 {
		return errors.New("name at least one size in pixels")
	}
	img, err := readPNG(src)
	if err != nil {
		return err
	}
	for _, s := range sizes {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > img.Bounds().Dx() {
			return fmt.Errorf("size %q: want a number of pixels up to the source's %d", s, img.Bounds().Dx())
		}
		dir := filepath.Join(out, fmt.Sprintf("%dx%d", n, n), "apps")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writePNG(filepath.Join(dir, name), scale(img, n)); err != nil {
			return err
		}
	}
	return nil
}

// scale shrinks img to n×n with Catmull-Rom, whose kernel x/image/draw
// widens when shrinking, so that every source pixel counts and the small
// sizes are smooth rather than jagged.
func scale(img image.Image, n int) image.Image {
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	return dst
}

func readPNG(name string) (image.Image, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() {
		return nil, fmt.Errorf("%s is %dx%d; an icon must be square", name, b.Dx(), b.Dy())
	}
	return img, nil
}

func writePNG(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	return f.Close()
}
