//go:build linux

// Command windowshot takes a screenshot of the Windows build's window
// under wine while it downloads from a local server (make
// screenshot-windows), after `modelfetch get` of a third file, run in the
// console program meanwhile, joined the window's engine through the local
// API's named pipe (the window holds the journal: a get of its own could
// not run) and printed the file's path. Run it under an X server of its
// own:
//
//	xvfb-run -a -s '-screen 0 1280x800x24' go run ./packaging/windows/windowshot \
//		-exe dist/modelfetch.exe -out packaging/windows/testdata/window.png
//
// The server is origintest's on 127.0.0.1, paced so that the downloads
// are in progress when the picture is taken; ModelFetch's folders are in a
// temporary folder, named to Windows through wine's Z: drive.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

func main() {
	exe := flag.String("exe", "dist/modelfetch.exe", "the Windows window program")
	com := flag.String("com", "dist/modelfetch.com", "the Windows console program")
	wine := flag.String("wine", "packaging/windows/wine.sh", "runs a Windows program")
	out := flag.String("out", "packaging/windows/testdata/window.png", "the screenshot")
	wait := flag.Duration("wait", 8*time.Second, "how long the downloads run before the picture")
	flag.Parse()
	err := absolute(wine, exe, com, out)
	if err == nil {
		err = shoot(*wine, *exe, *com, *out, *wait)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "windowshot:", err)
		os.Exit(1)
	}
}

// absolute makes each path absolute: the programs run in a temporary
// folder (wine's own Unix side, fontconfig for one, reads the XDG
// variables meant for ModelFetch and makes folders named Z:\… where it
// runs).
func absolute(paths ...*string) error {
	for _, p := range paths {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	return nil
}

// shoot starts the window on two downloads and takes the picture.
func shoot(wine, exe, com, out string, wait time.Duration) error {
	if os.Getenv("DISPLAY") == "" {
		return errors.New("no DISPLAY: run it under xvfb-run")
	}
	o := origintest.NewServer(origintest.ThrottleAll(6 << 20))
	defer o.Close()
	p := origintest.NewPattern()
	o.PutBody("/Llama-3.2-3B-Instruct-Q4_K_M.gguf", p.Sized(2019377696), `"llama"`)
	o.PutBody("/qwen2.5-coder-7b-instruct-q4_k_m.gguf", p.Sized(4683073248), `"qwen"`)
	o.PutBody("/ggml-tiny.en-q5_1.bin", p.Sized(16<<20), `"whisper"`)
	dir, err := os.MkdirTemp("", "windowshot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("sh", wine, exe, o.FileURL("/Llama-3.2-3B-Instruct-Q4_K_M.gguf"), o.FileURL("/qwen2.5-coder-7b-instruct-q4_k_m.gguf"))
	cmd.Env = os.Environ()
	for _, sub := range []string{"state", "cache", "config", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, "XDG_"+strings.ToUpper(sub)+"_HOME=Z:"+strings.ReplaceAll(filepath.Join(dir, sub), "/", `\`))
	}
	env := cmd.Env
	cmd.Dir = dir
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = exec.Command("wineserver", "-k").Run()
	}()
	began := time.Now()
	if err := waitFor(func() bool { return window() != "" && o.Sent.Load() > 0 }, 2*time.Minute); err != nil {
		b, _ := os.ReadFile(log.Name())
		return fmt.Errorf("no window downloading after %s: %w; its output:\n%s", time.Since(began).Round(time.Second), err, b)
	}
	fmt.Printf("the window is up after %s\n", time.Since(began).Round(100*time.Millisecond))
	if err := join(wine, com, dir, env, o.FileURL("/ggml-tiny.en-q5_1.bin")); err != nil {
		return err
	}
	time.Sleep(wait) // the rows fill in, the speeds settle
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	id := window()
	if err := exec.Command("import", "-window", id, out).Run(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Printf("%s: window %s, downloading; the server has sent %d bytes\n", out, id, o.Sent.Load())
	return nil
}

// join runs `modelfetch get url` in the console program beside the window,
// in dir, and checks that it prints the finished file's path.
func join(wine, com, dir string, env []string, url string) error {
	get := exec.Command("sh", wine, com, "get", url)
	get.Env, get.Dir = env, dir
	began := time.Now()
	out, err := get.Output()
	if err != nil {
		return fmt.Errorf("get %s beside the window: %w", url, err)
	}
	path := strings.TrimSpace(string(out))
	if !strings.HasPrefix(path, `Z:\`) || !strings.HasSuffix(path, `\ggml-tiny.en-q5_1.bin`) {
		return fmt.Errorf("get beside the window printed %q, want the file's path", out)
	}
	fmt.Printf("modelfetch get joined the window's engine and printed %s after %s\n", path, time.Since(began).Round(100*time.Millisecond))
	return nil
}

// window is the X id of ModelFetch's window, "" when there is none yet.
func window() string {
	id, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^ModelFetch").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(id), "\n", 2)[0])
}

// waitFor polls cond until it holds or limit passes.
func waitFor(cond func() bool, limit time.Duration) error {
	for end := time.Now().Add(limit); !cond(); {
		if time.Now().After(end) {
			return errors.New("gave up")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}
