//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is what one run of one program cost.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system time of the program alone
	rss    int64         // the program's peak resident set, in bytes
	server time.Duration // CPU time of this process (the server, mostly) meanwhile
	busy   float64       // the share of all CPUs' time the machine was busy meanwhile
	iowait float64       // the share it was idle waiting for the disk
	// requests and conns are what the server saw: GET requests, and the
	// most bodies it sent at once.
	requests, conns int64
}

// add is two programs run one after the other, as a shell pipeline of
// commands joined by && would be.
func (s sample) add(o sample) sample {
	return sample{wall: s.wall + o.wall, cpu: s.cpu + o.cpu, rss: max(s.rss, o.rss), server: s.server + o.server,
		requests: s.requests + o.requests, conns: max(s.conns, o.conns)}
}

// report is what the launcher tells the bench about its child.
type report struct {
	WallNS, UserNS, SysNS int64
	MaxRSSKiB             int64
}

// launch is the hidden "internal-exec REPORT PROG ARGS..." mode. Every
// program is measured through it because Go starts children with
// vfork, and Linux then counts the parent's peak RSS as the child's: the
// bench holds a large content block, this launcher holds 2 MiB.
func launch(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "bench: internal-exec needs a report path and a command")
		return 2
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// If the bench dies, its children must not wait forever for a server
	// that is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 127
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rep := report{WallNS: wall.Nanoseconds(), UserNS: ru.Utime.Nano(), SysNS: ru.Stime.Nano(), MaxRSSKiB: ru.Maxrss}
	data, err := json.Marshal(rep)
	if err == nil {
		err = os.WriteFile(args[0], data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 127
	}
	return cmd.ProcessState.ExitCode()
}

// rawGet is the hidden "internal-get URL" mode: the raw ceiling, a plain
// Go client that reads the body and throws it away.
func rawGet(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "bench: internal-get needs a URL")
		return 2
	}
	// No proxy from the environment: the server is on loopback.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Get(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "bench: %s\n", resp.Status)
		return 1
	}
	// io.Discard's own ReadFrom reads 8 KiB at a time; hiding it makes the
	// copy read up to 1 MiB per system call, as a ceiling should.
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, make([]byte, 1<<20))
	if err == nil && n != resp.ContentLength {
		err = fmt.Errorf("read %d bytes of %d", n, resp.ContentLength)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// run starts argv through the launcher, in the run folder dir with an
// environment of its own, and returns its cost and its standard output.
func (b *bench) run(ctx context.Context, dir string, argv ...string) (sample, string, error) {
	rep := filepath.Join(dir, "report.json")
	cmd := exec.CommandContext(ctx, b.self, append([]string{"internal-exec", rep}, argv...)...)
	cmd.Dir = dir
	cmd.Env = runEnv(dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The launcher and the program get a process group of their own, so
	// that a timeout or Ctrl-C ends both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	before := selfCPU()
	err := cmd.Run()
	server := selfCPU() - before
	if err != nil {
		if ctx.Err() != nil {
			return sample{}, "", fmt.Errorf("%s: %w", filepath.Base(argv[0]), context.Cause(ctx))
		}
		return sample{}, "", fmt.Errorf("%s: %w: %s", filepath.Base(argv[0]), err, lastLine(stderr.String()))
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		return sample{}, "", err
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		return sample{}, "", fmt.Errorf("the launcher's report: %w", err)
	}
	return sample{
		wall:   time.Duration(r.WallNS),
		cpu:    time.Duration(r.UserNS + r.SysNS),
		rss:    r.MaxRSSKiB << 10,
		server: server,
	}, stdout.String(), nil
}

// runEnv is a clean environment in dir: fresh XDG folders for ModelFetch,
// a HOME without ~/.curlrc or ~/.aria2, and no proxy variables.
func runEnv(dir string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + dir, "TMPDIR=" + dir,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
	}
}

// selfCPU is the user + system time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lastLine is the last non-empty line of a program's error output: with
// progress lines before it, the one that says why it failed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// errMismatch is an output file that is not the file served.
var errMismatch = errors.New("wrong file")

// cpuStat is the machine's CPU time so far, from /proc/stat, in ticks.
type cpuStat struct{ total, idle, iowait int64 }

// readCPUStat reads the first line of /proc/stat; zero where there is none.
func readCPUStat() cpuStat {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return cpuStat{}
	}
	var st cpuStat
	for i, v := range f[1:] {
		if i >= 8 {
			break // guest time is already counted in user time
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		st.total += n
		switch i {
		case 3:
			st.idle = n
		case 4:
			st.iowait = n
		}
	}
	return st
}

// since is the share of CPU time the machine was busy, and the share it
// waited for the disk, between from and s: whether the CPUs or the disk
// were the limit, whoever used them.
func (s cpuStat) since(from cpuStat) (busy, iowait float64) {
	total := float64(s.total - from.total)
	if total <= 0 {
		return 0, 0
	}
	return float64(s.total-from.total-(s.idle-from.idle)-(s.iowait-from.iowait)) / total,
		float64(s.iowait-from.iowait) / total
}
