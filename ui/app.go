package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/modelfetch/modelfetch/downloader/words"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/api"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// Run is the app: the window for the engine m on a, in the tray when the
// desktop has one, until the app quits (the tray's or the menu's Quit) or
// ctx ends. Meanwhile it runs m and serves its local API, whose show
// route brings the window forward (see instance.Host); it returns what
// stopping them met. l says how to start; warnings go to l.Env.Stderr.
func Run(ctx context.Context, a fyne.App, m *downloader.Manager, opts Options, l instance.Launch) error {
	bus := haveSessionBus()
	if !bus {
		// Notifications go over the session bus too; without one, Fyne's
		// attempt would start a bus of its own (dbus-launch) or fail.
		opts.Notify = func(*fyne.Notification) {}
	}
	a.Settings().SetTheme(focusTheme{theme.DefaultTheme()})
	if opts.Hub == nil {
		hubOptions(&opts, l.Env)
	}
	w := New(a, m, opts)
	apiOpts := l.Env.APIOptions(func() { fyne.Do(w.Show) })
	if opts.Hub != nil {
		apiOpts.Hub = w.HubClient // the window's, whose token Settings changes
	}
	host, err := instance.NewHost(m, api.SocketPath(), apiOpts)
	if err != nil {
		// The window works without it; other programs then cannot reach
		// this engine.
		fmt.Fprintf(l.Env.Stderr, "modelfetch: warning: the local API is not served. %s\n", words.Sentence(err))
	}
	hostCtx, stopHost := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- host.Serve(hostCtx) }()

	present(a, w, bus, l.Hidden)
	for _, arg := range l.Open {
		if err := w.Open(arg); err != nil {
			fmt.Fprintf(l.Env.Stderr, "modelfetch: %s\n", words.Sentence(err))
		}
	}
	running := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			fyne.Do(w.Quit) // the journal is written as on any quit
		case <-running:
		}
	}()
	a.Run()
	close(running)

	w.Stop()
	stopHost()
	return <-served
}

// present puts ModelFetch in the tray when there is a session bus, and
// shows the window unless it is to start hidden and a tray can show it.
func present(a fyne.App, w *UI, bus, hidden bool) {
	d, ok := a.(desktop.App)
	tray := ok && bus
	if tray {
		w.SetupTray(d)
	}
	if !hidden || !tray || !haveTrayHost() {
		w.Window().Show()
	}
}

// haveSessionBus reports whether the tray and notifications can work. On
// Linux and the BSDs they talk over the D-Bus session bus, and Fyne panics
// on quit when a tray was set up without one (fyne-io/fyne#6403).
func haveSessionBus() bool {
	if !busDesktop() {
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

// busDesktop reports whether the tray and notifications talk over the
// D-Bus session bus: on Linux and the BSDs.
func busDesktop() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return true
	}
	return false
}

// haveTrayHost reports whether the desktop shows tray icons: on Linux and
// the BSDs, when a StatusNotifierWatcher owns its name on the session bus;
// Windows' notification area and macOS's menu bar always do. Without one, a
// window started hidden could never be opened.
func haveTrayHost() bool {
	if !busDesktop() {
		return true
	}
	// Never a bus of its own (dbus-launch): only the session's counts.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false
	}
	defer conn.Close() // a read-only question: nothing to lose on close
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// hubOptions gives the window the Hub the environment names (HF_ENDPOINT,
// the token, the cache) and a way to change the engine's token.
func hubOptions(opts *Options, env instance.Env) {
	c := env.HubClient()
	if c == nil {
		return // HF_ENDPOINT is not an address: no Hugging Face tab
	}
	opts.Hub, opts.HubLayout, opts.HubTokenPath = c, hf.Cache{Dir: env.Getenv.CacheDir()}, env.Getenv.TokenPath()
	if env.Hub != nil {
		opts.HubToken = env.Hub.SetToken
	}
}
