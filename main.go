// Command modelfetch downloads large AI model files reliably: resumable
// across restarts, verified, in the background. With a subcommand it works
// in the terminal; without one it opens the window.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"

	"github.com/modelfetch/modelfetch/assets"
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/ui/cli"
)

func main() {
	models, catalogErr := downloader.LoadCatalog(assets.Catalog, filepath.Join(xdg.ConfigHome, "modelfetch", "catalog.json"))
	env := cli.Env{
		Config:     downloader.DefaultConfig(),
		Catalog:    models,
		CatalogErr: catalogErr,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Terminal:   cli.IsTerminal(os.Stderr),
	}
	args := os.Args[1:]
	if len(args) > 0 && cli.IsCommand(args[0]) {
		os.Exit(cli.Main(context.Background(), args, env))
	}
	os.Exit(runWindow(args, env))
}

// runWindow opens the window with the fetches args name.
func runWindow(args []string, env cli.Env) int {
	fmt.Fprint(env.Stderr, cli.Usage)
	return 2
}
