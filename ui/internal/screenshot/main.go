// Command screenshot shows what a person sees: it runs the real modelfetch
// binary in the X display, session bus, notification daemon and tray host
// it is given (make screenshot sets them up with Xvfb and
// dbus-run-session), with downloads from a slow local server, and takes
// screenshots with ImageMagick's import: a queue of twenty behind three
// transfers in the light theme at 1280×800 (screenshot-downloading.png),
// 683×768 (half of a 1366 px screen) and 1920×1080, and the three
// transfers at the list's end; a failure and a model of three files in
// the dark theme at the same sizes, the details of each, and the desktop
// with the failure's notification. It also measures the CPU the app uses
// with 3 transfers and 20 queued, counts the tray menu's LayoutUpdated
// signals meanwhile (-cpu measures only that, for a before-and-after
// against another binary), and clicks the tray's Pause all 5 s after
// reading the menu, as a person does. The screen must be at least
// 1920×1080.
//
// With -bench it takes no screenshots: it measures the window's CPU and
// memory beside `modelfetch serve` with the same downloads (bench.go;
// make bench-window).
//
// Everything it starts it stops; everything it writes outside -out is in
// one temporary folder it removes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// The served files: as large as real models, and slow enough to be
// watched for a while. The server's whole output is capped at rateLimit,
// so that the engine's share of the measured CPU stays small.
const (
	bigSize   = 1_350_000_000
	rateLimit = 12 << 20 // bytes per second over all connections
	queued    = 20       // fetches queued behind the three transfers
)

func main() {
	bin := flag.String("bin", "bin/modelfetch", "the modelfetch binary")
	out := flag.String("out", "ui/testdata", "folder for the screenshots")
	cpuOnly := flag.Bool("cpu", false, "only measure the CPU with 3 transfers and 20 queued; no screenshots")
	measure := flag.Duration("measure", 20*time.Second, "how long to measure CPU")
	bench := flag.Bool("bench", false, "the window benchmark: CPU and memory of the window beside modelfetch serve, idle and with downloads; no screenshots")
	runs := flag.Int("runs", 3, "-bench: runs of each case; the table shows medians")
	settle := flag.Duration("settle", 5*time.Second, "-bench: how long the downloads run before the measurement")
	only := flag.String("load", "", "-bench: only the loads whose name contains this, such as \"20 queued\"")
	shots := flag.Bool("shots", false, "-bench: a picture of the screen in -out at the end of each case's first run")
	flag.Parse()
	var err error
	if *bench {
		cfg := benchConfig{bin: *bin, runs: max(*runs, 1), settle: *settle, measure: *measure, only: *only}
		if *shots {
			cfg.shots = *out
		}
		err = windowBench(cfg)
	} else {
		err = run(*bin, *out, *cpuOnly, *measure)
	}
	if err != nil {
		log.Fatalf("screenshot: %v", err)
	}
}

// session is one sandbox: a temporary home for the app, the slow server
// and the desktop's daemons.
type session struct {
	tmp  string
	base string
	env  []string
}

func run(bin, out string, cpuOnly bool, measure time.Duration) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "modelfetch-screenshot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	srv, err := serve()
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, daemon := range [][]string{{"dunst"}, {"status-notifier-watcher"}} {
		stopDaemon, err := start(daemon, filepath.Join(tmp, daemon[0]+".log"))
		if err != nil {
			return err
		}
		defer stopDaemon()
	}
	time.Sleep(time.Second) // let the watcher claim its bus name before the tray looks for it

	s1, err := newSession(filepath.Join(tmp, "queue"), "http://"+srv.Addr)
	if err != nil {
		return err
	}
	if err := queueRun(bin, s1, out, cpuOnly, measure); err != nil || cpuOnly {
		return err
	}
	s2, err := newSession(filepath.Join(tmp, "details"), "http://"+srv.Addr)
	if err != nil {
		return err
	}
	return detailsRun(bin, s2, out)
}

