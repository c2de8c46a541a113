package ui

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/modelfetch/modelfetch/downloader/network/bustest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// shots is where the desktop tests put what they show, for a person to
// look at (go test ./ui -run Desktop -args -shots ui/testdata); "" for
// nowhere.
var shots = flag.String("shots", "", "folder for the desktop tests' screenshots")

// xDesktop is a real X display with a window manager and a session bus of
// the test's own, where the real modelfetch binary runs as a person runs
// it: Fyne's tray, the window manager's close and D-Bus are all real,
// which Fyne's test driver cannot show.
type xDesktop struct {
	t       *testing.T
	display string
	bus     string
	conn    *dbus.Conn
	notes   *notificationServer
	bin     string
	env     []string
}

// newDesktop starts Xvfb at 1280×800, openbox and a private session bus
// with a stand-in notification server, and builds the binary; with tray,
// a StatusNotifierWatcher shows tray icons. It skips where the tools are
// missing (Debian: xvfb openbox xdotool wmctrl dbus
// haskell-status-notifier-item-utils imagemagick).
func newDesktop(t *testing.T, tray bool) *xDesktop {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real binary on a real X display")
	}
	for _, tool := range []string{"Xvfb", "openbox", "xdotool", "wmctrl", "xwininfo", "dbus-daemon", "status-notifier-watcher"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	d := &xDesktop{t: t, bus: bustest.Start(t)}
	d.display = startXvfb(t)
	d.conn = bustest.Connect(t, d.bus)
	d.notes = &notificationServer{poke: func() {}}
	if err := d.conn.Export(d.notes, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	if reply, err := d.conn.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("could not own %s: %v", notifyName, err)
	}
	home := t.TempDir()
	d.env = append(os.Environ(), "DISPLAY="+d.display, "DBUS_SESSION_BUS_ADDRESS="+d.bus, "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_RUNTIME_DIR="+t.TempDir(), "HF_HUB_OFFLINE=1", "HF_TOKEN=", "LANG=C.UTF-8")
	d.daemon("openbox")
	// A window mapped before openbox has taken the screen may never be
	// in its client list, where wmctrl finds the windows it closes.
	d.waitFor("openbox to manage the screen", func() bool {
		cmd := exec.Command("wmctrl", "-m")
		cmd.Env = d.env
		return cmd.Run() == nil
	})
	if tray {
		d.daemon("status-notifier-watcher")
		d.waitFor("the tray host on the bus", func() bool {
			var has bool
			return d.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, trayWatcher).Store(&has) == nil && has
		})
	}
	d.bin = buildBinary(t)
	return d
}

// startXvfb starts an X server of the test's own and returns its display.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Kill()
		x.Wait() // killed: its error says only that
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb gave no display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// The binary the desktop tests run, built once.
var (
	builtOnce sync.Once
	builtBin  string
	builtErr  error
)

// buildBinary builds modelfetch once per test binary, without the race
// detector (the window is the program under test, not this process).
func buildBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modelfetch-desktop-")
		if err != nil {
			builtErr = err
			return
		}
		builtBin = filepath.Join(dir, "modelfetch")
		out, err := exec.Command("go", "build", "-o", builtBin, "..").CombinedOutput()
		if err != nil {
			builtErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return builtBin
}

// daemon runs argv in the desktop until the test ends.
func (d *xDesktop) daemon(argv ...string) {
	d.t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = d.env
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait() // killed: its error says only that
	})
}

// waitFor polls cond for up to 20 s: the binary is another process, and
// nothing it does can be waited for otherwise.
func (d *xDesktop) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// desktopApp is the binary running in the desktop.
type desktopApp struct {
	d      *xDesktop
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
	output *strings.Builder
}

// start runs the binary with args, as a desktop launcher would.
func (d *xDesktop) start(args ...string) *desktopApp {
	d.t.Helper()
	a := &desktopApp{d: d, exited: make(chan struct{}), output: &strings.Builder{}}
	a.cmd = exec.Command(d.bin, args...)
	a.cmd.Dir = ".." // FyneApp.toml, read beside a plain go build
	a.cmd.Env = d.env
	a.cmd.Stdout, a.cmd.Stderr = a.output, a.output
	if err := a.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	d.t.Cleanup(func() {
		select {
		case <-a.exited:
		default:
			a.cmd.Process.Kill()
			<-a.exited
		}
	})
	d.waitFor("the window, managed by openbox", func() bool { return a.window() != "" && d.managed("ModelFetch") })
	time.Sleep(time.Second) // the first frame and the tray's registration
	return a
}

// managed reports whether the window manager lists a window titled
// title: wmctrl closes only such windows, and openbox sets up its list
// a moment after it starts and manages a new window a moment after it
// maps.
func (d *xDesktop) managed(title string) bool {
	cmd := exec.Command("wmctrl", "-l")
	cmd.Env = d.env
	out, err := cmd.Output()
	return err == nil && slices.ContainsFunc(strings.Split(string(out), "\n"), func(l string) bool { return strings.HasSuffix(l, " "+title) })
}

