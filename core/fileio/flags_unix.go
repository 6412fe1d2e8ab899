//go:build unix

package fileio

import "syscall"

// openFlags are added to every input's open: O_NONBLOCK, so that opening
// a named pipe returns at once (its type is then refused) instead of
// waiting for a writer. Reads of a regular file ignore it.
const openFlags = syscall.O_NONBLOCK
