package words

import "golang.org/x/sys/windows"

// systemErrnos are the Windows errors a person can fix, in their words.
// Access denied is fs.ErrPermission and a missing folder fs.ErrNotExist,
// worded with the portable ones; a socket's errors are Winsock's own
// numbers, which Go's syscall.E* names do not match.
var systemErrnos = []worded{
	{windows.ERROR_DISK_FULL, "the disk is full"},
	{windows.ERROR_HANDLE_DISK_FULL, "the disk is full"},
	{windows.ERROR_DISK_QUOTA_EXCEEDED, "the disk quota is used up"},
	{windows.ERROR_WRITE_PROTECT, "the disk is read-only"},
	{windows.ERROR_NOT_READY, "the drive is not ready"},
	{windows.ERROR_BAD_NETPATH, "the network folder cannot be reached"},
	{windows.ERROR_BAD_NET_NAME, "the network folder cannot be reached"},
	{windows.ERROR_DIRECTORY, "a part of the path is a file, not a folder"},
	{windows.ERROR_FILENAME_EXCED_RANGE, "the name is too long"},
	{windows.ERROR_INVALID_NAME, "Windows does not allow that name"},
	{windows.ERROR_SHARING_VIOLATION, "another program has the file open"},
	{windows.ERROR_LOCK_VIOLATION, "another program has the file open"},
	{windows.WSAEADDRINUSE, "something else is using it"},
	{windows.WSAECONNREFUSED, "nothing answers there"},
}
