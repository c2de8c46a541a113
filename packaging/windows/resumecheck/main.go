//go:build linux

// Command resumecheck downloads a large file with the Windows build under
// wine, kills it half way as a crash or TerminateProcess would, runs the
// same `modelfetch get` again, and checks that the file is the server's
// and how many bytes the server sent for it (make check-windows-resume):
//
//	go run ./packaging/windows/resumecheck -exe dist/modelfetch.com -size 1GiB
//
// The server is origintest's, on 127.0.0.1: a generated file, with ranges
// and a strong ETag, as a CDN serves one. ModelFetch's folders are in a
// temporary folder, named to Windows through wine's Z: drive, so that
// this program reads the file from Linux.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

func main() {
	exe := flag.String("exe", "dist/modelfetch.com", "the Windows console program")
	wine := flag.String("wine", "packaging/windows/wine.sh", "runs a Windows program")
	size := flag.String("size", "1GiB", "the file's size")
	killAt := flag.Float64("kill-at", 0.5, "kill the first get once the server sent this share of the file")
	rate := flag.Int("rate", 0, "the server's pace in bytes a second for all connections, 0 for none")
	flag.Parse()
	n, err := humanize.ParseBytes(*size)
	if err == nil {
		err = check(*wine, *exe, int64(n), *killAt, *rate)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resumecheck:", err)
		os.Exit(1)
	}
}

// check is the whole run; it says what happened on stdout.
func check(wine, exe string, size int64, killAt float64, rate int) error {
	var faults []origintest.Fault
	if rate > 0 {
		faults = append(faults, origintest.ThrottleAll(rate))
	}
	o := origintest.NewServer(faults...)
	defer o.Close()
	p := origintest.NewPattern().Sized(size)
	o.PutBody("/model.bin", p, `"resumecheck"`)
	sum := p.Sums([]int64{size})[size]
	url := o.FileURL("/model.bin")
	dir, err := os.MkdirTemp("", "resumecheck")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("serving %s (%s, SHA-256 %s)\n", url, humanize.IBytes(uint64(size)), sum)
	stop, err := keepBooted(wine, exe)
	if err != nil {
		return err
	}
	defer stop()

	first, err := start(dir, wine, exe, sum, url)
	if err != nil {
		return err
	}
	began := time.Now()
	for o.Sent.Load() < int64(float64(size)*killAt) {
		select {
		case <-first.done:
			return fmt.Errorf("the first get ended (%v) before it was killed; stderr:\n%s", first.err, output(first.stderr))
		case <-time.After(20 * time.Millisecond):
		}
	}
	// SIGKILL to the wine process that runs it: the Windows program dies
	// at once, as TerminateProcess or a crash ends it.
	if err := syscall.Kill(-first.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return err
	}
	<-first.done
	sentAtKill := o.Sent.Load()
	fmt.Printf("killed after %s, the server having sent %s\n", time.Since(began).Round(time.Millisecond), humanize.IBytes(uint64(sentAtKill)))

	began = time.Now()
	second, err := start(dir, wine, exe, sum, url)
	if err != nil {
		return err
	}
	<-second.done
	if second.err != nil {
		return fmt.Errorf("the second get: %v; stderr:\n%s", second.err, output(second.stderr))
	}
	fmt.Printf("the second get started from what the first left: %s\n", firstProgress(output(second.stderr)))
	return verify(dir, output(second.stdout), sum, size, o.Sent.Load(), time.Since(began))
}

// keepBooted runs `modelfetch version` (which makes the wine prefix if
// need be), then keeps one wineserver running until stop: wine gives the
// boot time as its wineserver's start, and the journal trusts bytes
// written but not yet synced only within one boot, as after a crash on a
// machine that stayed up. Without it each wine process would be a boot of
// its own, and a resume would start from the last sync.
func keepBooted(wine, exe string) (stop func(), err error) {
	prefix, err := filepath.Abs(filepath.Join(filepath.Dir(wine), "..", "..", "bin", "wine"))
	if err != nil {
		return nil, err
	}
	if os.Getenv("WINEPREFIX") == "" {
		os.Setenv("WINEPREFIX", prefix)
	}
	version, err := exec.Command("sh", wine, exe, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version: %w", exe, err)
	}
	fmt.Printf("%s", version)
	if err := exec.Command("wineserver", "-w").Run(); err != nil {
		return nil, fmt.Errorf("wait for the wineserver to end: %w", err)
	}
	server := exec.Command("wineserver", "-f", "-p")
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("start a wineserver that stays: %w", err)
	}
	return func() {
		_ = exec.Command("wineserver", "-k").Run()
		_ = server.Wait()
	}, nil
}

// verify checks the file the second get printed and says what it cost.
func verify(dir, printed, want string, size, sent int64, took time.Duration) error {
	winPath := strings.TrimSpace(printed)
	path, ok := strings.CutPrefix(winPath, `Z:`)
	if !ok {
		return fmt.Errorf("the second get printed %q, want a path on wine's Z: drive", printed)
	}
	path = filepath.FromSlash(strings.ReplaceAll(path, `\`, "/"))
	if !strings.HasPrefix(path, dir+"/") {
		return fmt.Errorf("the file %s is not in %s", path, dir)
	}
	got, n, err := hashFile(path)
	if err != nil {
		return err
	}
	if got != want || n != size {
		return fmt.Errorf("%s: SHA-256 %s of %d bytes, want %s of %d", winPath, got, n, want, size)
	}
	fmt.Printf("resumed in %s: %s, SHA-256 %s (right)\n", took.Round(time.Millisecond), winPath, got)
	fmt.Printf("the server sent %d bytes for a file of %d: %.3f× the file\n", sent, size, float64(sent)/float64(size))
	return nil
}

// hashFile is the SHA-256 of the file at path, and its length.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// run is a `modelfetch get` under wine. Its output goes to files: wine's
// own services, started with it, inherit its handles and outlive it, so a
// pipe would not end with the program.
type run struct {
	cmd            *exec.Cmd
	stdout, stderr *os.File
	done           chan struct{}
	err            error
}

// output is what the program wrote to f.
func output(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// start runs `modelfetch get --sha256 sum url` with ModelFetch's folders
// in dir, in a process group of its own.
func start(dir, wine, exe, sum, url string) (*run, error) {
	r := &run{cmd: exec.Command("sh", wine, exe, "get", "--sha256", sum, url), done: make(chan struct{})}
	r.cmd.Env = os.Environ()
	for _, v := range []string{"XDG_STATE_HOME=state", "XDG_CACHE_HOME=cache", "XDG_CONFIG_HOME=config", "XDG_DATA_HOME=data", "XDG_RUNTIME_DIR=run"} {
		name, sub, _ := strings.Cut(v, "=")
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
		r.cmd.Env = append(r.cmd.Env, name+"="+windowsPath(filepath.Join(dir, sub)))
	}
	var err error
	if r.stdout, err = os.Create(filepath.Join(dir, "stdout")); err != nil {
		return nil, err
	}
	if r.stderr, err = os.Create(filepath.Join(dir, "stderr")); err != nil {
		return nil, err
	}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		r.err = r.cmd.Wait()
		r.stdout.Close()
		r.stderr.Close()
		close(r.done)
	}()
	return r, nil
}

// windowsPath is a Linux path as wine's Z: drive names it.
func windowsPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// firstProgress is the first line of a get's progress that counts bytes
// ("model  Queued  300 MB of 1.1 GB"): where the engine took the download
// up.
func firstProgress(stderr string) string {
	for _, line := range strings.FieldsFunc(stderr, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if strings.Contains(line, " of ") {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	return "(no progress line)"
}
