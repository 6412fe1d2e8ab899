package fileio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Read returns the contents of the regular file path. It refuses, naming
// path, anything but a regular file (a directory, a named pipe, a device,
// a socket) and a file of more than limit bytes, whether its size says so
// or its reading does.
func Read(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpened(path, f, limit)
}

// Open opens path for reading without blocking on a named pipe and returns
// it if it is a regular file, for a reader that streams it (Read reads it
// whole).
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = regular(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFS is Read for the file name of fsys. fsys should open without
// blocking on a named pipe, as RootFS and an embed.FS do.
func ReadFS(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpened(name, f, limit)
}

// RootFS is the file tree of root as an fs.FS that opens with O_NONBLOCK,
// as Read does (os.Root's own FS would wait on a named pipe). Like root,
// it resolves no name, and follows no symbolic link, outside the root.
func RootFS(root *os.Root) fs.FS { return rootFS{root} }

type rootFS struct{ root *os.Root }

func (r rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return r.root.OpenFile(name, os.O_RDONLY|openFlags, 0)
}

// readOpened reads the opened file f, which must be a regular file of at
// most limit bytes.
func readOpened(name string, f fs.File, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(name, fi); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Name: name, Size: fi.Size(), Max: limit}
	}
	// One buffer of the stated size and a byte, to see the end; a file
	// that grows while read, or says 0 (/proc), grows it up to limit+1.
	buf := make([]byte, 0, fi.Size()+1)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, &TooLargeError{Name: name, Size: -1, Max: limit}
			}
			grown := min(max(2*int64(cap(buf)), 4096), limit+1)
			buf = append(make([]byte, 0, grown), buf...)
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if int64(len(buf)) > limit {
		return nil, &TooLargeError{Name: name, Size: -1, Max: limit}
	}
	return buf, nil
}

// TooLargeError is a file refused for its size: Size bytes (−1 where the
// file grew past Max while being read), more than the Max allowed.
type TooLargeError struct {
	Name      string
	Size, Max int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s: more than the %d bytes allowed", e.Name, e.Max)
	}
	return fmt.Sprintf("%s is %d bytes, more than the %d allowed", e.Name, e.Size, e.Max)
}

// NotRegularError is a path that names something other than a regular
// file: Kind says what ("a directory", "a named pipe (FIFO)", "a device",
// "a socket", "not a regular file").
type NotRegularError struct {
	Name, Kind string
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Name, e.Kind)
}

// regular returns a NotRegularError unless fi describes a regular file.
func regular(name string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return &NotRegularError{Name: name, Kind: kind}
}
