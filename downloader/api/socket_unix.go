//go:build unix

package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/adrg/xdg"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// userID is who a connection comes from: a Unix user id.
type userID = int

// currentUser is the user this process runs as.
func currentUser() userID { return os.Getuid() }

// noServer are the errors of a dial that mean no server runs: no socket,
// or a socket a crashed server left.
var noServer = []error{fs.ErrNotExist, syscall.ECONNREFUSED}

// dial connects to the socket at path.
func dial(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}

// listen creates the socket at path with mode 0600, in a folder that must
// belong to the user and be closed to others' writes. It holds a lock on
// path+".lock" until the listener is closed, so that of two servers
// starting at once one gets ErrRunning. A socket left by a crashed server
// is replaced; one where a server answers is ErrRunning; anything else at
// path is an error, and left alone. Closing the listener removes the
// socket (if it is still the one made here) and releases the lock.
func listen(path string, e endpoint) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the socket path %s is longer than the %d bytes a socket address holds", path, maxSocketPath)
	}
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	lock, err := lockSocket(path)
	if err != nil {
		return nil, err
	}
	if err := checkStale(path); err != nil {
		lock.Close()
		return nil, err
	}
	l, err := bindPrivate(path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		lock.Close()
		return nil, fmt.Errorf("check the new socket: %w", err)
	}
	return &peerListener{UnixListener: l, endpoint: e, lock: lock, path: path, sock: fi}, nil
}

// maxSocketPath is the longest path a unix socket address can hold on
// Linux (sun_path is 108 bytes with its terminating zero).
const maxSocketPath = 107

// SocketPath is where the user's engine serves its API:
// $XDG_RUNTIME_DIR/modelfetch.sock, a per-user folder of the session that
// only the user can enter. Without XDG_RUNTIME_DIR it is in ModelFetch's
// XDG state folder (which is private to the user as well), and when that
// path is too long for a socket address, in /tmp/modelfetch-<uid>/, which
// Listen creates with mode 0700 and refuses to use if another user owns it.
func SocketPath() string {
	// xdg.RuntimeDir falls back to /run/user/<uid> whether or not it
	// exists, so the variable itself decides.
	if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		return filepath.Join(dir, socketName)
	}
	if p := filepath.Join(xdg.StateHome, "modelfetch", socketName); len(p) <= maxSocketPath {
		return p
	}
	return filepath.Join(os.TempDir(), "modelfetch-"+strconv.Itoa(os.Getuid()), socketName)
}

// privateDir makes sure dir exists, belongs to the user and cannot be
// written by anyone else: in a folder others can write, they could replace
// the socket with their own and receive the user's requests.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the socket folder: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check the socket folder: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("the socket folder %s is not a folder", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("the socket folder %s belongs to another user (uid %d); remove it or set XDG_RUNTIME_DIR", dir, st.Uid)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("the socket folder %s can be written by other users (mode %v); make it private with chmod 700", dir, fi.Mode().Perm())
	}
	return nil
}

// lockSocket takes an exclusive lock next to the socket, held while the
// server lives. It is what makes one server per socket race-free: two
// processes starting at once cannot both decide that an old socket is
// stale and replace each other's. The kernel drops the lock when the
// process dies, so a crash never leaves it behind.
func lockSocket(path string) (*os.File, error) {
	f, err := disk.Lock(path + ".lock")
	if errors.Is(err, fetch.ErrLocked) {
		return nil, ErrRunning
	}
	if err != nil {
		return nil, fmt.Errorf("the socket lock: %w", err)
	}
	return f, nil
}

// checkStale decides what to do with whatever is at path: nothing there or
// a socket nobody answers on (a crashed server's) may be replaced; a socket
// that answers is ErrRunning; anything else is not ours to delete.
func checkStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; move it away so that ModelFetch can serve its API there", path)
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		c.Close()
		return ErrRunning
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil
	}
	return fmt.Errorf("check whether a ModelFetch answers at %s: %w", path, err)
}

// bindPrivate creates a listening socket at path that is never reachable
// by anyone but the user. bind creates the socket file with the process
// umask, and changing the umask would race with every other goroutine that
// creates files; so the socket is bound inside a fresh folder of mode 0700,
// made 0600, and only then renamed into place. The rename also replaces a
// stale socket atomically, so clients never find nothing there.
func bindPrivate(path string) (*net.UnixListener, error) {
	tmpDir, err := os.MkdirTemp(filepath.Dir(path), ".modelfetch-sock-")
	if err != nil {
		return nil, fmt.Errorf("create the socket: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("create the socket: %w", err)
	}
	// The file moves; Close removes it at its final path instead.
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("make the socket private: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("put the socket at %s: %w", path, err)
	}
	return l, nil
}

// peerListener accepts only connections from processes of one user. The
// socket's mode already keeps others out; this holds even if someone
// loosens the mode or the socket is handed over by file descriptor.
type peerListener struct {
	*net.UnixListener
	endpoint
	lock  *os.File
	path  string
	sock  os.FileInfo // the socket made, to remove only that one
	close sync.Once
}

// Close stops listening, removes the socket (if it is still the one
// listen made) and releases the lock. http.Server closes it too: only the
// first call does anything.
func (l *peerListener) Close() error {
	err := net.ErrClosed
	l.close.Do(func() {
		err = l.UnixListener.Close()
		if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.sock) {
			err = errors.Join(err, os.Remove(l.path))
		}
		err = errors.Join(err, l.lock.Close())
	})
	return err
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err != nil || uid != l.user {
			l.log.Warn("refused a connection to the local API from another user", "uid", uid, "err", err)
			c.Close()
			continue
		}
		if l.sendBuffer > 0 {
			if err := c.SetWriteBuffer(l.sendBuffer); err != nil {
				l.log.Warn("set the send buffer", "err", err)
			}
		}
		return c, nil
	}
}

// peerUID is the user id of the process at the other end of c (see
// fdPeerUID, one per system).
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	uid, uidErr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { uid, uidErr = fdPeerUID(int(fd)) }); err != nil {
		return -1, err
	}
	return uid, uidErr
}