// queueRun starts 23 downloads of big files, so that 3 transfer and 20
// wait, measures the CPU the app uses meanwhile, and takes the light
// screenshots at three window sizes.
func queueRun(bin string, s session, out string, cpuOnly bool, measure time.Duration) error {
	var args []string
	for i := range queued + 3 {
		args = append(args, fmt.Sprintf("%s/files/model-%02d.gguf", s.base, i+1))
	}
	app, err := launch(bin, append(s.env, "FYNE_THEME=light"), filepath.Join(s.tmp, "run.log"), args...)
	if err != nil {
		return err
	}
	p, err := firstPaint(app)
	if err != nil {
		app.kill()
		return err
	}
	fmt.Printf("queue run: window mapped %v after start, first paint %v after start\n", p.mapped.Round(time.Millisecond), p.painted.Round(time.Millisecond))
	if err := waitFor(time.Minute, func() bool { return transfers.Load() >= 3 }); err != nil {
		app.kill()
		return fmt.Errorf("three transfers did not start: %w", err)
	}
	time.Sleep(3 * time.Second) // the first poll of each, and the layout settling
	layouts, stopMonitor, err := countLayoutUpdates(filepath.Join(s.tmp, "monitor.log"))
	if err != nil {
		app.kill()
		return err
	}
	m, err := measureProcess(app.cmd.Process.Pid, measure)
	stopMonitor()
	if err != nil {
		app.kill()
		return err
	}
	fmt.Printf("3 transferring, %d queued, over %v: %.2f %% of one core, RSS %d MB, %d tray LayoutUpdated signals\n", queued, measure, m.cpu, m.rss>>20, layouts())
	if !cpuOnly {
		for _, shot := range []struct {
			w, h int
			name string
		}{{1280, 800, "screenshot-downloading.png"}, {683, 768, "screenshot-683-light.png"}, {1920, 1080, "screenshot-1920-light.png"}} {
			if err := resizeAndCapture(p.window, shot.w, shot.h, filepath.Join(out, shot.name)); err != nil {
				app.kill()
				return err
			}
		}
		// The three transfers are the oldest, at the bottom of the list.
		if err := resizeAndCapture(p.window, 1280, 800, ""); err != nil {
			app.kill()
			return err
		}
		if err := scrollAndCapture(p.window, filepath.Join(out, "screenshot-transfers.png")); err != nil {
			app.kill()
			return err
		}
		if err := clickLate(); err != nil {
			app.kill()
			return err
		}
	}
	return app.stop(func() error { return app.cmd.Process.Signal(syscall.SIGTERM) })
}

