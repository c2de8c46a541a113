//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The bench measures its children as Linux counts them (rusage after
// vfork, process groups, the parent-death signal): elsewhere it only says
// so, so that the module builds and vets for every system.
func main() {
	fmt.Fprintln(os.Stderr, "bench: runs on Linux only")
	os.Exit(2)
}
