// Package hush holds back what is written to standard error while the
// program initialises, before main runs, so that what a terminal shows of
// modelfetch is only its own (see hush.go). On Windows it holds nothing
// back.
package hush

// Release does nothing on Windows. Fyne reads the locale from the system
// there, not from LANG, so its initialisation has nothing to say; and
// holding fd 2 back would lose standard error for good: the C runtime's
// dup2 of fd 2 also moves the process's standard error handle
// (SetStdHandle), which Go reads once, before main, so Go's os.Stderr
// would be the held file, closed by Release.
func Release() {}
