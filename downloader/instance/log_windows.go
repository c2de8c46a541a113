package instance

import (
	"os"

	"golang.org/x/sys/windows"
)

// openAppend opens path for appending, made if missing, shared for
// deletion too: the window and `modelfetch get` append to the same log,
// and one of them moves it aside at the limit while the other holds it
// open, which Windows refuses for a file opened as os.OpenFile opens one.
// (The file is private by its folder, the user's profile: Windows has no
// 0600.)
func openAppend(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.FILE_APPEND_DATA|windows.SYNCHRONIZE|windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil, windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
