//go:build unix

package api

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modelfetch/modelfetch/downloader"
)

// otherUser is a user other than the test's.
func otherUser() userID { return os.Getuid() + 1 }

func TestListenSocketMode(t *testing.T) {
	// A wide umask must not make the socket reachable, not even for a
	// moment: the socket is bound in a private folder first.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := shortTemp(t)
	sock := filepath.Join(dir, "modelfetch.sock")
	m, err := downloader.New(downloader.Config{StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "p"), ModelsDir: filepath.Join(dir, "m")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := New(m, Options{})
	if err := s.Listen(sock); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{sock, sock + ".lock"} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), got)
		}
	}
	if fi, _ := os.Lstat(sock); fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("got file type %v, want a socket", fi.Mode().Type())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".modelfetch-sock-") {
			t.Errorf("the temporary socket folder %s was left behind", e.Name())
		}
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	dir := shortTemp(t)
	sock := filepath.Join(dir, "modelfetch.sock")
	// A crashed server leaves its socket file and nobody listening.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := net.Dial("unix", sock); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("the stale socket answers dial with %v, want ECONNREFUSED", err)
	}
	if _, err := NewClient(sock).Ping(t.Context()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Ping of a stale socket: got %v, want ErrNotRunning", err)
	}

	m, err := downloader.New(downloader.Config{StateDir: filepath.Join(dir, "state"), PartialDir: filepath.Join(dir, "p"), ModelsDir: filepath.Join(dir, "m")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := New(m, Options{})
	if err := s.Listen(sock); err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ctx := t.Context()
	done := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() { done <- s.Serve(sctx) }()
	in, err := NewClient(sock).Ping(ctx)
	if err != nil {
		t.Fatalf("Ping after replacing the stale socket: %v", err)
	}
	if in.PID != os.Getpid() || in.API != "v1" {
		t.Errorf("got %+v, want this process's v1", in)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1234")
	if got := SocketPath(); got != "/run/user/1234/modelfetch.sock" {
		t.Errorf("got %s, want the runtime folder's", got)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	got := SocketPath()
	if !filepath.IsAbs(got) || filepath.Base(got) != "modelfetch.sock" || strings.HasPrefix(got, "/run/user/1234") {
		t.Errorf("without XDG_RUNTIME_DIR: got %s, want a per-user fallback", got)
	}
}

func TestPrivateDirRefusesSharedFolder(t *testing.T) {
	shared := filepath.Join(shortTemp(t), "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	// Mkdir's mode is masked by the umask; Chmod is not.
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	m, err := downloader.New(downloader.Config{StateDir: filepath.Join(shared, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := New(m, Options{})
	if err := s.Listen(filepath.Join(shared, "modelfetch.sock")); err == nil {
		s.Close()
		t.Fatal("Listen in a folder everyone can write succeeded, want an error")
	}
	if _, err := os.Lstat(filepath.Join(shared, "modelfetch.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a socket was created: %v", err)
	}
}

// TestListenRefusesOthersSockets: a server that does not take the lock
// (another version, say) is found by answering the socket; something that
// is not a socket is not ours to delete.
func TestListenRefusesOthersSockets(t *testing.T) {
	e := newEnv(t, envOptions{})
	other := filepath.Join(shortTemp(t), "other.sock")
	l, err := net.Listen("unix", other)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if err := New(e.m, Options{}).Listen(other); !errors.Is(err, ErrRunning) {
		t.Fatalf("Listen on a socket that answers: got %v, want ErrRunning", err)
	}

	// Something that is not a socket is not ours to delete.
	file := filepath.Join(shortTemp(t), "modelfetch.sock")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New(e.m, Options{}).Listen(file); err == nil {
		t.Fatal("Listen over a regular file succeeded, want an error")
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "keep me" {
		t.Fatalf("the regular file changed: %q, %v", data, err)
	}
}
