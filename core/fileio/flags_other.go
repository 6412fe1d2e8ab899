//go:build !unix

package fileio

// openFlags: this system has no O_NONBLOCK for files; Read still refuses
// what is not a regular file once it is open.
const openFlags = 0
