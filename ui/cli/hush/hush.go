//go:build !windows

// Package hush holds back what is written to standard error while the
// program initialises, before main runs, so that a command-line
// subcommand's output is only its own.
//
// Fyne's lang package parses the user's locale in its init function and
// logs three lines when it cannot ("C", "C.UTF-8", an unknown language).
// Package initialisation order cannot put any of our code before it, so a
// C constructor, which runs when the binary is loaded, points file
// descriptor 2 at an unnamed temporary file; Release points it back and
// either copies what was held to standard error or drops it.
package hush

/*
#include <stdio.h>
#include <unistd.h>

static int saved = -1;
static FILE *held;

__attribute__((constructor)) static void hush_hold(void) {
	held = tmpfile();
	if (held == NULL) return;
	saved = dup(2);
	if (saved < 0 || dup2(fileno(held), 2) < 0) {
		if (saved >= 0) close(saved);
		saved = -1;
		fclose(held);
		held = NULL;
	}
}

// hush_release restores fd 2 and returns the descriptor of the file that
// holds what was written meanwhile, positioned at its start, or -1.
static int hush_release(void) {
	if (saved < 0) return -1;
	dup2(saved, 2);
	close(saved);
	saved = -1;
	int fd = dup(fileno(held));
	fclose(held);
	held = NULL;
	if (fd >= 0) lseek(fd, 0, SEEK_SET);
	return fd;
}
*/
import "C"

import (
	"io"
	"os"
)

// Release gives standard error back. With keep, what initialisation wrote
// is copied to it; without, it is dropped. Later calls do nothing. Call it
// first thing in main.
func Release(keep bool) {
	fd := int(C.hush_release())
	if fd < 0 {
		return
	}
	f := os.NewFile(uintptr(fd), "held stderr")
	defer f.Close()
	if keep {
		// Nothing better can be done with a failed write to stderr.
		_, _ = io.Copy(os.Stderr, f)
	}
}
