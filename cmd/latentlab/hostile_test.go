//go:build unix

package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"latentlab/core/safetensors"
)

// TestHostileInputs is the table of hostile inputs the CLI has been
// tried with: files that are not files (a named pipe, a device), outputs
// that are not ours to replace, a checkpoint that --out would destroy,
// weights that overflow, and impossible counts. Each must be refused with
// one line naming the cause, within 10 s, exit 1, and leave the directory
// it runs in as it was (nothing created, replaced or removed).
func TestHostileInputs(t *testing.T) {
	base := t.TempDir()
	good := filepath.Join(base, "good.safetensors")
	trainOK(t, smallArgs(good))
	ckpt := filepath.Join(base, "ckpt.safetensors")
	trainOK(t, append(smallArgs(filepath.Join(base, "out.safetensors")), "--checkpoint", ckpt))
	overflow := filepath.Join(base, "overflow.safetensors")
	writeOverflowing(t, good, overflow)

	fifo := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
		return p
	}
	link := func(dir, name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// dataWith is a copy of the test digits with one file replaced by
	// what make leaves there.
	dataWith := func(dir, file string, make func(dir, name string) string) string {
		d := filepath.Join(dir, "data")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		names, _ := filepath.Glob(filepath.Join(testdata, "*.gz"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(n) == file+".gz" {
				make(d, file)
				continue
			}
			if err := os.WriteFile(filepath.Join(d, filepath.Base(n)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	copyOf := func(dir, name, src string) string {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	train := func(extra ...string) []string {
		return append([]string{"train", "--data", testdata, "--steps", "2", "--encoder", "32", "--discriminator", "16", "--batch", "20"}, extra...)
	}

	for _, tc := range []struct {
		name string
		args func(dir string) []string
		want string
	}{
		{"a named pipe as --weights", func(d string) []string {
			return []string{"eval", "--data", testdata, "--weights", fifo(d, "p")}
		}, "is a named pipe (FIFO), not a regular file"},
		{"a named pipe as --init", func(d string) []string { return train("--init", fifo(d, "p")) }, "named pipe"},
		{"a named pipe as --resume", func(d string) []string { return train("--resume", fifo(d, "p")) }, "named pipe"},
		{"a named pipe as --config", func(d string) []string { return train("--config", fifo(d, "p")) }, "named pipe"},
		{"a named pipe as an idx file", func(d string) []string {
			return train("--data", dataWith(d, "train-labels-idx1-ubyte", func(d, n string) string { return fifo(d, n+".gz") }))
		}, "named pipe"},
		{"/dev/zero as an idx file", func(d string) []string {
			return train("--data", dataWith(d, "train-images-idx3-ubyte", func(d, n string) string { return link(d, n+".gz", "/dev/zero") }))
		}, "is a device, not a regular file"},
		{"/dev/zero as --config", func(d string) []string { return train("--config", "/dev/zero") }, "/dev/zero is a device"},
		{"a directory as --config", func(d string) []string { return train("--config", d) }, "is a directory"},
		{"--out a link to a device", func(d string) []string {
			return train("--out", link(d, "x", "/dev/null"))
		}, "refusing to replace it"},
		{"--out a named pipe", func(d string) []string { return train("--out", fifo(d, "p")) }, "refusing to replace it"},
		{"--out a directory", func(d string) []string {
			os.Mkdir(filepath.Join(d, "sub"), 0o755)
			return train("--out", filepath.Join(d, "sub"))
		}, "is a directory"},
		{"--png a link to a device", func(d string) []string {
			return []string{"eval", "--data", testdata, "--weights", good, "--samples", "0", "--png", link(d, "x.png", "/dev/null")}
		}, "refusing to replace it"},
		{"--out in a missing directory", func(d string) []string {
			return train("--out", filepath.Join(d, "missing", "m.safetensors"))
		}, "no such file or directory"},
		{"--checkpoint and --out the same file", func(d string) []string {
			s := copyOf(d, "s", ckpt)
			return train("--checkpoint", s, "--out", s)
		}, "--out and --checkpoint both name"},
		{"--resume and --out the same file", func(d string) []string {
			s := copyOf(d, "s", ckpt)
			return train("--resume", s, "--out", s)
		}, "both name"},
		{"--out through a link to --checkpoint", func(d string) []string {
			s := copyOf(d, "s", ckpt)
			return train("--checkpoint", s, "--out", link(d, "l", s))
		}, "both name"},
		{"weights that overflow", func(d string) []string {
			return []string{"eval", "--data", testdata, "--weights", overflow, "--samples", "0"}
		}, "test_recon is NaN"},
		{"--epochs below one step", func(d string) []string {
			return []string{"train", "--data", testdata, "--epochs", "1e-320"}
		}, "less than one step"},
		{"--labels past the training set", func(d string) []string {
			return train("--labels", "70000", "--prior", "mixture")
		}, "labels 70000: MNIST has 60000 training digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tc.args(dir)
			before := snapshotDir(t, dir)
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, stderr := cli(t, args...)
				done <- result{code, stderr}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%q still running after 10 s", args)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || len(lines) != 1 {
				t.Errorf("%q: exit %d, stderr %q; want exit 1 and one line with %q", args, r.code, clip(r.stderr), tc.want)
			}
			if after := snapshotDir(t, dir); !slices.Equal(before, after) {
				t.Errorf("%q changed its directory:\nbefore %q\nafter  %q", args, before, after)
			}
		})
	}
}

// snapshotDir lists what dir holds: each entry's path, type, size and
// content hash (a regular file) or target (a link).
func snapshotDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		entry := fmt.Sprintf("%s %v", p, fi.Mode().Type())
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			entry += fmt.Sprintf(" %d %x", len(b), sha256.Sum256(b))
		case fi.Mode()&fs.ModeSymlink != 0:
			to, _ := os.Readlink(p)
			entry += " → " + to
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeOverflowing writes to dst the model of src with every weight of
// its first encoder layer at 3e38: finite, but its products overflow.
func writeOverflowing(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range f.Tensors {
		if ts.Name == "encoder.0.weight" {
			for i := range ts.Data {
				ts.Data[i] = 3e38
			}
		}
	}
	out, err := safetensors.Encode(f.Tensors, f.Meta, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