// window is the X id of the ModelFetch window while it is shown, "".
func (a *desktopApp) window() string {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^ModelFetch$")
	cmd.Env = a.d.env
	out, _ := cmd.Output() // no window is exit status 1
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// close asks the window to close as the window manager's close button
// does: WM_DELETE_WINDOW, sent by wmctrl through openbox.
func (a *desktopApp) close() {
	a.d.t.Helper()
	a.run("wmctrl", "-c", "ModelFetch")
}

func (a *desktopApp) run(argv ...string) {
	a.d.t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = a.d.env
	if out, err := cmd.CombinedOutput(); err != nil {
		a.d.t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
}

// key types key into the window.
func (a *desktopApp) key(key string) {
	a.d.t.Helper()
	a.run("xdotool", "key", "--window", a.window(), key)
}

// running reports whether the process is still there.
func (a *desktopApp) running() bool {
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// stays checks that the process and, when shown, its window are still
// there a moment after something that must not end them.
func (a *desktopApp) stays(shown bool, after string) {
	a.d.t.Helper()
	time.Sleep(2 * time.Second)
	if !a.running() {
		a.d.t.Fatalf("the app exited after %s (%v), want it running; output:\n%s", after, a.err, a.output)
	}
	if got := a.window() != ""; got != shown {
		a.d.t.Fatalf("got the window shown %v after %s, want %v", got, after, shown)
	}
}

// quit ends the app with SIGTERM, as logging out does, and checks it
// exits cleanly.
func (a *desktopApp) quit() {
	a.d.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		a.d.t.Fatal(err)
	}
	a.exit()
}

// exit waits for the app to exit, and checks it exited cleanly.
func (a *desktopApp) exit() {
	a.d.t.Helper()
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		a.d.t.Fatalf("the app did not exit; output:\n%s", a.output)
	}
	if a.err != nil {
		a.d.t.Errorf("the app exited with %v; output:\n%s", a.err, a.output)
	}
	for _, bad := range []string{"Error in Fyne call thread", "panic", "DATA RACE"} {
		if strings.Contains(a.output.String(), bad) {
			a.d.t.Errorf("the app's output has %q:\n%s", bad, a.output)
		}
	}
}

// shoot saves a screenshot of the screen as name in -shots, when given.
func (d *xDesktop) shoot(name string) {
	d.t.Helper()
	if *shots == "" {
		return
	}
	cmd := exec.Command("import", "-window", "root", filepath.Join(*shots, name))
	cmd.Env = d.env
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("import: %v: %s", err, out)
	}
}

// slowOrigin serves a file that never finishes, so that a download runs
// as long as the test needs it to.
func slowOrigin(t *testing.T) string {
	t.Helper()
	srv := origintest.NewServer(origintest.HoldFrom(1 << 20))
	srv.ServeEverywhere("/model.gguf")
	srv.PutBody("/model.gguf", strings.NewReader(strings.Repeat("m", 4<<20)), `"v1"`)
	t.Cleanup(srv.Close)
	return srv.URL + "/model.gguf"
}

// TestDesktopCloseHidesToTray: with a tray host, closing the window hides
// it (the process downloads on), and says so once in a notification; a
// second start shows it again, and closing it again says nothing more.
func TestDesktopCloseHidesToTray(t *testing.T) {
	d := newDesktop(t, true)
	a := d.start(slowOrigin(t))
	a.close()
	d.waitFor("the window to hide", func() bool { return a.window() == "" })
	a.stays(false, "closing with a tray host")
	d.waitFor("the notification", func() bool { return len(d.notes.recorded()) == 1 })

	second := exec.Command(d.bin) // a second start shows the first's window
	second.Env, second.Dir = d.env, ".."
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("second start: %v: %s", err, out)
	}
	d.waitFor("the window to show again", func() bool { return a.window() != "" })
	a.close()
	d.waitFor("the window to hide again", func() bool { return a.window() == "" })
	a.stays(false, "closing again")
	if n := len(d.notes.recorded()); n != 1 {
		t.Errorf("got %d notifications after closing twice, want the one of the first close", n)
	}
	a.quit()
}

// TestDesktopCloseAsksWithoutTrayHost: with no tray host, closing the
// window while a download runs asks; Escape leaves everything as it was,
// Enter keeps downloading in the background; closing it when nothing
// downloads quits.
func TestDesktopCloseAsksWithoutTrayHost(t *testing.T) {
	d := newDesktop(t, false)
	a := d.start(slowOrigin(t))
	a.close()
	a.stays(true, "closing while downloading with no tray host")
	d.shoot("close-question.png")
	a.key("Escape")
	a.stays(true, "Escape on the question")
	a.close()
	a.stays(true, "closing again")
	a.key("Return")
	d.waitFor("Enter (Keep downloading) to hide the window", func() bool { return a.window() == "" })
	a.stays(false, "keeping on downloading")
	a.quit()

	d.env = append(d.env, "XDG_STATE_HOME="+t.TempDir()) // a journal with nothing to resume
	idle := d.start()
	idle.close()
	idle.exit()
}
