// Package disk is what the engine does with files and folders, the same
// on every system: locks, atomic replacement, moves that appear whole,
// free space, preallocation, durable writes, links and names. What the
// systems do differently lives in one small file per system (disk_unix.go,
// disk_linux.go, disk_windows.go ...), behind the same functions.
package disk