// detailsRun starts a download that fails and a model of three files, in
// the dark theme, and takes screenshots of the list at three sizes and of
// the details of each.
func detailsRun(bin string, s session, out string) error {
	app, err := launch(bin, append(s.env, "FYNE_THEME=dark"), filepath.Join(s.tmp, "run.log"), s.base+"/gone/llama-3-8b-q4.gguf", "whisper-small")
	if err != nil {
		return err
	}
	p, err := firstPaint(app)
	if err != nil {
		app.kill()
		return err
	}
	if err := waitFor(time.Minute, func() bool { return transfers.Load() >= 3+queued+3 }); err != nil {
		app.kill()
		return fmt.Errorf("the three files did not start: %w", err)
	}
	// The failure's notification, while the notification daemon shows it.
	time.Sleep(2 * time.Second)
	if err := capture("root", filepath.Join(out, "screenshot-desktop.png")); err != nil {
		app.kill()
		return err
	}
	time.Sleep(12 * time.Second) // some speed history for the graph
	for _, shot := range []struct {
		w, h int
		name string
	}{{683, 768, "screenshot-683-dark.png"}, {1920, 1080, "screenshot-1920-dark.png"}, {1280, 800, "screenshot-1280-dark.png"}} {
		if err := resizeAndCapture(p.window, shot.w, shot.h, filepath.Join(out, shot.name)); err != nil {
			app.kill()
			return err
		}
	}
	// Newest first: the three-file model is the first row, the failure
	// the second. A click on a row opens its details; Escape goes back.
	for _, d := range []struct {
		row  int
		name string
	}{{0, "screenshot-details-three-files.png"}, {1, "screenshot-details-failure.png"}} {
		if err := clickRow(p.window, d.row); err != nil {
			app.kill()
			return err
		}
		time.Sleep(time.Second)
		if err := capture(p.window, filepath.Join(out, d.name)); err != nil {
			app.kill()
			return err
		}
		if err := xdotool("key", "--window", p.window, "Escape"); err != nil {
			app.kill()
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return app.stop(func() error { return app.cmd.Process.Signal(syscall.SIGTERM) })
}

// newSession makes XDG folders under dir, with a user catalog of a model
// with a very long title and a model of three files on the local server,
// and returns the app's environment.
func newSession(dir, base string) (session, error) {
	s := session{tmp: dir, base: base}
	dirs := map[string]string{}
	for _, name := range []string{"config", "cache", "state", "data"} {
		dirs[name] = filepath.Join(dir, name)
		if err := os.MkdirAll(dirs[name], 0o700); err != nil {
			return s, err
		}
	}
	catalog := []map[string]any{
		{"id": "llama-long", "title": "Meta Llama 3.1 8B Instruct, quantised to 4 bits (Q4_K_M) in GGUF for llama.cpp, Ollama and LM Studio",
			"description": "A catalog title far longer than the window is wide",
			"files":       []map[string]any{{"url": base + "/files/llama-3.1-8b-q4.gguf", "size": 4_920_000_000}}},
		{"id": "whisper-small", "title": "Whisper Small",
			"description": "OpenAI's speech recognition model: weights, tokenizer and configuration",
			"files": []map[string]any{
				{"url": base + "/files/whisper-small.safetensors"},
				{"url": base + "/small/tokenizer.json"},
				{"url": base + "/medium/config.bin"},
			}},
	}
	data, err := json.MarshalIndent(catalog, "", "  ")
	if err != nil {
		return s, err
	}
	if err := os.MkdirAll(filepath.Join(dirs["config"], "modelfetch"), 0o700); err != nil {
		return s, err
	}
	if err := os.WriteFile(filepath.Join(dirs["config"], "modelfetch", "catalog.json"), data, 0o600); err != nil {
		return s, err
	}
	s.env = append(os.Environ(),
		"XDG_CONFIG_HOME="+dirs["config"], "XDG_CACHE_HOME="+dirs["cache"],
		"XDG_STATE_HOME="+dirs["state"], "XDG_DATA_HOME="+dirs["data"],
	)
	return s, nil
}

// serve starts the slow file server on 127.0.0.1: /files/ are big files,
// /small/ and /medium/ smaller ones, and /gone/ answers 404.
func serve() (*http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	limit := rate.NewLimiter(rateLimit, 1<<20)
	mux := http.NewServeMux()
	sizes := map[string]int64{"files": bigSize, "medium": 300_000_000, "small": 60_000_000}
	mux.HandleFunc("/{kind}/{name}", func(w http.ResponseWriter, r *http.Request) {
		size, ok := sizes[r.PathValue("kind")]
		if !ok {
			http.Error(w, "This file was removed from the server.", http.StatusNotFound)
			return
		}
		if r.Method == http.MethodGet {
			transfers.Add(1)
		}
		f := &slowFile{ctx: r.Context(), size: size, limit: limit}
		w.Header().Set("ETag", fmt.Sprintf(`"%s-%d"`, r.PathValue("name"), f.size))
		http.ServeContent(w, r, r.PathValue("name"), time.Time{}, f)
	})
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux}
	go srv.Serve(ln) // returns http.ErrServerClosed once run closes it
	return srv, nil
}

// transfers counts the GET requests the server has answered, served the
// body bytes it has sent.
var transfers, served atomic.Int64

// slowFile is size generated bytes, read no faster than limit allows.
type slowFile struct {
	ctx   context.Context
	size  int64
	pos   int64
	limit *rate.Limiter
}

func (f *slowFile) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), f.size-f.pos, 64<<10)]
	if err := f.limit.WaitN(f.ctx, len(p)); err != nil {
		return 0, err
	}
	for i := range p {
		x := uint64(f.pos + int64(i))
		p[i] = byte((x * 0x9E3779B97F4A7C15) >> 56)
	}
	f.pos += int64(len(p))
	served.Add(int64(len(p)))
	return len(p), nil
}

func (f *slowFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		f.pos = offset
	case io.SeekCurrent:
		f.pos += offset
	case io.SeekEnd:
		f.pos = f.size + offset
	}
	if f.pos < 0 {
		return 0, errors.New("seek before the start")
	}
	return f.pos, nil
}

// resizeAndCapture sizes the window to w×h at the screen's corner, as a
// tiling window manager would, and takes its picture.
func resizeAndCapture(window string, w, h int, name string) error {
	if err := xdotool("windowmove", window, "0", "0"); err != nil {
		return err
	}
	if err := xdotool("windowsize", window, strconv.Itoa(w), strconv.Itoa(h)); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // the resize, a layout and a frame
	if name == "" {
		return nil
	}
	return capture(window, name)
}

// scrollAndCapture scrolls the downloads list to its end and takes the
// window's picture.
func scrollAndCapture(window, name string) error {
	if err := xdotool("mousemove", "--window", window, "900", "400"); err != nil {
		return err
	}
	if err := xdotool("click", "--repeat", "80", "--delay", "10", "5"); err != nil {
		return err
	}
	if err := xdotool("mousemove", "--window", window, "900", "5"); err != nil { // no hover on a row
		return err
	}
	time.Sleep(time.Second)
	return capture(window, name)
}

