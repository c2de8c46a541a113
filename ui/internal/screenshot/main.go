// Command screenshot shows what a person sees: it runs the real modelfetch
// binary in the X display, session bus, notification daemon and tray host
// it is given (make screenshot sets them up with Xvfb and
// dbus-run-session), lets it download Gemma 2B from a slow local server
// through a user catalog, and takes screenshots with ImageMagick's import
// mid-download and when ready. It also measures what the issue asks about:
// time from start to first paint, and idle CPU and memory.
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// The served model: as large as the real Gemma 2B file, and slow enough to
// be watched for a while.
const (
	modelSize = 1_350_000_000
	smallSize = 180_000_000
	rateLimit = 64 << 20 // bytes per second over all connections
)

func main() {
	bin := flag.String("bin", "bin/modelfetch", "the modelfetch binary")
	out := flag.String("out", "ui/testdata", "folder for the screenshots")
	idle := flag.Duration("idle", 20*time.Second, "how long to measure idle CPU")
	flag.Parse()
	if err := run(*bin, *out, *idle); err != nil {
		log.Fatalf("screenshot: %v", err)
	}
}

func run(bin, out string, idle time.Duration) error {
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
	base := "http://" + srv.Addr
	env, err := sandbox(tmp, base)
	if err != nil {
		return err
	}

	for _, daemon := range [][]string{{"dunst"}, {"status-notifier-watcher"}} {
		stopDaemon, err := start(daemon, filepath.Join(tmp, daemon[0]+".log"))
		if err != nil {
			return err
		}
		defer stopDaemon()
	}
	time.Sleep(time.Second) // let the watcher claim its bus name before the tray looks for it

	// First run, in the light theme: a real download of Gemma 2B (by model
	// id) and of a second file (by URL), as `modelfetch gemma-2b URL`
	// starts them.
	app, err := launch(bin, append(env, "FYNE_THEME=light"), filepath.Join(tmp, "run1.log"), "gemma-2b", base+"/files/tinyllama-1.1b-q4.gguf")
	if err != nil {
		return err
	}
	paint, err := firstPaint(app)
	if err != nil {
		app.kill()
		return err
	}
	fmt.Printf("first run: window mapped %v after start, first paint %v after start\n", paint.mapped.Round(time.Millisecond), paint.painted.Round(time.Millisecond))

	models := filepath.Join(tmp, "cache", "modelfetch", "models")
	gemma := filepath.Join(models, "gemma-2b", "g-2b-it-gpu-int4.bin")
	if err := waitFor(2*time.Minute, func() bool { return served.Load() > modelSize*2/5 }); err != nil {
		app.kill()
		return fmt.Errorf("the download did not get a third of the way: %w", err)
	}
	if err := capture(paint.window, filepath.Join(out, "screenshot-downloading.png")); err != nil {
		app.kill()
		return err
	}
	bus := trayBus()
	fmt.Printf("tray menu mid-download: %v\n", trayMenu(bus))
	if err := waitFor(3*time.Minute, func() bool { return exists(gemma) }); err != nil {
		app.kill()
		return fmt.Errorf("gemma 2B did not arrive: %w", err)
	}
	time.Sleep(1500 * time.Millisecond) // the poller's next tick, and dunst drawing its bubble
	if err := capture(paint.window, filepath.Join(out, "screenshot-ready.png")); err != nil {
		app.kill()
		return err
	}
	if err := capture("root", filepath.Join(out, "screenshot-desktop.png")); err != nil {
		app.kill()
		return err
	}
	menu := trayMenu(bus)
	fmt.Printf("tray menu when ready: %v\n", menu)
	quit := slices.IndexFunc(menu, func(t trayItem) bool { return t.label == "Quit" })
	if quit < 0 {
		app.kill()
		return errors.New("the tray menu has no Quit")
	}
	// Quit from the tray, as a person would with the window closed.
	if err := app.stop(func() error { return clickTray(bus, menu[quit].id) }); err != nil {
		return err
	}

	// Second run: the same fetches, now settled, in the dark theme; with
	// nothing active this is the idle app.
	env = append(env, "FYNE_THEME=dark")
	app, err = launch(bin, env, filepath.Join(tmp, "run2.log"))
	if err != nil {
		return err
	}
	paint, err = firstPaint(app)
	if err != nil {
		app.kill()
		return err
	}
	fmt.Printf("second run (journal with 2 fetches): window mapped %v, first paint %v after start\n", paint.mapped.Round(time.Millisecond), paint.painted.Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	if err := capture(paint.window, filepath.Join(out, "screenshot-dark.png")); err != nil {
		app.kill()
		return err
	}
	cpu, rss, err := measureIdle(app.cmd.Process.Pid, idle)
	if err != nil {
		app.kill()
		return err
	}
	fmt.Printf("idle over %v: %.2f %% of one core, RSS %d MB\n", idle, cpu, rss>>20)
	return app.stop(func() error { return app.cmd.Process.Signal(syscall.SIGTERM) })
}

// sandbox makes XDG folders under tmp, with a user catalog that points
// Gemma 2B at the local server, and returns the app's environment.
func sandbox(tmp, base string) ([]string, error) {
	dirs := map[string]string{}
	for _, name := range []string{"config", "cache", "state", "data"} {
		dirs[name] = filepath.Join(tmp, name)
		if err := os.MkdirAll(dirs[name], 0o700); err != nil {
			return nil, err
		}
	}
	catalog := []map[string]any{
		{"id": "gemma-2b", "title": "Gemma 2B",
			"description": "Google's Gemma 2B instruction-tuned model, int4, for GPU inference",
			"files":       []map[string]any{{"url": base + "/files/g-2b-it-gpu-int4.bin", "name": "g-2b-it-gpu-int4.bin", "size": modelSize}}},
		{"id": "phi-3-mini", "title": "Phi-3 Mini 4K",
			"description": "Microsoft's 3.8B model, GGUF q4",
			"files":       []map[string]any{{"url": base + "/files/phi-3-mini-4k-q4.gguf", "size": 2_390_000_000}}},
		{"id": "whisper-small", "title": "Whisper Small",
			"description": "OpenAI's speech recognition model",
			"files":       []map[string]any{{"url": base + "/files/whisper-small.bin"}}},
	}
	data, err := json.MarshalIndent(catalog, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dirs["config"], "modelfetch"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dirs["config"], "modelfetch", "catalog.json"), data, 0o600); err != nil {
		return nil, err
	}
	return append(os.Environ(),
		"XDG_CONFIG_HOME="+dirs["config"], "XDG_CACHE_HOME="+dirs["cache"],
		"XDG_STATE_HOME="+dirs["state"], "XDG_DATA_HOME="+dirs["data"],
	), nil
}

