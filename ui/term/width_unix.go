//go:build unix

package term

import "golang.org/x/sys/unix"

// width asks the terminal on fd for its columns (TIOCGWINSZ).
func width(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
