package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"latentlab/core/data"
)

// TestFileRecordsDataset: a weights file and a checkpoint record the data
// set they trained on, its name and content hash; eval on the same set says
// nothing about it, and eval on another set says so plainly on stderr
// while still evaluating.
func TestFileRecordsDataset(t *testing.T) {
	dir := t.TempDir()
	out, ckpt := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.ckpt")
	trainOK(t, []string{"train", "--data", testdata, "--steps", "2", "--encoder", "16", "--discriminator", "8", "--batch", "20", "--out", out, "--checkpoint", ckpt})
	ds, err := data.Load(testdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{out, ckpt} {
		if meta := fileMeta(t, path); meta["dataset"] != "testdata" || meta["dataset_hash"] != ds.Hash() {
			t.Errorf("%s records dataset %q, hash %q; want testdata, %s", filepath.Base(path), meta["dataset"], meta["dataset_hash"], ds.Hash())
		}
	}
	code, stdout, stderr := cli(t, "eval", "--weights", out, "--data", testdata, "--samples", "0")
	if code != 0 || strings.Contains(stderr, "was trained on") {
		t.Fatalf("eval on its own set: exit %d, stderr %q", code, stderr)
	}
	var r struct {
		Dataset   string `json:"dataset"`
		TrainedOn string `json:"trained_on"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Dataset != "testdata" || r.TrainedOn != "testdata" {
		t.Errorf("eval printed %q (%v)", stdout, err)
	}
	// The same contents in a folder of another name are the same set;
	// with the training and test files swapped they are another.
	same, swapped := filepath.Join(dir, "same"), filepath.Join(dir, "swapped")
	swap := map[string]string{data.TrainImages: data.TestImages, data.TrainLabels: data.TestLabels, data.TestImages: data.TrainImages, data.TestLabels: data.TrainLabels}
	for from, to := range swap {
		b, err := os.ReadFile(filepath.Join(testdata, from+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		for d, name := range map[string]string{same: from, swapped: to} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, name+".gz"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, _, stderr = cli(t, "eval", "--weights", out, "--data", same, "--samples", "0")
	if code != 0 || strings.Contains(stderr, "was trained on") {
		t.Errorf("eval on the same contents in another folder: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = cli(t, "eval", "--weights", out, "--data", swapped, "--samples", "0")
	if code != 0 || !strings.Contains(stderr, "was trained on testdata, not on the swapped of "+swapped) {
		t.Errorf("eval on another set: exit %d, stderr %q", code, stderr)
	}
}
