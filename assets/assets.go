// Package assets holds what ModelFetch embeds in its binary: the app icon
// and the built-in model catalog.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:generate go run ./internal/drawicon icon.png

// Catalog is the built-in model catalog, a JSON array in the format
// downloader.ParseCatalog reads. Its first entry is Gemma 2B.
//
//go:embed catalog.json
var Catalog []byte

//go:embed icon.png
var iconPNG []byte

// Icon is the app icon: the window, the tray and notifications show it.
var Icon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)
