package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/modelfetch/modelfetch/downloader/words"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

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
	// The window's heap is mostly what it keeps (fonts, widgets, the
	// engine's buffers): letting it grow to twice that before collecting,
	// Go's default, cost 20 MB of memory with 200 rows and saved no
	// measurable CPU.
	debug.SetGCPercent(50)
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
	if opts.Settings == nil {
		opts.Settings = l.Env.Settings
	}
	l.Env.WarnSettings()
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
	if !hidden || !tray || !w.hasTrayHost() {
		w.Show()
		return
	}
	w.visible.Store(false) // in the tray: the rows wait until it is shown
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

// hubOptions gives the window the Hub the environment names (HF_ENDPOINT,
// the token, the cache) and a way to change the engine's token.
func hubOptions(opts *Options, env instance.Env) {
	c := env.HubClient()
	if c == nil {
		return // HF_ENDPOINT is not an address: no Hugging Face tab
	}
	path := env.Getenv.TokenPath()
	if tok := fromSettings(c.Token(), path); tok != c.Token() {
		if named, err := hf.New(hf.Config{Endpoint: c.Endpoint(), Token: tok, Offline: c.Offline()}); err == nil {
			c = named
		}
	}
	opts.Hub, opts.HubLayout, opts.HubTokenPath = c, hf.Cache{Dir: env.Getenv.CacheDir()}, path
	if env.Hub != nil {
		env.Hub.SetToken(c.Token()) // the same token, named as Settings' for the engine's sentences too
		opts.HubEngine = env.Hub
	}
}