// clickRow clicks the row-th row of the downloads list, which starts a
// little below the top of the window's right-hand panel.
func clickRow(window string, row int) error {
	geo, err := exec.Command("xdotool", "getwindowgeometry", "--shell", window).Output()
	if err != nil {
		return fmt.Errorf("xdotool getwindowgeometry: %w", err)
	}
	var width int
	for _, line := range strings.Split(string(geo), "\n") {
		if v, ok := strings.CutPrefix(line, "WIDTH="); ok {
			width, _ = strconv.Atoi(v)
		}
	}
	x, y := width*3/4, 112+row*rowHeight
	if err := xdotool("mousemove", "--window", window, strconv.Itoa(x), strconv.Itoa(y)); err != nil {
		return err
	}
	return xdotool("click", "1")
}

// rowHeight is the height of one row of the downloads list, in pixels.
const rowHeight = 74

func xdotool(args ...string) error {
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// countLayoutUpdates counts the tray menu's LayoutUpdated signals on the
// session bus until the returned stop is called.
func countLayoutUpdates(logName string) (count func() int, stop func(), err error) {
	stopMonitor, err := start([]string{"stdbuf", "-oL", "dbus-monitor", "--session"}, logName)
	if err != nil {
		return nil, nil, err
	}
	count = func() int {
		data, _ := os.ReadFile(logName)
		return bytes.Count(data, []byte("member=LayoutUpdated"))
	}
	return count, stopMonitor, nil
}

// start runs a daemon with its output in logName, and returns what stops
// it.
func start(argv []string, logName string) (func(), error) {
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return func() {
		// A daemon killed by the signal exits with an error; that is the
		// point, so neither error says anything.
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		logFile.Close()
	}, nil
}

// app is a running modelfetch.
type app struct {
	cmd     *exec.Cmd
	started time.Time
	log     string
	logFile *os.File
	exited  chan struct{}
	err     error
	once    sync.Once
}

func launch(bin string, env []string, logName string, args ...string) (*app, error) {
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	a := &app{cmd: cmd, log: logName, logFile: logFile, exited: make(chan struct{})}
	a.started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		a.err = cmd.Wait()
		close(a.exited)
	}()
	return a, nil
}

// stop asks the app to quit with ask, checks that it did so cleanly
// (see quit) and prints its output.
func (a *app) stop(ask func() error) error {
	output, err := a.quit(ask)
	if output != nil {
		fmt.Printf("quit: %v; output:\n%s", exitText(a.err), indent(output))
	}
	return err
}

// quit asks the app to quit with ask, and checks that it did so cleanly:
// exit status 0 and no error from Fyne in its output, which it returns
// once the app has exited.
func (a *app) quit(ask func() error) ([]byte, error) {
	if err := ask(); err != nil {
		a.kill()
		return nil, fmt.Errorf("asking the app to quit: %w", err)
	}
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		a.kill()
		return nil, errors.New("the app did not quit within 20 s")
	}
	a.logFile.Close()
	output, err := os.ReadFile(a.log)
	if err != nil {
		return nil, err
	}
	if a.err != nil {
		return output, fmt.Errorf("the app exited with %v", a.err)
	}
	for _, bad := range []string{"Error in Fyne call thread", "panic", "DATA RACE"} {
		if bytes.Contains(output, []byte(bad)) {
			return output, fmt.Errorf("the app's output has %q", bad)
		}
	}
	return output, nil
}

func (a *app) kill() {
	a.once.Do(func() {
		a.cmd.Process.Kill()
		<-a.exited
		a.logFile.Close()
	})
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func indent(b []byte) string {
	var sb strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sb.WriteString("    " + sc.Text() + "\n")
	}
	return sb.String()
}

// paint is when the window first showed and first had something drawn.
type paint struct {
	window  string // X window id
	mapped  time.Duration
	painted time.Duration
}

