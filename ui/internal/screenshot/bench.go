package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// The window benchmark (-bench): what the real window costs in CPU and
// memory above `modelfetch serve` doing the same downloads. Each run is
// one process in a home of its own, with a session bus of its own (a
// dbus-daemon started as dbus-run-session starts one) and, when the
// presentation asks for it, status-notifier-watcher as the tray host on
// that bus; openbox manages the windows for the whole bench. The
// downloads are queued over the local API, identically for the window
// and for serve, from the slow server (rateLimit over all connections),
// so that every run of a load gets the same bytes per second. The CPU is
// utime + stime of the process over -measure, after the downloads have
// run for -settle; runs take turns, and the table shows medians.

// load is a set of downloads: running transfer, queued wait behind them
// (the engine runs three at once by default).
type load struct {
	name             string
	running, waiting int
}

// presentation is how the process shows itself.
type presentation struct {
	name     string
	serve    bool // modelfetch serve, the engine's own cost
	trayHost bool // status-notifier-watcher runs on the session bus
	hidden   bool // started with --hidden
	closed   bool // shown, then closed by the window manager (into the tray)
}

var (
	loadIdle   = load{"idle", 0, 0}
	loadOne    = load{"1 running", 1, 0}
	loadQueue  = load{"3 running + 20 queued", 3, 20}
	loadLong   = load{"3 running + 200 queued", 3, 200}
	asServe    = presentation{name: "modelfetch serve", serve: true}
	asWindow   = presentation{name: "window, tray host", trayHost: true}
	asBare     = presentation{name: "window, no tray host"}
	asHidden   = presentation{name: "--hidden, in the tray", trayHost: true, hidden: true}
	asClosed   = presentation{name: "shown, closed to the tray", trayHost: true, closed: true}
	benchPlans = []struct {
		load  load
		shows []presentation
	}{
		{loadIdle, []presentation{asServe, asWindow, asBare}},
		{loadOne, []presentation{asServe, asWindow, asBare}},
		{loadQueue, []presentation{asServe, asWindow, asBare, asHidden, asClosed}},
		{loadLong, []presentation{asServe, asWindow, asBare, asHidden}},
	}
)

// benchConfig is what the flags set.
type benchConfig struct {
	bin             string
	runs            int
	settle, measure time.Duration
	shots           string // a folder for a picture of the screen at the end of each first run, or ""
	only            string // only the loads whose name contains it
}

// benchRow is one load shown one way, over the runs.
type benchRow struct {
	load    load
	show    presentation
	samples []benchSample
	fails   []string
}

// benchSample is what one run measured.
type benchSample struct {
	cpu     float64       // percent of one core
	rss     int64         // VmRSS at the end, bytes
	hwm     int64         // VmHWM at the end: the peak since the start
	served  float64       // bytes per second the server sent meanwhile
	elapsed time.Duration // the measured span, as it really was
}

// benchRows is a row for each way of showing each load whose name
// contains only.
func benchRows(only string) []*benchRow {
	var rows []*benchRow
	for _, p := range benchPlans {
		if !strings.Contains(p.load.name, only) {
			continue
		}
		for _, show := range p.shows {
			rows = append(rows, &benchRow{load: p.load, show: show})
		}
	}
	return rows
}

