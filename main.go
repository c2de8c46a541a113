// Command modelfetch downloads large AI model files reliably: resumable
// across restarts, verified, in the background. With a subcommand it works
// in the terminal; without one it opens the window.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/assets"
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/ui"
	"github.com/modelfetch/modelfetch/ui/cli"
	"github.com/modelfetch/modelfetch/ui/cli/hush"
)

// version and commit name the build; make sets them with -ldflags -X
// (the version from FyneApp.toml). Empty, they are read from what Go
// records (see cli.ReadVersion).
var version, commit string

func main() {
	args := os.Args[1:]
	command := len(args) > 0 && cli.IsCommand(args[0])
	hush.Release(!command) // a command's output is its own, not Fyne's start-up log
	env := cli.NewEnv(assets.Catalog)
	env.Version = cli.ReadVersion(version, commit)
	if command {
		os.Exit(cli.Main(context.Background(), args, env))
	}
	os.Exit(runWindow(args, env))
}

// runWindow opens the window with the fetches args name, or hands them
// to the ModelFetch that is already running and brings its window forward.
// With --hidden (a start at login) the engine and the tray start, but the
// window only shows when there is no tray to open it from.
func runWindow(args []string, env cli.Env) int {
	hidden := slices.Contains(args, "--hidden")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--hidden" })
	if !haveDisplay() {
		fmt.Fprintln(env.Stderr, "modelfetch: there is no display to open the window on; download in the terminal with `modelfetch get URL|MODEL-ID` instead")
		return 1
	}
	if env.CatalogErr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: the user catalog is ignored: %v\n", env.CatalogErr)
	}
	c, m, err := cli.Connect(context.Background(), env)
	if c != nil {
		defer c.CloseIdleConnections()
		if hidden && len(args) == 0 {
			return 0 // started at login, and already running: nothing to do
		}
		return cli.HandOver(context.Background(), c, args, env)
	}
	if errors.Is(err, downloader.ErrLocked) {
		fmt.Fprintln(env.Stderr, "modelfetch: another ModelFetch holds the download journal and does not answer on its socket; quit it and try again")
		return 1
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: cannot open the download journal: %v\n", err)
		return 1
	}
	if jerr := m.JournalError(); jerr != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: warning: %v\n", jerr)
	}

	a := app.NewWithID("io.github.modelfetch")
	a.SetIcon(assets.Icon)
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(ctx) }()

	opts := ui.Options{Catalog: env.Catalog, Icon: assets.Icon, ModelsDir: env.Config.ModelsDir, Version: env.Version}
	bus := haveSessionBus()
	if !bus {
		// Notifications go over the session bus too; without one, Fyne's
		// attempt would start a bus of its own (dbus-launch) or fail.
		opts.Notify = func(*fyne.Notification) {}
	}
	w := ui.New(a, m, opts)
	served, err := cli.ServeAPI(ctx, m, env, func() { fyne.Do(w.Show) })
	if err != nil {
		// The window works without it; other programs then cannot reach
		// this engine.
		fmt.Fprintf(env.Stderr, "modelfetch: warning: the local API is not served: %v\n", err)
	}
	present(a, w, bus, hidden)
	for _, arg := range args {
		if err := w.Open(arg); err != nil {
			fmt.Fprintf(env.Stderr, "modelfetch: %v\n", err)
		}
	}
	running := make(chan struct{})
	quitOnSignal(w, running)
	a.Run()
	close(running)

	w.Stop()
	stop()
	return stopped(m, served, runDone, env)
}

// present puts ModelFetch in the tray when there is a session bus, and
// shows the window unless it is to start hidden and a tray can show it.
func present(a fyne.App, w *ui.UI, bus, hidden bool) {
	d, ok := a.(desktop.App)
	tray := ok && bus
	if tray {
		w.SetupTray(d)
	}
	if !hidden || !tray || !haveTrayHost() {
		w.Window().Show()
	}
}

// stopped waits for the local API and the engine to stop once the app has
// quit, and saves the journal; it returns the exit code.
func stopped(m *downloader.Manager, served <-chan error, runDone <-chan error, env cli.Env) int {
	code := 0
	if served != nil {
		if err := <-served; err != nil {
			fmt.Fprintf(env.Stderr, "modelfetch: warning: the local API stopped: %v\n", err)
		}
	}
	if err := <-runDone; err != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: the download journal could not be saved: %v\n", err)
		code = 1
	}
	if err := m.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "modelfetch: the download journal could not be saved: %v\n", err)
		code = 1
	}
	return code
}

// haveDisplay reports whether a window can open: on Linux and the BSDs an
// X11 or Wayland display must be named; elsewhere there always is one.
func haveDisplay() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	}
	return true
}

// haveSessionBus reports whether the tray and notifications can work. On
// Linux and the BSDs they talk over the D-Bus session bus, and Fyne panics
// on quit when a tray was set up without one (fyne-io/fyne#6403).
func haveSessionBus() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	runtimeDir := os.Getenv("XDG_RUNTIME_DIR")
	if runtimeDir == "" {
		return false
	}
	st, err := os.Stat(filepath.Join(runtimeDir, "bus")) // systemd's default session bus
	return err == nil && st.Mode().Type() == os.ModeSocket
}

// haveTrayHost reports whether the desktop shows tray icons: a
// StatusNotifierWatcher owns its name on the session bus. Without one, a
// window started hidden could never be opened.
func haveTrayHost() bool {
	// Never a bus of its own (dbus-launch): only the session's counts.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// quitOnSignal quits the app cleanly (journal written) on Ctrl-C or a
// polite kill, until done is closed.
func quitOnSignal(w *ui.UI, done <-chan struct{}) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-sigs:
			fyne.Do(w.Quit)
		case <-done:
		}
	}()
}