// firstPaint waits for the ModelFetch window to be viewable and then for
// its first frame that is not a single colour, and reports when each
// happened after the app started. Each probe takes some milliseconds, so
// the figures are upper bounds by about that much.
func firstPaint(a *app) (paint, error) {
	var p paint
	deadline := time.Now().Add(30 * time.Second)
	for p.window == "" {
		if time.Now().After(deadline) {
			return p, errors.New("no ModelFetch window appeared in 30 s")
		}
		select {
		case <-a.exited:
			return p, fmt.Errorf("the app exited: %v", a.err)
		default:
		}
		p.window = findWindow("ModelFetch")
		if p.window == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	p.mapped = time.Since(a.started)
	for {
		if time.Now().After(deadline) {
			return p, errors.New("the window stayed blank for 30 s")
		}
		img, err := grab(p.window)
		if err == nil && !uniform(img) {
			p.painted = time.Since(a.started)
			return p, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findWindow is the id of the viewable window named title: a top-level
// window, or one a window manager has put in its frame.
func findWindow(title string) string {
	out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$").Output()
	if err != nil { // none found, or no xdotool
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return first
}

func grab(window string) (image.Image, error) {
	out, err := exec.Command("import", "-window", window, "png:-").Output()
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(out))
}

// uniform reports whether img is one colour, as a window is before its
// first frame.
func uniform(img image.Image) bool {
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}

func capture(window, name string) error {
	if out, err := exec.Command("import", "-window", window, name).CombinedOutput(); err != nil {
		return fmt.Errorf("import %s: %v: %s", name, err, out)
	}
	fmt.Printf("wrote %s\n", name)
	return nil
}

// trayBus asks the tray host which items registered, and returns the bus
// name of the first: the app's, when its tray works.
func trayBus() string {
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.kde.StatusNotifierWatcher",
		"/StatusNotifierWatcher", "org.freedesktop.DBus.Properties.Get",
		"string:org.kde.StatusNotifierWatcher", "string:RegisteredStatusNotifierItems").Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, `string "`) {
			return strings.Trim(strings.TrimPrefix(line, "string "), `"`)
		}
	}
	return ""
}

// trayItem is one entry of the tray's menu.
type trayItem struct {
	id    int
	label string
}

func (t trayItem) String() string { return t.label }

// trayMenu reads the tray's menu over D-Bus (com.canonical.dbusmenu).
func trayMenu(bus string) []trayItem {
	var items []trayItem
	if bus == "" {
		return items
	}
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest="+bus, "/StatusNotifierMenu",
		"com.canonical.dbusmenu.GetLayout", "int32:0", "int32:-1", "array:string:label").Output()
	if err != nil {
		return items
	}
	lines := strings.Split(string(out), "\n")
	id := -1
	for i, line := range lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "int32" && i > 0 && strings.HasSuffix(lines[i-1], "struct {"):
			id, _ = strconv.Atoi(f[1])
		case strings.TrimSpace(line) == `string "label"` && i+1 < len(lines):
			if _, label, ok := strings.Cut(lines[i+1], "string "); ok {
				items = append(items, trayItem{id, strings.Trim(label, `"`)})
			}
		}
	}
	return items
}

// clickLate reads the tray menu, waits, and then clicks Pause all by the
// id it read, as a person does who opens the menu and reads it first; the
// click must work, so all downloads end paused.
func clickLate() error {
	bus := trayBus()
	menu := trayMenu(bus)
	fmt.Printf("tray menu: %v\n", menu)
	pause := slices.IndexFunc(menu, func(t trayItem) bool { return t.label == "Pause all" })
	if pause < 0 {
		return errors.New("the tray menu has no Pause all")
	}
	time.Sleep(5 * time.Second)
	if err := clickTray(bus, menu[pause].id); err != nil {
		return err
	}
	want := fmt.Sprintf("%d paused", queued+3)
	if err := waitFor(10*time.Second, func() bool { return strings.Contains(trayTooltip(bus), want) }); err != nil {
		return fmt.Errorf("pause all, clicked 5 s after the menu was read, did not pause everything: %w", err)
	}
	fmt.Printf("Pause all clicked 5 s after reading the menu (id %d): the tray's tooltip says %q\n", menu[pause].id, want)
	return nil
}

// trayTooltip reads the tray icon's tooltip over D-Bus, as dbus-send
// prints it.
func trayTooltip(bus string) string {
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest="+bus, "/StatusNotifierItem",
		"org.freedesktop.DBus.Properties.Get", "string:org.kde.StatusNotifierItem", "string:ToolTip").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// clickTray clicks the tray menu item id, as the tray host does when a
// person picks it.
func clickTray(bus string, id int) error {
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest="+bus, "/StatusNotifierMenu",
		"com.canonical.dbusmenu.Event", fmt.Sprintf("int32:%d", id), "string:clicked", "variant:int32:0", "uint32:0").CombinedOutput()
	if err != nil {
		return fmt.Errorf("dbusmenu click: %v: %s", err, out)
	}
	return nil
}

func waitFor(limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %v", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// cpuTicks is utime + stime of pid from /proc/pid/stat.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: count fields after its ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}
