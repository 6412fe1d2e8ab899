//go:build unix

package fileio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadRefusesWhatIsNoFile: a named pipe (which a plain open would
// wait on for ever), a device, a directory, and a link to a device are
// refused at once, each naming what it is.
func TestReadRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		pipe:        "is a named pipe (FIFO), not a regular file",
		"/dev/null": "is a device, not a regular file",
		zero:        "is a device, not a regular file",
		dir:         "is a directory, not a regular file",
	} {
		done := make(chan error, 1)
		go func() {
			_, err := Read(path, 1<<20)
			done <- err
		}()
		select {
		case err := <-done:
			var nr *NotRegularError
			if !errors.As(err, &nr) || !strings.Contains(err.Error(), want) {
				t.Errorf("Read(%s): %v, want %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Read(%s) blocked", path)
		}
	}
}

// TestReadCap: a file of exactly the cap is read, one byte more is
// refused by its size, and a file whose size says 0 (/proc) is refused
// once its reading passes the cap.
func TestReadCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("latent"), 1000)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Read(path, int64(len(data)))
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Read at its size: %d bytes, %v", len(b), err)
	}
	if cap(b) != len(data)+1 {
		t.Errorf("Read of %d bytes made a buffer of %d: want one of the size and a byte", len(data), cap(b))
	}
	var big *TooLargeError
	if _, err := Read(path, int64(len(data))-1); !errors.As(err, &big) || big.Size != int64(len(data)) {
		t.Errorf("Read past its cap: %v", err)
	}
	// /proc/self/maps says 0 bytes and holds more than 10.
	if fi, err := os.Stat("/proc/self/maps"); err == nil && fi.Size() == 0 {
		if _, err := Read("/proc/self/maps", 10); !errors.As(err, &big) || big.Size != -1 {
			t.Errorf("Read of /proc/self/maps capped at 10 bytes: %v", err)
		}
		if b, err := Read("/proc/self/maps", 1<<20); err != nil || len(b) == 0 {
			t.Errorf("Read of /proc/self/maps: %d bytes, %v", len(b), err)
		}
	}
}

// TestWrite: Write creates and replaces regular files, follows a link to
// replace its target (the link stays), and refuses to replace a device,
// a pipe or a directory, leaving them and no temporary file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	for _, content := range []string{"one", "two"} {
		if err := Write(f, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(f); string(b) != content {
			t.Fatalf("after Write %q the file holds %q", content, b)
		}
	}
	l := filepath.Join(dir, "l")
	if err := os.Symlink("f", l); err != nil {
		t.Fatal(err)
	}
	if err := Write(l, []byte("three")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(f); string(b) != "three" {
		t.Errorf("writing through the link left its target holding %q", b)
	}
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	dev := filepath.Join(dir, "dev")
	if err := os.Symlink("/dev/null", dev); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pipe, dev, sub} {
		if err := Check(p); err == nil {
			t.Errorf("Check(%s) passed", p)
		}
		if err := Write(p, []byte("x")); err == nil || !strings.Contains(err.Error(), "refusing to replace it") {
			t.Errorf("Write(%s): %v", p, err)
		}
	}
	if fi, err := os.Lstat(pipe); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe is gone: %v", err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("/dev/null is no longer a device: %v", err)
	}
	if err := Check(filepath.Join(dir, "missing", "f")); err == nil {
		t.Error("Check of a file in a missing directory passed")
	}
	if !Same(l, f) || !Same(f, filepath.Join(dir, "sub", "..", "f")) || Same(f, pipe) {
		t.Error("Same is wrong about a link, a spelling or two files")
	}
	if !Same(filepath.Join(dir, "new"), filepath.Join(dir, ".", "new")) {
		t.Error("Same: two spellings of a file not yet written differ")
	}
	left, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// FuzzRead: whatever a file holds and whatever the cap, Read returns
// exactly the file when it fits and a TooLargeError when it does not.
func FuzzRead(f *testing.F) {
	f.Add([]byte("safetensors"), int64(4))
	f.Add([]byte{}, int64(0))
	f.Add(bytes.Repeat([]byte{0xff}, 5000), int64(5000))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, limit int64) {
		if limit < 0 {
			limit = -limit
		}
		limit %= 1 << 20
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Read(path, limit)
		var big *TooLargeError
		switch {
		case int64(len(data)) <= limit && (err != nil || !bytes.Equal(b, data)):
			t.Errorf("%d bytes within a cap of %d: %d bytes, %v", len(data), limit, len(b), err)
		case int64(len(data)) > limit && !errors.As(err, &big):
			t.Errorf("%d bytes past a cap of %d: %v", len(data), limit, err)
		}
	})
}