// serve starts the slow file server on 127.0.0.1.
func serve() (*http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	limit := rate.NewLimiter(rateLimit, 1<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/files/{name}", func(w http.ResponseWriter, r *http.Request) {
		f := &slowFile{ctx: r.Context(), size: modelSize, limit: limit, served: &served}
		if strings.HasPrefix(r.PathValue("name"), "tinyllama") {
			f.size, f.served = smallSize, new(atomic.Int64)
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%s-%d"`, r.PathValue("name"), f.size))
		http.ServeContent(w, r, r.PathValue("name"), time.Time{}, f)
	})
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux}
	go srv.Serve(ln) // returns http.ErrServerClosed once run closes it
	return srv, nil
}

// served counts the bytes of the big model the server has sent.
var served atomic.Int64

// slowFile is size generated bytes, read no faster than limit allows.
type slowFile struct {
	ctx    context.Context
	size   int64
	pos    int64
	limit  *rate.Limiter
	served *atomic.Int64
}

func (f *slowFile) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), f.size-f.pos, 256<<10)]
	if err := f.limit.WaitN(f.ctx, len(p)); err != nil {
		return 0, err
	}
	for i := range p {
		x := uint64(f.pos + int64(i))
		p[i] = byte((x * 0x9E3779B97F4A7C15) >> 56)
	}
	f.pos += int64(len(p))
	f.served.Add(int64(len(p)))
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

// stop asks the app to quit with ask, and checks that it did so cleanly:
// exit status 0 and no error from Fyne in its output.
func (a *app) stop(ask func() error) error {
	if err := ask(); err != nil {
		a.kill()
		return fmt.Errorf("asking the app to quit: %w", err)
	}
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		a.kill()
		return errors.New("the app did not quit within 20 s")
	}
	a.logFile.Close()
	output, err := os.ReadFile(a.log)
	if err != nil {
		return err
	}
	fmt.Printf("quit: %v; output:\n%s", exitText(a.err), indent(output))
	if a.err != nil {
		return fmt.Errorf("the app exited with %v", a.err)
	}
	for _, bad := range []string{"Error in Fyne call thread", "panic", "DATA RACE"} {
		if bytes.Contains(output, []byte(bad)) {
			return fmt.Errorf("the app's output has %q", bad)
		}
	}
	return nil
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

// findWindow is the id of the viewable top-level window named title.
func findWindow(title string) string {
	out, err := exec.Command("xwininfo", "-root", "-children").Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.Contains(line, `"`+title+`"`) {
			continue
		}
		info, err := exec.Command("xwininfo", "-id", fields[0]).Output()
		if err == nil && strings.Contains(string(info), "IsViewable") {
			return fields[0]
		}
	}
	return ""
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

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
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

// measureIdle samples the process's CPU time over d and its resident
// memory at the end.
func measureIdle(pid int, d time.Duration) (percent float64, rss int64, err error) {
	before, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	time.Sleep(d)
	after, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	percent = float64(after-before) / ticksPerSecond / d.Seconds() * 100
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss = kb << 10
		}
	}
	return percent, rss, nil
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
