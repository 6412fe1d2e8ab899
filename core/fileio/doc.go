// Package fileio is the one way Latent Lab's CLI and server read an input
// file and write an output file.
//
// # Inputs
//
// Read (and ReadFS, for the server's file tree) accepts only a regular
// file. It opens with O_NONBLOCK, so a named pipe cannot block the open,
// checks the type of what it opened (fstat, not the path: no race with a
// rename), refuses a size past the caller's cap before reading a byte, and
// reads no more than the cap even where the size is not reported (files
// under /proc say 0). The buffer is sized from the file's size once, so
// refusing or accepting a file of n bytes costs n bytes, not the 2–3n a
// growing buffer costs.
//
// # Outputs
//
// Write replaces a file atomically: it writes a temporary file in the
// target's directory, syncs it, renames it over the target and syncs the
// directory, so a crash or a full disk never leaves half a file under the
// target's name. It replaces only a regular file (or creates one): a
// device, a pipe, a socket or a directory is refused and left as it was. A
// symbolic link is followed: its target is the file replaced, in the
// target's directory, and the link stays a link. Check says, before any
// work is done, whether Write could write a path (its directory exists
// and is writable, and what is there is a regular file), and Same whether
// two paths name the same file, so that a command can refuse outputs that
// would overwrite each other before it trains.
package fileio
