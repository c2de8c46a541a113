package cli

import "testing"

// noSignals is why a test stops where it would signal a process: Windows
// has no signals to send. Ctrl-C and Ctrl-Break reach a console program
// through its console (GenerateConsoleCtrlEvent to its process group),
// which wine 8 refuses (a program started from Linux has no console).
const noSignals = "Windows has no signal to send a process; Ctrl-C comes through a console, which wine 8 cannot give (GenerateConsoleCtrlEvent: invalid access)"

// interrupt would be Ctrl-C in the process's console.
func (p *proc) interrupt(t *testing.T) { t.Skip(noSignals) }

// terminate would be Ctrl-Break, or closing the console.
func (p *proc) terminate(t *testing.T) { t.Skip(noSignals) }

// checkStaleSocket has nothing to check: a named pipe dies with its
// process, so a killed server never leaves one behind.
func checkStaleSocket(*testing.T, string) {}
