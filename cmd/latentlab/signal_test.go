//go:build unix

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"latentlab/core/model"
)

// TestMain lets a test run the command in a process of its own (the test
// binary itself, with LATENTLAB_TEST_RUN=1), so that it can be signalled.
func TestMain(m *testing.M) {
	if os.Getenv("LATENTLAB_TEST_RUN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// started runs latentlab with args in a child process and returns once it
// has printed its first JSON line, that is, once it is training.
func started(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LATENTLAB_TEST_RUN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	line := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(out).ReadString('\n')
		line <- err
		for { // keep draining, so the child never blocks on stdout
			if _, err := out.Read(make([]byte, 4096)); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-line:
		if err != nil {
			t.Fatalf("no JSON line: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no JSON line in 60 s\n%s", stderr.String())
	}
	return cmd, &stderr
}

// exitWithin waits for cmd and returns its exit status, failing after d.
func exitWithin(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("still running %v after the signal", d)
		return -1
	}
}

// TestSignalWritesAndExits: SIGTERM during training finishes the step,
// writes --out (a file that decodes, at the step reached) and the
// checkpoint (which resumes at that step) and exits 143 within 10 s.
func TestSignalWritesAndExits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	cmd, stderr := started(t, "train", "--data", testdata, "--steps", "1000000", "--encoder", "32", "--discriminator", "16", "--batch", "20", "--log-every", "1", "--out", out, "--checkpoint", ckpt)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitWithin(t, cmd, 10*time.Second); code != 143 {
		t.Fatalf("exit %d after SIGTERM, want 143\n%s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no --out after SIGTERM: %v\n%s", err, stderr.String())
	}
	if _, steps, err := model.Decode(b); err != nil || steps < 1 {
		t.Fatalf("--out after SIGTERM: step %d, %v", steps, err)
	}
	if !strings.Contains(stderr.String(), "stopped by terminated at step") {
		t.Errorf("stderr %q", clip(stderr.String()))
	}
	_, steps, _ := model.Decode(b)
	if s := resumeFile(t, ckpt); s.Steps != steps {
		t.Errorf("the checkpoint is at step %d, --out at %d", s.Steps, steps)
	}
}

// TestKilledLeavesCheckpoint: kill -9 during a training that checkpoints
// every step leaves a checkpoint that resumes (never half a file), and the
// next run removes the temporary file the kill may have left.
func TestKilledLeavesCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	cmd, stderr := started(t, "train", "--data", testdata, "--steps", "1000000", "--encoder", "256", "--discriminator", "64", "--batch", "20", "--log-every", "5", "--checkpoint", ckpt, "--checkpoint-every", "1")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	exitWithin(t, cmd, 10*time.Second)
	if s := resumeFile(t, ckpt); s.Steps < 5 {
		t.Errorf("checkpoint at step %d, after the first JSON line (step 5)\n%s", s.Steps, clip(stderr.String()))
	}
	code, _, errOut := cli(t, "train", "--data", testdata, "--resume", ckpt, "--steps", "1")
	temps, _ := filepath.Glob(filepath.Join(dir, ".latentlab-*"))
	if code != 0 || len(temps) != 0 {
		t.Errorf("exit %d, temporary files %v after the next run\n%s", code, temps, errOut)
	}
}

// TestSecondSignalQuits: a second Ctrl-C while the first is finishing
// quits at once, 130, without writing --out.
func TestSecondSignalQuits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	// The paper model: its evaluation after the stop takes long enough for
	// the second signal to arrive during it.
	cmd, stderr := started(t, "train", "--data", testdata, "--preset", "paper", "--steps", "1000000", "--log-every", "1", "--out", out)
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	if code := exitWithin(t, cmd, 10*time.Second); code != 130 {
		t.Fatalf("exit %d after two SIGINTs, want 130\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "again: quitting without writing") {
		t.Skipf("the run ended before the second signal arrived:\n%s", clip(stderr.String()))
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--out was written after the second signal")
	}
}
