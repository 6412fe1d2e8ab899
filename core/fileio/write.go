package fileio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tempPrefix and tempSuffix frame the names of the temporary files Write
// makes: .latentlab-PID-N.tmp.
const tempPrefix, tempSuffix = ".latentlab-", ".tmp"

// target returns the file that writing path replaces or creates: path, or
// where its symbolic links lead. It refuses what is there unless it is a
// regular file, and a link that leads nowhere.
func target(path string) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		to, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", fmt.Errorf("%s is a symbolic link that leads nowhere it can be written: %w", path, err)
		}
		if fi, err = os.Stat(to); err != nil {
			return "", err
		}
		path = to
	}
	if err := regular(path, fi); err != nil {
		return "", fmt.Errorf("%w: refusing to replace it", err)
	}
	return path, nil
}

// Check returns an error now if Write(path, …) could not write path: what
// is there is not a regular file (or a link to one), or its directory is
// missing or not writable. It leaves nothing behind.
func Check(path string) error {
	to, err := target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(to)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	tmp, err := createTemp(dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// Same reports whether paths a and b name the same file once symbolic
// links are followed, whether or not it exists yet.
func Same(a, b string) bool {
	ta, errA := target(a)
	tb, errB := target(b)
	if errA != nil || errB != nil {
		ta, tb = a, b
	}
	if fa, err := os.Stat(ta); err == nil {
		if fb, err := os.Stat(tb); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	absA, errA := filepath.Abs(ta)
	absB, errB := filepath.Abs(tb)
	return errA == nil && errB == nil && absA == absB
}

// Write writes b to path atomically: a crash or a full disk never leaves
// a half-written file under that name, and what was there stays until the
// new file is whole. It writes a temporary file in the target's directory,
// mode 0644 less the umask (weights other users and tools can read),
// syncs it, renames it over the target and syncs the directory. It
// refuses to replace anything but a regular file; a symbolic link is
// followed and its target replaced.
func Write(path string, b []byte) error {
	to, err := target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(to)
	tmp, err := createTemp(dir)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// What is there may have changed since target looked: look again, as
	// close to the rename as a path allows.
	if _, err := target(to); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), to); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // the rename itself, on disk
		d.Sync()
		d.Close()
	}
	return nil
}

// createTemp creates a new temporary file in dir, named for this process.
func createTemp(dir string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, fmt.Sprintf("%s%d-%d%s", tempPrefix, os.Getpid(), time.Now().UnixNano()+int64(try), tempSuffix))
		tmp, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil || !errors.Is(err, os.ErrExist) || try > 100 {
			return tmp, err
		}
	}
}

// RemoveStale removes the temporary files Write left in dir when its
// process was killed: those whose PID no longer runs. It says so on w.
func RemoveStale(dir string, w io.Writer) {
	names, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"+tempSuffix))
	for _, name := range names {
		pidPart, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(name), tempPrefix), "-")
		pid, err := strconv.Atoi(pidPart)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || running(pid) {
			continue
		}
		if os.Remove(name) == nil {
			fmt.Fprintf(w, "latentlab: removed %s, left by an interrupted run (process %d)\n", name, pid)
		}
	}
}

// running reports whether a process of that PID exists.
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
