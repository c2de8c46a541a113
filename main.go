// Command modelfetch downloads large AI model files reliably: resumable
// across restarts, verified, in the background. With a subcommand it works
// in the terminal; without one it opens the window.
package main

import (
	"context"
	"log/slog"
	"os"

	"fyne.io/fyne/v2/app"

	"github.com/modelfetch/modelfetch/assets"
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/ui"
	"github.com/modelfetch/modelfetch/ui/cli"
	"github.com/modelfetch/modelfetch/ui/cli/hush"
)

// version and commit name the build; make sets them with -ldflags -X
// (the version from FyneApp.toml). Empty, they are read from what Go
// records (see instance.ReadVersion).
var version, commit string

func main() {
	hush.Release() // Fyne's start-up log is nobody's to read (see hush)
	args := os.Args[1:]
	env := instance.NewEnv(assets.Catalog, instance.ReadVersion(version, commit))
	// Fyne logs through the log package (a locale it cannot parse, at the
	// window's start too): to modelfetch.log, never to a terminal.
	slog.SetDefault(env.Config.Logger)
	if !cli.ForWindow(args, env) {
		os.Exit(cli.Main(context.Background(), args, env))
	}
	os.Exit(instance.Window(context.Background(), args, env, openWindow))
}

// openWindow makes the Fyne app and runs the window on the engine m (see
// ui.Run). It is here because only main imports Fyne's app package: the
// ui package's tests run on Fyne's test driver.
func openWindow(ctx context.Context, m *downloader.Manager, l instance.Launch) error {
	a := app.NewWithID("io.github.modelfetch")
	a.SetIcon(assets.Icon)
	opts := ui.Options{Catalog: l.Env.Catalog, Icon: assets.Icon, ModelsDir: l.Env.Config.ModelsDir, Version: l.Env.Version}
	return ui.Run(ctx, a, m, opts, l)
}
