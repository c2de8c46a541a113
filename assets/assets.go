// Package assets holds what ModelFetch embeds in its binary: the app icon
// and the built-in model catalog.
package assets

import _ "embed"

// Catalog is the built-in model catalog, a JSON array in the format
// downloader.ParseCatalog reads. Its first entry is Gemma 2B.
//
//go:embed catalog.json
var Catalog []byte
