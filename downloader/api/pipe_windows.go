package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the API is served on a named pipe. AF_UNIX exists there
// (Windows 10 1803 and later), but a pipe is what Windows programs use
// for this, it dies with its process (no stale file to judge), and wine,
// where the tests run here, has no AF_UNIX. The pipe is made with
// x/sys/windows rather than go-winio, whose pipes wine 8 does not run.
//
// Only the user reaches it, three ways: its security descriptor grants
// the user alone (what Windows enforces; wine does not), the server
// checks the user of every client's process, and the client checks the
// user of the server's process (a pipe name is global: another user could
// create it first and wait for the user's requests).

// userID is who a connection comes from: a Windows security identifier
// (SID) as text, "S-1-5-21-…".
type userID = string

// pipePrefix is where the system keeps named pipes.
const pipePrefix = `\\.\pipe\`

// noServer are the errors of a dial that mean no server runs: no pipe of
// that name. (A pipe dies with its process, so none is ever stale.)
var noServer = []error{fs.ErrNotExist}

// currentUser is the user this process runs as ("" if the system does
// not say, which then matches nobody).
func currentUser() userID {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return ""
	}
	return u.User.Sid.String()
}

// SocketPath is the user's pipe, \\.\pipe\modelfetch-<SID>. With
// XDG_RUNTIME_DIR set (a test, or a second engine on purpose), it is the
// pipe named after that folder's modelfetch.sock (see pipeName), so that
// the variable picks an engine as it does on Unix.
func SocketPath() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		return pipeName(filepath.Join(dir, socketName))
	}
	return pipePrefix + "modelfetch-" + currentUser()
}

// pipeName is the pipe a path names: the path itself when it is a pipe's
// (\\.\pipe\…); else, Windows having no socket files, a pipe named after
// the user and a hash of the path, so that Listen and NewClient take the
// same paths on every system. Nothing is made at such a path.
func pipeName(path string) string {
	if len(path) > len(pipePrefix) && strings.EqualFold(path[:len(pipePrefix)], pipePrefix) {
		return path
	}
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(path))))
	return pipePrefix + "modelfetch-" + currentUser() + "-" + hex.EncodeToString(sum[:8])
}

// pipeAddr is a pipe's name as a net.Addr.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

// pipeConn is one end of a connected pipe instance. The handle is
// overlapped, so os.NewFile ties it to the runtime's poller: reads and
// writes do not hold a thread, and deadlines work (http.Server needs them).
type pipeConn struct {
	*os.File
	addr pipeAddr
}

func newPipeConn(h windows.Handle, name string) *pipeConn {
	return &pipeConn{File: os.NewFile(uintptr(h), name), addr: pipeAddr(name)}
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr { return c.addr }

func (c *pipeConn) Read(b []byte) (int, error) {
	n, err := c.File.Read(b)
	return n, c.netError("read", err)
}

func (c *pipeConn) Write(b []byte) (int, error) {
	n, err := c.File.Write(b)
	return n, c.netError("write", err)
}

// netError is an error of the file as a connection's: a *net.OpError, as
// net's own connections return. http.Server takes a read that timed out
// after it cut it short for a net.Error; a *fs.PathError is not one (it
// has no Temporary), and the server would then cancel the connection's
// every later request. io.EOF stays itself.
func (c *pipeConn) netError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: "pipe", Source: c.addr, Addr: c.addr, Err: err}
}

// dial connects to the pipe path names and checks that the user's own
// process serves it. While every instance of the pipe is taken (a server
// between two Accepts) it tries again until ctx ends.
func dial(ctx context.Context, path string) (net.Conn, error) {
	name := pipeName(path)
	fail := func(err error) error {
		return &net.OpError{Op: "dial", Net: "pipe", Addr: pipeAddr(name), Err: err}
	}
	name16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, fail(err)
	}
	for {
		// SECURITY_IDENTIFICATION: the server may learn who connects, but
		// not act as the user.
		h, err := windows.CreateFile(name16, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if err == nil {
			if err := checkServer(h); err != nil {
				windows.CloseHandle(h)
				return nil, fail(err)
			}
			return newPipeConn(h, name), nil
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fail(os.NewSyscallError("open", err))
		}
		select {
		case <-ctx.Done():
			return nil, fail(ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkServer refuses a pipe whose server runs as another user.
func checkServer(h windows.Handle) error {
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(h, &pid); err != nil {
		return os.NewSyscallError("GetNamedPipeServerProcessId", err)
	}
	user, err := processUser(pid)
	if err != nil {
		return err
	}
	if me := currentUser(); user != me || me == "" {
		return fmt.Errorf("the process serving the pipe (pid %d) runs as %s, not as this user", pid, user)
	}
	return nil
}

// processUser is the user the process pid runs as.
func processUser(pid uint32) (userID, error) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return "", fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return "", fmt.Errorf("the token of process %d: %w", pid, err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("the user of process %d: %w", pid, err)
	}
	return u.User.Sid.String(), nil
}

// pipeListener accepts connections to a named pipe from processes of one
// user. A pipe instance serves one connection; one instance always waits
// for the next client (made before a connected one is handed out), since
// a client that finds no instance at all finds no server.
type pipeListener struct {
	endpoint
	name   string
	name16 *uint16
	sa     *windows.SecurityAttributes
	stop   windows.Handle // an event set by Close, which ends a waiting Accept
	close  sync.Once

	mu   sync.Mutex // one Accept at a time; guards next, ov and the wait
	next windows.Handle
	ov   windows.Overlapped // Accept's ConnectNamedPipe; here so that it never moves while the system holds it
}

// listen makes the pipe path names (see pipeName), open to the user
// alone. The first instance is made with FILE_FLAG_FIRST_PIPE_INSTANCE:
// when the pipe exists, another server has it, and that is ErrRunning.
func listen(path string, e endpoint) (net.Listener, error) {
	l := &pipeListener{endpoint: e, name: pipeName(path)}
	var err error
	if l.name16, err = windows.UTF16PtrFromString(l.name); err != nil {
		return nil, err
	}
	if e.user == "" {
		return nil, errors.New("the user this process runs as is not known, so the local API cannot be made private")
	}
	// A server that answers is ErrRunning. FILE_FLAG_FIRST_PIPE_INSTANCE
	// below says the same without a race, but wine ignores it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	c, err := dial(ctx, l.name)
	cancel()
	if err == nil {
		c.Close()
		return nil, ErrRunning
	}
	if !notRunning(err) {
		return nil, fmt.Errorf("check whether a ModelFetch answers at %s: %w", l.name, err)
	}
	// D:P: a protected list that inherits nothing; A;;GA: all access for
	// the user alone.
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + e.user + ")")
	if err != nil {
		return nil, fmt.Errorf("the pipe's security descriptor: %w", err)
	}
	l.sa = &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	if l.ov.HEvent, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		return nil, os.NewSyscallError("CreateEvent", err)
	}
	if l.stop, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		windows.CloseHandle(l.ov.HEvent)
		return nil, os.NewSyscallError("CreateEvent", err)
	}
	if l.next, err = l.instance(true); err != nil {
		windows.CloseHandle(l.ov.HEvent)
		windows.CloseHandle(l.stop)
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, ErrRunning
		}
		return nil, fmt.Errorf("create the pipe %s: %w", l.name, err)
	}
	return l, nil
}

// instance makes one instance of the pipe, waiting for a client.
func (l *pipeListener) instance(first bool) (windows.Handle, error) {
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	out := uint32(64 << 10)
	if l.sendBuffer > 0 {
		out = uint32(l.sendBuffer)
	}
	return windows.CreateNamedPipe(l.name16, flags,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, out, 64<<10, 0, l.sa)
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

// Accept waits for a client of the user's, makes the instance that waits
// for the next one, and returns the connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		h := l.next
		if h == 0 {
			return nil, net.ErrClosed
		}
		if err := l.connect(h); err != nil {
			windows.CloseHandle(h)
			l.next = 0
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: err}
		}
		next, err := l.instance(false)
		if err != nil {
			windows.CloseHandle(h)
			l.next = 0
			return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: os.NewSyscallError("CreateNamedPipe", err)}
		}
		l.next = next
		c := newPipeConn(h, l.name)
		if user, err := clientUser(h); err != nil || user != l.user {
			l.log.Warn("refused a connection to the local API from another user", "user", user, "err", err)
			c.Close()
			continue
		}
		return c, nil
	}
}

// connect waits until a client connects to the instance h, or Close.
func (l *pipeListener) connect(h windows.Handle) error {
	for {
		if err := windows.ResetEvent(l.ov.HEvent); err != nil {
			return os.NewSyscallError("ResetEvent", err)
		}
		err := windows.ConnectNamedPipe(h, &l.ov)
		switch {
		case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
			return nil
		case errors.Is(err, windows.ERROR_NO_DATA): // a client came and went already
			if err := windows.DisconnectNamedPipe(h); err != nil {
				return os.NewSyscallError("DisconnectNamedPipe", err)
			}
			continue
		case !errors.Is(err, windows.ERROR_IO_PENDING):
			return os.NewSyscallError("ConnectNamedPipe", err)
		}
		which, err := windows.WaitForMultipleObjects([]windows.Handle{l.ov.HEvent, l.stop}, false, windows.INFINITE)
		var n uint32
		if err != nil || which != windows.WAIT_OBJECT_0 {
			// Closed (or the wait failed): cancel, and wait for the cancel
			// to land so that the system no longer holds l.ov.
			_ = windows.CancelIoEx(h, &l.ov)
			_ = windows.GetOverlappedResult(h, &l.ov, &n, true)
			if err != nil {
				return os.NewSyscallError("WaitForMultipleObjects", err)
			}
			return net.ErrClosed
		}
		return windows.GetOverlappedResult(h, &l.ov, &n, false)
	}
}

// clientUser is the user of the process at the other end of the server's
// instance h.
func clientUser(h windows.Handle) (userID, error) {
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(h, &pid); err != nil {
		return "", os.NewSyscallError("GetNamedPipeClientProcessId", err)
	}
	return processUser(pid)
}

// Close ends a waiting Accept and removes the waiting instance; connections
// made stay open. http.Server closes it too: only the first call does
// anything.
func (l *pipeListener) Close() error {
	err := net.ErrClosed
	l.close.Do(func() {
		err = windows.SetEvent(l.stop)
		l.mu.Lock() // a waiting Accept returns at once
		if l.next != 0 {
			err = errors.Join(err, windows.CloseHandle(l.next))
			l.next = 0
		}
		l.mu.Unlock()
		err = errors.Join(err, windows.CloseHandle(l.stop), windows.CloseHandle(l.ov.HEvent))
	})
	return err
}
