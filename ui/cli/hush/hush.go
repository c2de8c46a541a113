//go:build !windows

// Package hush holds back what is written to standard error while the
// program initialises, before main runs, so that what a terminal shows of
// modelfetch, a command's output or the window's start, is only its own.
//
// Fyne's lang package parses the user's locale in its init function and
// logs three lines when it cannot ("C", "C.UTF-8", an unknown language).
// Package initialisation order cannot put any of our code before it, so a
// C constructor, which runs when the binary is loaded, points file
// descriptor 2 at an unnamed temporary file; Release points it back and
// drops what was held. (What Fyne logs later, through the log package,
// main sends to the engine's log.)
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

import "os"

// Release gives standard error back and drops what initialisation wrote
// to it. Later calls do nothing. Call it first thing in main.
func Release() {
	if fd := int(C.hush_release()); fd >= 0 {
		os.NewFile(uintptr(fd), "held stderr").Close()
	}
}
