package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"latentlab/core/data"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

// resumeArgs trains the small AAE of smallArgs by epochs of the subset's
// 2000 digits (100 steps of 20 an epoch).
func resumeArgs(epochs string, extra ...string) []string {
	args := []string{"train", "--data", testdata, "--epochs", epochs, "--encoder", "32", "--discriminator", "16", "--batch", "20", "--log-every", "10"}
	return append(args, extra...)
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeExact: 0.2 epoch, then --resume to 0.4 (--epochs counts the
// total), gives the same weight bytes and the same test loss as 0.4
// straight; the checkpoint is written at the end, --out stays a plain
// state dict.
func TestResumeExact(t *testing.T) {
	dir := t.TempDir()
	straight, resumed, ckpt := filepath.Join(dir, "straight"), filepath.Join(dir, "resumed"), filepath.Join(dir, "ckpt")
	want := trainOK(t, resumeArgs("0.4", "--out", straight))
	first := trainOK(t, resumeArgs("0.2", "--checkpoint", ckpt))
	if last := first[len(first)-1]; last.Step != 20 {
		t.Fatalf("0.2 epoch ended at step %d", last.Step)
	}
	got := trainOK(t, []string{"train", "--data", testdata, "--resume", ckpt, "--epochs", "0.4", "--log-every", "10", "--out", resumed})
	w, g := want[len(want)-1], got[len(got)-1]
	if g.Step != 40 || *g.TestRecon != *w.TestRecon {
		t.Errorf("resumed: step %d test_recon %v; straight: step %d test_recon %v", g.Step, *g.TestRecon, w.Step, *w.TestRecon)
	}
	if string(readBytes(t, straight)) != string(readBytes(t, resumed)) {
		t.Error("the resumed training's weights differ from the straight one's")
	}
	out, err := safetensors.Decode(readBytes(t, resumed))
	if err != nil {
		t.Fatal(err)
	}
	if train.IsCheckpoint(out) {
		t.Error("--out holds the training state")
	}
	for _, ts := range out.Tensors {
		if strings.HasPrefix(ts.Name, "training.") {
			t.Fatalf("--out has %s", ts.Name)
		}
	}
	// --resume writes its own file unless told otherwise: now at step 40,
	// with the curve points of both runs.
	f, err := safetensors.Decode(readBytes(t, ckpt))
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta["step"] != "40" || !strings.Contains(f.Meta["training"], `"recon":{"x":[10,20,30,40]`) {
		t.Errorf("checkpoint after the resume: step %s, %s", f.Meta["step"], f.Meta["training"])
	}
	// Asked for no more than it has: nothing to train, still writes --out.
	code, _, stderr := cli(t, "train", "--data", testdata, "--resume", ckpt, "--epochs", "0.3", "--out", resumed)
	if code != 0 || !strings.Contains(stderr, "at step 40 already, of the 30 asked for") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestResumeFlags: with --resume or --init the file's config holds; the
// learning rates may change, and say so; other config flags that differ,
// --preset, --config, and both files at once are refused with the flags
// named, and write nothing.
func TestResumeFlags(t *testing.T) {
	dir := t.TempDir()
	ckpt, weights, out := filepath.Join(dir, "ckpt"), filepath.Join(dir, "weights"), filepath.Join(dir, "out")
	trainOK(t, resumeArgs("0.1", "--checkpoint", ckpt, "--out", weights))
	before := readBytes(t, ckpt)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", ckpt, "--batch", "10", "--latent", "5"}, "--batch, --latent conflict with " + ckpt},
		{[]string{"--init", weights, "--batch", "10"}, "batch 10 (the model has 20)"},
		{[]string{"--resume", ckpt, "--preset", "paper"}, "--preset: the model in " + ckpt + " has its config"},
		{[]string{"--init", weights, "--resume", ckpt}, "give one"},
		{[]string{"--resume", weights}, "no training state (it is no checkpoint); to train on from its weights alone, use --init"},
		{[]string{"--resume", ckpt, "--checkpoint-every", "0"}, "--checkpoint-every 0"},
		{[]string{"--resume", ckpt, "--checkpoint-every", "soon"}, `--checkpoint-every "soon"`},
	} {
		args := append([]string{"train", "--data", testdata, "--epochs", "0.2", "--out", out}, tc.args...)
		code, _, stderr := cli(t, args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v wrote --out", tc.args)
		}
	}
	if string(readBytes(t, ckpt)) != string(before) {
		t.Error("a refused resume changed the checkpoint")
	}
	// The same value as the file's is no conflict; a new learning rate is
	// applied and stated.
	code, _, stderr := cli(t, "train", "--data", testdata, "--resume", ckpt, "--epochs", "0.2", "--batch", "20", "--lr-recon", "0.0005", "--out", out)
	if code != 0 || !strings.Contains(stderr, "--lr-recon: lr_recon 0.001 → 0.0005") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if c, step := fileConfig(t, out); c.LRRecon != 0.0005 || c.Batch != 20 || step != "20" {
		t.Errorf("resumed with a new rate: lr_recon %v, batch %d, step %s", c.LRRecon, c.Batch, step)
	}
}

// TestStaleTempRemoved: a temporary file left by a killed run (its PID
// gone) is removed by the next write to that directory; one of a live
// process is left alone.
func TestStaleTempRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".latentlab-999999999-1.tmp")
	live := filepath.Join(dir, ".latentlab-1-1.tmp") // PID 1 always runs
	for _, p := range []string{stale, live} {
		if err := os.WriteFile(p, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, stderr := cli(t, smallArgs(filepath.Join(dir, "m"))...)
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the stale file is still there: %s", stderr)
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("the live process's file was removed")
	}
	if !strings.Contains(stderr, "left by an interrupted run (process 999999999)") {
		t.Errorf("stderr %q", stderr)
	}
}

// resumeFile resumes the checkpoint at path on the test subset.
func resumeFile(t *testing.T, path string) *train.Session {
	t.Helper()
	f, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, te, err := data.LoadMNIST(testdata)
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.Resume(f, tr, te, nil)
	if err != nil {
		t.Fatalf("%s does not resume: %v", path, err)
	}
	return s
}

// TestEvalEveryAndMaxTime: --eval-every adds lines of test metrics (and
// valid_recon with held-out digits) between the loss lines; --max-time
// stops early like a last step: the checkpoint resumes at the step it
// reached, and the final line has the metrics.
func TestEvalEveryAndMaxTime(t *testing.T) {
	lines := trainOK(t, resumeArgs("0.3", "--valid", "500", "--eval-every", "10"))
	var evals []stats
	for _, l := range lines {
		if l.TestRecon != nil {
			evals = append(evals, l)
		}
	}
	// 1500 digits trained on, 75 steps an epoch: 22 steps, evaluated at 10, 20 and the end.
	if len(evals) != 3 || evals[0].Step != 10 || evals[1].Step != 20 || evals[2].Step != 22 || evals[0].ValidRecon == nil {
		t.Fatalf("evaluation lines %+v", evals)
	}
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	code, stdout, stderr := cli(t, "train", "--data", testdata, "--steps", "1000000", "--encoder", "256", "--batch", "20", "--log-every", "1000", "--max-time", "500ms", "--checkpoint", ckpt)
	if code != 0 || !strings.Contains(stderr, "--max-time 500ms reached at step") || !strings.Contains(stdout, "test_recon") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, clip(stdout), clip(stderr))
	}
	if s := resumeFile(t, ckpt); s.Steps < 1 || s.Steps >= 1000000 {
		t.Errorf("checkpoint at step %d", s.Steps)
	}
}

