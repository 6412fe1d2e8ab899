//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"latentlab/core/fileio"
)

// TestDirNamedPipe: a named pipe in -dir is not found, at once, where
// opening it to read would wait for a writer.
func TestDirNamedPipe(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.js"), 0o644); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := newHandler(fileio.RootFS(root), io.Discard, false)
	done := make(chan int, 1)
	go func() { done <- do(h, "GET", "/pipe.js", nil).StatusCode }()
	select {
	case code := <-done:
		if code != http.StatusNotFound {
			t.Errorf("a named pipe in -dir: status %d, want 404", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a named pipe in -dir blocked the request")
	}
	if code := do(h, "GET", "/", nil).StatusCode; code != http.StatusOK {
		t.Errorf("index.html beside the pipe: status %d", code)
	}
}