func windowBench(cfg benchConfig) error {
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return err
	}
	cfg.bin = bin
	if os.Getenv("DISPLAY") == "" {
		return errors.New("no DISPLAY: run it under Xvfb (make bench-window)")
	}
	if cfg.shots != "" {
		if err := os.MkdirAll(cfg.shots, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "modelfetch-windowbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srv, err := serve()
	if err != nil {
		return err
	}
	defer srv.Close()
	stopWM, err := start([]string{"openbox"}, filepath.Join(tmp, "openbox.log"))
	if err != nil {
		return err
	}
	defer stopWM()
	time.Sleep(time.Second) // openbox takes the screen before the first window maps

	began, load0 := time.Now(), loadAvg()
	rows := benchRows(cfg.only)
	seq := 0
	for n := range cfg.runs {
		for _, r := range rows {
			seq++
			shot := ""
			if cfg.shots != "" && n == 0 {
				shot = filepath.Join(cfg.shots, fmt.Sprintf("bench-%02d.png", seq))
			}
			s, err := benchOnce(cfg, filepath.Join(tmp, strconv.Itoa(seq)), "http://"+srv.Addr, r.load, r.show, shot)
			if err != nil {
				r.fails = append(r.fails, err.Error())
				fmt.Fprintf(os.Stderr, "%s  run %d/%d: %s, %s: FAILED: %v\n", time.Now().Format("15:04:05"), n+1, cfg.runs, r.load.name, r.show.name, err)
				continue
			}
			r.samples = append(r.samples, s)
			fmt.Fprintf(os.Stderr, "%s  run %d/%d: %s, %s: %.2f %% of a core, VmRSS %d MiB, VmHWM %d MiB, served %.1f MB/s; load %s\n",
				time.Now().Format("15:04:05"), n+1, cfg.runs, r.load.name, r.show.name, s.cpu, s.rss>>20, s.hwm>>20, s.served/1e6, loadAvg())
		}
	}
	printBench(cfg, rows, began, load0)
	return nil
}

// benchOnce is one run in dir: a session bus, the tray host if asked,
// the process, its downloads queued, and the measurement; then the
// screen's picture in shot, unless it is "".
func benchOnce(cfg benchConfig, dir, base string, l load, show presentation, shot string) (benchSample, error) {
	defer func() {
		os.RemoveAll(dir)
		syscall.Sync() // one run's writes must not slow the next
	}()
	env, err := benchEnv(dir)
	if err != nil {
		return benchSample{}, err
	}
	stopBus, err := sessionBus(dir)
	if err != nil {
		return benchSample{}, err
	}
	defer stopBus()
	if show.trayHost {
		stopHost, err := start([]string{"status-notifier-watcher"}, filepath.Join(dir, "watcher.log"))
		if err != nil {
			return benchSample{}, err
		}
		defer stopHost()
		if err := waitFor(10*time.Second, func() bool { return busHasName("org.kde.StatusNotifierWatcher") }); err != nil {
			return benchSample{}, fmt.Errorf("the tray host did not claim its name: %w", err)
		}
	}
	var args []string
	switch {
	case show.serve:
		args = []string{"serve"}
	case show.hidden:
		args = []string{"--hidden"}
	}
	a, err := launch(cfg.bin, env, filepath.Join(dir, "run.log"), args...)
	if err != nil {
		return benchSample{}, err
	}
	s, err := benchProcess(cfg, a, dir, base, l, show)
	if err == nil && shot != "" {
		err = capture("root", shot)
	}
	if err != nil {
		a.kill()
		return s, fmt.Errorf("%w (its output ends: %s)", err, lastLine(a.log))
	}
	if _, err := a.quit(func() error { return a.cmd.Process.Signal(syscall.SIGTERM) }); err != nil {
		return s, fmt.Errorf("%w (its output ends: %s)", err, lastLine(a.log))
	}
	return s, nil
}

// lastLine is the last line of the file name, which says why a process
// failed more often than any other.
func lastLine(name string) string {
	data, _ := os.ReadFile(name) // nothing to add when it cannot be read
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}

// benchProcess brings the started process to the state show asks for,
// queues l's downloads over the local API, waits for them to run for
// cfg.settle and measures for cfg.measure.
func benchProcess(cfg benchConfig, a *app, dir, base string, l load, show presentation) (benchSample, error) {
	api := apiClient(filepath.Join(dir, "runtime", "modelfetch.sock"))
	defer api.CloseIdleConnections()
	if err := waitFor(30*time.Second, func() bool { return apiAnswers(api) }); err != nil {
		return benchSample{}, fmt.Errorf("the local API did not answer: %w", err)
	}
	if err := present(a, show); err != nil {
		return benchSample{}, err
	}
	for i := range l.running + l.waiting {
		if err := queue(api, fmt.Sprintf("%s/files/model-%03d.gguf", base, i+1)); err != nil {
			return benchSample{}, err
		}
	}
	if err := waitFor(time.Minute, func() bool { return settled(api, l) }); err != nil {
		return benchSample{}, fmt.Errorf("%d downloads did not start with %d queued: %w", l.running, l.waiting, err)
	}
	// Nothing talks to the API from here on: the process does only what
	// its downloads and its window ask of it.
	api.CloseIdleConnections()
	time.Sleep(cfg.settle)
	return measureProcess(a.cmd.Process.Pid, cfg.measure)
}

// present waits for the window as show has it: painted and sized to
// 1280×800 (so that every run shows as many rows), closed into the tray
// after that, or, started hidden, its tray icon registered. serve has
// nothing to show.
func present(a *app, show presentation) error {
	if show.serve {
		return nil
	}
	if show.hidden {
		if err := waitFor(30*time.Second, func() bool { return trayBus() != "" }); err != nil {
			return fmt.Errorf("the tray icon did not register: %w", err)
		}
		if w := findWindow("ModelFetch"); w != "" {
			return errors.New("the window started with --hidden is shown")
		}
		return nil
	}
	p, err := firstPaint(a)
	if err != nil {
		return err
	}
	if err := resizeAndCapture(p.window, 1280, 800, ""); err != nil {
		return err
	}
	if !show.closed {
		return nil
	}
	// As a person closes it: the window manager asks the window to close
	// (WM_DELETE_WINDOW); with a tray, ModelFetch hides instead of quitting.
	if out, err := exec.Command("wmctrl", "-i", "-c", p.window).CombinedOutput(); err != nil {
		return fmt.Errorf("wmctrl -c: %v: %s", err, out)
	}
	if err := waitFor(10*time.Second, func() bool { return findWindow("ModelFetch") == "" }); err != nil {
		return fmt.Errorf("the window did not close into the tray: %w", err)
	}
	return nil
}

// benchEnv makes the run's folders and its environment: an empty home
// with XDG folders of its own, the run's session bus at
// dir/runtime/bus, the display and nothing else of the bench's
// environment.
func benchEnv(dir string) ([]string, error) {
	folders := map[string]string{
		"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_CACHE_HOME": "cache",
		"XDG_STATE_HOME": "state", "XDG_DATA_HOME": "data", "XDG_RUNTIME_DIR": "runtime",
	}
	env := []string{"DBUS_SESSION_BUS_ADDRESS=" + busAddress(dir)}
	for name, sub := range folders {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
		env = append(env, name+"="+filepath.Join(dir, sub))
	}
	for _, name := range []string{"PATH", "DISPLAY", "XAUTHORITY", "GODEBUG"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env, nil
}

// busAddress is where the run in dir has its session bus: systemd's
// place for it, in the runtime folder.
func busAddress(dir string) string { return "unix:path=" + filepath.Join(dir, "runtime", "bus") }

// sessionBus starts the run's session bus, as dbus-run-session does, and
// makes it this process's too, so that what this tool asks over D-Bus
// (trayBus, busHasName) and the tray host it starts use the run's bus.
func sessionBus(dir string) (func(), error) {
	addr := busAddress(dir)
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	stop, err := start([]string{"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=" + addr}, filepath.Join(dir, "dbus.log"))
	if err != nil {
		return nil, err
	}
	if err := waitFor(10*time.Second, func() bool { return busHasName("org.freedesktop.DBus") }); err != nil {
		stop()
		return nil, fmt.Errorf("the session bus did not start: %w", err)
	}
	return stop, nil
}

// busHasName asks the session bus whether name has an owner.
func busHasName(name string) bool {
	out, err := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus.NameHasOwner", "string:"+name).Output()
	return err == nil && bytes.Contains(out, []byte("boolean true"))
}

// apiClient talks HTTP over the local API's unix socket.
func apiClient(sock string) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
}

// apiAnswers says whether the local API is served.
func apiAnswers(c *http.Client) bool {
	resp, err := c.Get("http://modelfetch/v1")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// queue starts a fetch of url, as any client of the local API does.
func queue(c *http.Client, url string) error {
	body, err := json.Marshal(map[string]any{"requests": []map[string]string{{"url": url}}})
	if err != nil {
		return err
	}
	resp, err := c.Post("http://modelfetch/v1/fetches", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("queue %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("queue %s: the local API answered %s", url, resp.Status)
	}
	return nil
}

// settled says whether l's downloads are where the measurement needs
// them: l.running of them transferring bytes, l.waiting queued.
func settled(c *http.Client, l load) bool {
	resp, err := c.Get("http://modelfetch/v1/fetches")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var fetches []struct {
		State      string `json:"state"`
		Downloaded int64  `json:"downloaded"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&fetches) != nil {
		return false
	}
	running, waiting := 0, 0
	for _, f := range fetches {
		switch {
		case f.State == "running" && f.Downloaded > 0:
			running++
		case f.State == "queued":
			waiting++
		}
	}
	return running == l.running && waiting == l.waiting
}

// measureProcess is pid's CPU over d, as a percentage of one core, with
// its memory at the end and the server's rate meanwhile.
func measureProcess(pid int, d time.Duration) (benchSample, error) {
	before, err := cpuTicks(pid)
	if err != nil {
		return benchSample{}, err
	}
	sent, began := served.Load(), time.Now()
	time.Sleep(d)
	after, err := cpuTicks(pid)
	if err != nil {
		return benchSample{}, err
	}
	s := benchSample{elapsed: time.Since(began)}
	s.served = float64(served.Load()-sent) / s.elapsed.Seconds()
	const ticksPerSecond = 100 // USER_HZ on Linux
	s.cpu = float64(after-before) / ticksPerSecond / s.elapsed.Seconds() * 100
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return benchSample{}, err
	}
	s.rss, s.hwm = statusBytes(status, "VmRSS:"), statusBytes(status, "VmHWM:")
	return s, nil
}

// statusBytes is the field name of /proc/PID/status, in bytes.
func statusBytes(status []byte, name string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// loadAvg is the machine's one-minute load average: how busy the rest
// of the machine was.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

// printBench writes the table: medians of each row's runs, and each
// window's CPU above serve's with the same downloads.
func printBench(cfg benchConfig, rows []*benchRow, began time.Time, load0 string) {
	version, _ := exec.Command(cfg.bin, "--version").Output()
	fmt.Printf("ModelFetch window bench, %s, %d CPUs; load average %s at the start, %s at the end; medians of %d runs.\n",
		began.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), load0, loadAvg(), cfg.runs)
	fmt.Printf("Binary: %s (%s)\n", cfg.bin, strings.TrimSpace(string(version)))
	fmt.Printf("Server: %.1f MB/s over all connections; files of %.2f GB; CPU measured over %v after %v of transfer.\n\n",
		float64(rateLimit)/1e6, float64(bigSize)/1e9, cfg.measure, cfg.settle)
	serve := map[string]float64{}
	for _, r := range rows {
		if r.show.serve && len(r.samples) > 0 {
			serve[r.load.name] = r.median(func(s benchSample) float64 { return s.cpu })
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "downloads\tprocess\tCPU % of a core\tabove serve\tVmRSS\tVmHWM\tserved MB/s\tcheck")
	for _, r := range rows {
		var cpu, above, rss, hwm, rate string
		if len(r.samples) > 0 {
			c := r.median(func(s benchSample) float64 { return s.cpu })
			cpu = fmt.Sprintf("%.1f", c)
			if base, ok := serve[r.load.name]; ok && !r.show.serve {
				above = fmt.Sprintf("%+.1f", c-base)
			}
			rss = fmt.Sprintf("%.0f MB", r.median(func(s benchSample) float64 { return float64(s.rss) })/1e6)
			hwm = fmt.Sprintf("%.0f MB", r.median(func(s benchSample) float64 { return float64(s.hwm) })/1e6)
			rate = fmt.Sprintf("%.1f", r.median(func(s benchSample) float64 { return s.served })/1e6)
		}
		check := "ok"
		if len(r.fails) > 0 {
			check = fmt.Sprintf("FAILED %d/%d: %s", len(r.fails), len(r.fails)+len(r.samples), r.fails[0])
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.load.name, r.show.name, cpu, above, rss, hwm, rate, check)
	}
	w.Flush()
	fmt.Println()
	for _, n := range []string{
		"MB = 10^6 bytes. CPU is the process's utime + stime (/proc/PID/stat) over the measured span, as a percentage of one core.",
		"above serve is the window's CPU minus `modelfetch serve`'s with the same downloads from the same server: the window's own cost.",
		"VmRSS is the resident memory at the end of the span, VmHWM its peak since the process started (/proc/PID/status).",
		"served MB/s is what the server sent meanwhile: every row of one load should show the same.",
		"Each run has its own home, XDG folders and session bus; the downloads are queued over the local API, the window is 1280×800.",
	} {
		fmt.Println(n)
	}
	fmt.Printf("The bench took %s.\n", time.Since(began).Round(time.Second))
}

func (r *benchRow) median(f func(benchSample) float64) float64 {
	xs := make([]float64, len(r.samples))
	for i, s := range r.samples {
		xs[i] = f(s)
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}
