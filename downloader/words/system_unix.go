//go:build unix

package words

import "golang.org/x/sys/unix"

// systemErrnos are the Unix errors a person can fix, in their words.
var systemErrnos = []worded{
	{unix.ENOSPC, "the disk is full"},
	{unix.EDQUOT, "the disk quota is used up"},
	{unix.EROFS, "the disk is read-only"},
	{unix.ENOTDIR, "a part of the path is a file, not a folder"},
	{unix.ENAMETOOLONG, "the name is too long"},
	{unix.EADDRINUSE, "something else is using it"},
	{unix.ECONNREFUSED, "nothing answers there"},
}
