package words

import (
	"io/fs"
	"net"
	"os"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
	"golang.org/x/sys/windows"
)

// The system's numbers for the errors TestSentence words.
var (
	errnoRefused     = windows.WSAECONNREFUSED
	errnoDenied      = windows.ERROR_ACCESS_DENIED
	errnoNoSpace     = windows.ERROR_DISK_FULL
	errnoReadOnly    = windows.ERROR_WRITE_PROTECT
	errnoIO          = windows.ERROR_IO_DEVICE
	errnoCrossDevice = windows.ERROR_NOT_SAME_DEVICE
	errnoNotDir      = windows.ERROR_DIRECTORY
	errnoInUse       = windows.WSAEADDRINUSE
)

// TestWindowsErrors: the errors only Windows gives are worded, as a file
// operation and as a connection return them.
func TestWindowsErrors(t *testing.T) {
	part := `C:\Users\you\AppData\Local\cache\modelfetch\partial\x\0.part`
	for _, tc := range []struct {
		errno windows.Errno
		want  string
	}{
		{windows.ERROR_SHARING_VIOLATION, "another program has the file open"},
		{windows.ERROR_LOCK_VIOLATION, "another program has the file open"},
		{windows.ERROR_HANDLE_DISK_FULL, "the disk is full"},
		{windows.ERROR_DISK_QUOTA_EXCEEDED, "quota"},
		{windows.ERROR_FILENAME_EXCED_RANGE, "too long"},
		{windows.ERROR_INVALID_NAME, "does not allow that name"},
		{windows.ERROR_NOT_READY, "not ready"},
		{windows.ERROR_BAD_NETPATH, "network folder"},
		{windows.ERROR_ACCESS_DENIED, "permission was denied"},
		{windows.ERROR_PATH_NOT_FOUND, "does not exist"},
	} {
		err := &fetch.FileError{Op: fetch.OpMove, Path: part, Err: &os.LinkError{Op: "rename", Old: part, New: `C:\m.bin`, Err: tc.errno}}
		wordstest.IsSentence(t, Sentence(fetch.Failure(fetch.ReasonFetchError, 0, err)), part, tc.want)
		wordstest.IsSentence(t, Sentence(&fs.PathError{Op: "open", Path: part, Err: tc.errno}), part, tc.want)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, Err: os.NewSyscallError("connectex", windows.WSAECONNREFUSED)}
	wordstest.IsSentence(t, Sentence(refused), "127.0.0.1:9", "nothing answers")
}