// TestReproduce: a row runs in chunks, each measured and appended to the
// results; run again with a larger budget, it continues from its
// checkpoint with the next chunk only. An unknown row is refused.
func TestReproduce(t *testing.T) {
	rows["tiny"] = row{
		start:  []string{"--encoder", "32", "--discriminator", "16", "--batch", "20", "--valid", "500"},
		epochs: 0.2, chunk: 0.1,
		eval:   []string{"--samples", "0", "--parzen", "--parzen-samples", "200"},
		report: []string{"test_recon", "parzen_ll"},
		curves: []curve{{"parzen_ll", "Parzen"}}, unit: "nats", paper: 100,
	}
	defer delete(rows, "tiny")
	dir := t.TempDir()
	code, stdout, stderr := cli(t, "reproduce", "tiny", "--data", testdata, "--dir", dir)
	if code != 0 || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, clip(stderr))
	}
	code, stdout, stderr = cli(t, "reproduce", "tiny", "--data", testdata, "--dir", dir, "--epochs", "0.3")
	if code != 0 || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `"epochs":0.3`) {
		t.Fatalf("continued: exit %d, stdout %q\n%s", code, stdout, clip(stderr))
	}
	b := readBytes(t, filepath.Join(dir, "tiny-results.jsonl"))
	var steps []float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := r["parzen_ll"].(float64); !ok {
			t.Errorf("line %s has no parzen_ll", line)
		}
		if r["seed"] != 1.0 {
			t.Errorf("line %s: seed %v, want the preset's 1", line, r["seed"])
		}
		steps = append(steps, r["step"].(float64))
	}
	// 1500 digits trained on, 20 a batch: 75 steps an epoch.
	if want := []float64{7, 15, 22}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	// --seed starts a fresh run with another seed, in its own directory.
	other := t.TempDir()
	if code, stdout, stderr := cli(t, "reproduce", "tiny", "--data", testdata, "--dir", other, "--epochs", "0.1", "--seed", "7"); code != 0 || !strings.Contains(stdout, `"seed":7`) {
		t.Errorf("--seed 7: exit %d, stdout %q\n%s", code, stdout, clip(stderr))
	}
	// The learning curve is drawn after every chunk, and again from the results alone.
	for _, args := range [][]string{nil, {"--plot-only", "--plot", filepath.Join(dir, "again.png")}} {
		png := filepath.Join(dir, "tiny.png")
		if args != nil {
			if code, _, stderr := cli(t, append([]string{"reproduce", "tiny", "--dir", dir}, args...)...); code != 0 {
				t.Fatalf("--plot-only: exit %d\n%s", code, clip(stderr))
			}
			png = args[2]
		}
		f, err := os.Open(png)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := pngDecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 300 || cfg.Height < 200 {
			t.Errorf("%s: %v, %dx%d", png, err, cfg.Width, cfg.Height)
		}
	}
	if code, _, stderr := cli(t, "reproduce", "nosuch", "--dir", dir); code != 1 || !strings.Contains(stderr, `unknown row "nosuch" (want cluster-16, cluster-30, parzen`) {
		t.Errorf("unknown row: exit %d, %q", code, clip(stderr))
	}
}

// pngDecodeConfig reads a PNG file's size.
var pngDecodeConfig = png.DecodeConfig
