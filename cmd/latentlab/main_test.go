package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"latentlab/core/model"
	"latentlab/core/safetensors"
)

// testdata is the committed MNIST subset: 2000 training and 1000 test digits.
const testdata = "../../core/data/testdata"

// cli runs the command with args and returns its exit code and outputs.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// smallArgs trains a small AAE for 30 steps of 20 on the subset, a JSON line
// every 10 steps.
func smallArgs(out string, extra ...string) []string {
	args := []string{"train", "--data", testdata, "--steps", "30", "--encoder", "32", "--discriminator", "16", "--batch", "20", "--log-every", "10", "--out", out}
	return append(args, extra...)
}

// trainOK runs a training that must succeed and returns its JSON lines.
func trainOK(t *testing.T, args []string) []stats {
	t.Helper()
	code, stdout, stderr := cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, stderr)
	}
	var lines []stats
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var s stats
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		lines = append(lines, s)
	}
	return lines
}

// stats is the JSON line train prints per log interval for an AAE, and
// the last line (step, epoch, elapsed_s, test_recon).
type stats struct {
	Step          int      `json:"step"`
	Epoch         int      `json:"epoch"`
	EpochProgress float64  `json:"epoch_progress"`
	Recon         float64  `json:"recon"`
	Disc          *float64 `json:"disc"`
	Gen           *float64 `json:"gen"`
	SamplesPerSec float64  `json:"samples_per_sec"`
	ElapsedSec    float64  `json:"elapsed_s"`
	TestRecon     *float64 `json:"test_recon"`
	ValidRecon    *float64 `json:"valid_recon"`
}

// evalResult is what eval prints for an AAE.
type evalResult struct {
	Recon  float64      `json:"test_recon"`
	N      int          `json:"n"`
	Step   int          `json:"step"`
	Params int          `json:"params"`
	Config model.Config `json:"config"`
}

// evalOK evaluates a file that must evaluate.
func evalOK(t *testing.T, weights string) evalResult {
	t.Helper()
	code, stdout, stderr := cli(t, "eval", "--weights", weights, "--data", testdata)
	if code != 0 {
		t.Fatalf("eval %s: exit %d\n%s", weights, code, stderr)
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Errorf("eval printed %q, want one line", stdout)
	}
	var r evalResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("eval printed %q: %v", stdout, err)
	}
	return r
}

// fileMeta returns a .safetensors file's metadata.
func fileMeta(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f.Meta
}

// fileConfig returns the config and step in a weights file's metadata.
func fileConfig(t *testing.T, path string) (model.Config, string) {
	t.Helper()
	meta := fileMeta(t, path)
	c, err := model.ParseConfig([]byte(meta["config"]))
	if err != nil {
		t.Fatal(err)
	}
	return c, meta["step"]
}

// TestTrainThenEval: train prints a JSON line per log interval and a last one
// with the test loss, writes the model, and eval of that file prints exactly
// that test loss.
func TestTrainThenEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	lines := trainOK(t, smallArgs(out))
	if len(lines) != 4 {
		t.Fatalf("%d JSON lines, want 3 stat lines and the final one", len(lines))
	}
	for i, s := range lines[:3] {
		step := 10 * (i + 1)
		if s.Step != step || s.Epoch != 0 || s.EpochProgress != float64(step)/100 {
			t.Errorf("line %d: step %d epoch %d progress %v; want step %d of an epoch of 100", i, s.Step, s.Epoch, s.EpochProgress, step)
		}
		if !(s.Recon > 100 && s.Recon < 600) || s.Disc == nil || s.Gen == nil || !(*s.Disc > 0) || !(*s.Gen > 0) || s.TestRecon != nil {
			t.Errorf("line %d: %+v", i, s)
		}
		if !(s.SamplesPerSec > 0) {
			t.Errorf("line %d: %v samples per second", i, s.SamplesPerSec)
		}
	}
	if lines[2].Recon >= lines[0].Recon {
		t.Errorf("mean loss did not fall: %v then %v", lines[0].Recon, lines[2].Recon)
	}
	final := lines[3]
	if final.Step != 30 || final.TestRecon == nil || !(*final.TestRecon > 100 && *final.TestRecon < 600) {
		t.Fatalf("final line %+v", final)
	}

	r := evalOK(t, out)
	if r.Recon != *final.TestRecon {
		t.Errorf("eval gives %v, train's final test loss was %v", r.Recon, *final.TestRecon)
	}
	if r.N != 1000 || r.Step != 30 || r.Params != r.Config.ParamCount() {
		t.Errorf("eval: n %d step %d params %d", r.N, r.Step, r.Params)
	}
	if !reflect.DeepEqual(r.Config.Encoder, []int{32}) || !reflect.DeepEqual(r.Config.Discriminator, []int{16}) || r.Config.Batch != 20 {
		t.Errorf("eval: config %s", r.Config.JSON())
	}
}

// TestSameSeedSameRun: the same flags give byte-identical files and the same
// losses; another seed gives another model.
func TestSameSeedSameRun(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	la, lb := trainOK(t, smallArgs(a)), trainOK(t, smallArgs(b))
	trainOK(t, smallArgs(c, "--seed", "2"))
	losses := func(ls []stats) []float64 {
		var v []float64
		for _, s := range ls {
			v = append(v, s.Recon, *s.Disc, *s.Gen)
		}
		return v
	}
	if !reflect.DeepEqual(losses(la[:3]), losses(lb[:3])) || *la[3].TestRecon != *lb[3].TestRecon {
		t.Errorf("same seed, different losses:\n%v\n%v", losses(la[:3]), losses(lb[:3]))
	}
	fa, _ := os.ReadFile(a)
	fb, _ := os.ReadFile(b)
	fc, _ := os.ReadFile(c)
	if len(fa) == 0 || !bytes.Equal(fa, fb) {
		t.Error("same seed, different files")
	}
	if bytes.Equal(fa, fc) {
		t.Error("seeds 1 and 2 wrote the same file")
	}
}

// TestDTypeF16: --dtype f16 writes a file about half the size that evaluates
// within a nat of the F32 one.
func TestDTypeF16(t *testing.T) {
	dir := t.TempDir()
	f32, f16 := filepath.Join(dir, "32"), filepath.Join(dir, "16")
	trainOK(t, smallArgs(f32))
	trainOK(t, smallArgs(f16, "--dtype", "f16"))
	s32, _ := os.Stat(f32)
	s16, _ := os.Stat(f16)
	if !(s16.Size() < s32.Size()*6/10) {
		t.Errorf("F16 file %d bytes, F32 %d", s16.Size(), s32.Size())
	}
	r32, r16 := evalOK(t, f32), evalOK(t, f16)
	t.Logf("test loss %v with F32 weights, %v with F16", r32.Recon, r16.Recon)
	if math.Abs(r32.Recon-r16.Recon) > 1 {
		t.Errorf("test loss %v with F32 weights, %v with F16", r32.Recon, r16.Recon)
	}
}

// TestFlagsReachFile: config flags end up in the file's config metadata.
func TestFlagsReachFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	trainOK(t, []string{"train", "--data", testdata, "--steps", "2", "--out", out,
		"--lr-recon", "0.01", "--latent", "3", "--encoder", "40,20", "--discriminator", "", "--batch", "20", "--lr-reg", "0.003",
		"--model", "aae", "--activation", "tanh", "--seed", "77"})
	want := model.Defaults()
	want.LRRecon, want.Latent, want.Encoder, want.Discriminator, want.Batch = 0.01, 3, []int{40, 20}, []int{}, 20
	want.Model, want.Activation, want.Seed, want.LRReg = "aae", "tanh", 77, 0.003
	got, step := fileConfig(t, out)
	if !reflect.DeepEqual(got, want) || step != "2" {
		t.Errorf("file has step %s, config\n%s\nwant\n%s", step, got.JSON(), want.JSON())
	}
}

// TestConfigFlags: the config built from presets, config files and flags.
func TestConfigFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"latent": 5, "batch": 7, "encoder": [9]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"latent": 5,`), 0o644); err != nil {
		t.Fatal(err)
	}
	paper := model.Presets()["paper"]
	for _, tc := range []struct {
		args []string
		want func() model.Config
	}{
		{nil, model.Defaults},
		{[]string{"--preset", "default"}, model.Defaults},
		{[]string{"--preset", "paper"}, func() model.Config { return paper }},
		{[]string{"--preset", "paper", "--latent", "4"}, func() model.Config { c := paper; c.Latent = 4; return c }},
		{[]string{"--latent", "4", "--preset", "paper"}, func() model.Config { c := paper; c.Latent = 4; return c }},
		{[]string{"--model", "vae"}, func() model.Config { return model.Presets()["vae"] }},
		{[]string{"--model", "gan", "--latent", "5"}, func() model.Config { c := model.Presets()["gan"]; c.Latent = 5; return c }},
		{[]string{"--model", "aae", "--latent", "5"}, func() model.Config { c := model.Defaults(); c.Latent = 5; return c }},
		{[]string{"--encoder", ""}, func() model.Config { c := model.Defaults(); c.Encoder = []int{}; return c }},
		{[]string{"--encoder", " 8, 4 ,2"}, func() model.Config { c := model.Defaults(); c.Encoder = []int{8, 4, 2}; return c }},
		{[]string{"--batchnorm", "true", "--prior", "mixture"}, func() model.Config { c := model.Defaults(); c.BatchNorm, c.Prior = true, "mixture"; return c }},
		{[]string{"--optimizer", "sgd", "--momentum", "0.8", "--prior-std", "1", "--lr-reg", "1e-3", "--beta1", "0.9", "--beta2", "0.99"}, func() model.Config {
			c := model.Defaults()
			c.Optimizer, c.Momentum, c.PriorStd, c.LRReg, c.Beta1, c.Beta2 = "sgd", 0.8, 1, 1e-3, 0.9, 0.99
			return c
		}},
		{[]string{"--config", good, "--batch", "9"}, func() model.Config {
			c := model.Defaults()
			c.Latent, c.Batch, c.Encoder = 5, 9, []int{9}
			return c
		}},
	} {
		got, err := parseConfigFlags(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if want := tc.want(); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got.JSON(), want.JSON())
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "huge"}, `unknown preset "huge"`},
		{[]string{"--latent", "x"}, "--latent"},
		{[]string{"--latent", "2.5"}, "latent"},
		{[]string{"--encoder", "64,a"}, "--encoder"},
		{[]string{"--lr-recon", "-1"}, "lr_recon"},
		{[]string{"--model", "vae", "--posterior", "deterministic"}, "posterior gaussian"},
		{[]string{"--preset", "default", "--model", "vae"}, "posterior gaussian"},
		{[]string{"--model", "nosuch"}, `"nosuch"`},
		{[]string{"--config", filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"--config", bad}, "bad.json"},
	} {
		if c, err := parseConfigFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %s, %v; want an error containing %s", tc.args, c.JSON(), err, tc.want)
		}
	}
}

// TestInit: --init continues from a file, its step count carrying on.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	trainOK(t, smallArgs(first))
	lines := trainOK(t, []string{"train", "--data", testdata, "--init", first, "--steps", "10", "--log-every", "5", "--out", second})
	if len(lines) != 3 || lines[0].Step != 35 || lines[1].Step != 40 || lines[2].Step != 40 || lines[2].TestRecon == nil {
		t.Fatalf("lines %+v", lines)
	}
	c1, _ := fileConfig(t, first)
	c2, step := fileConfig(t, second)
	if step != "40" || !reflect.DeepEqual(c1, c2) {
		t.Errorf("continued file has step %s, config %s; first had %s", step, c2.JSON(), c1.JSON())
	}
	if r := evalOK(t, second); r.Step != 40 || r.Recon != *lines[2].TestRecon {
		t.Errorf("eval of the continued file: step %d, loss %v; train said %v", r.Step, r.Recon, *lines[2].TestRecon)
	}
}

// TestHelp: asking for help is not an error.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "latentlab train"},
		{[]string{"-h"}, "latentlab eval"},
		{[]string{"train", "-h"}, "lr-recon"},
		{[]string{"train", "--help"}, "log-every"},
		{[]string{"eval", "-h"}, "weights"},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		if code != 0 || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("%q: exit %d, output %q...; want exit 0 and %q", tc.args, code, clip(stdout+stderr), tc.want)
		}
	}
}

// TestErrors: each mistake exits non-zero with a message that says what is
// wrong: 2 for a wrong command line, 1 for everything else.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	trainOK(t, smallArgs(good))
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated, junk := filepath.Join(dir, "truncated"), filepath.Join(dir, "junk")
	if err := os.WriteFile(truncated, b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("not a model at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(dir, "no-such-dir")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"train", "--bogus"}, 2, "bogus"},
		{[]string{"train", "--steps", "x"}, 2, "steps"},
		{[]string{"train", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"eval", "--weights", good, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"train", "--data", testdata, "--latent", "x"}, 1, `--latent: "x" is not a number`},
		{[]string{"train", "--data", testdata, "--lr-recon", "-1"}, 1, "lr_recon"},
		{[]string{"train", "--data", testdata, "--lr-recon", "NaN"}, 1, `--lr-recon: "NaN" is not a finite number`},
		{[]string{"train", "--data", testdata, "--lr-reg", "+Inf"}, 1, `--lr-reg: "+Inf" is not a finite number`},
		{[]string{"train", "--data", testdata, "--seed", "9007199254740993"}, 1, "seed 9007199254740993 is above 2^53"},
		{[]string{"train", "--data", testdata, "--dtype", "f8"}, 1, "dtype"},
		{[]string{"train", "--data", testdata, "--log-every", "0"}, 1, "--log-every"},
		{[]string{"train", "--data", testdata, "--batch", "4000"}, 1, "batch 4000 is larger than the 2000 training images"},
		{[]string{"train", "--data", nowhere, "--steps", "1"}, 1, "make data"},
		{[]string{"bench", "--data", testdata, "--batch", "-5"}, 1, "--batch -5: want a batch size of 1 to 4096"},
		{[]string{"bench", "--data", testdata, "--seconds", "NaN"}, 1, "--seconds NaN: want more than 0"},
		{[]string{"bench", "--data", testdata, "--kernel-seconds", "-1"}, 1, "--kernel-seconds -1"},
		{[]string{"bench", "--data", testdata, "--models", "huge"}, 1, `--models: no reference model "huge" (want small, paper)`},
		{[]string{"train", "--data", testdata, "--steps", "-3"}, 1, "--steps -3: give a positive count"},
		{[]string{"train", "--data", testdata, "--epochs", "NaN"}, 1, "--epochs NaN: give a positive number"},
		{[]string{"train", "--data", testdata, "--epochs", "1e9"}, 1, "--epochs 1e+09"},
		{[]string{"eval", "--data", testdata, "--weights", good, "--samples", "-1"}, 1, "--samples -1: want 0 to 1000000"},
		{[]string{"train", "--data", testdata, "--init", truncated}, 1, "safetensors: "},
		{[]string{"eval", "--data", testdata}, 1, "--weights is required"},
		{[]string{"eval", "--data", testdata, "--weights", filepath.Join(dir, "absent")}, 1, "absent"},
		{[]string{"eval", "--data", testdata, "--weights", truncated}, 1, "safetensors: "},
		{[]string{"eval", "--data", testdata, "--weights", junk}, 1, "safetensors: "},
		{[]string{"eval", "--data", nowhere, "--weights", good}, 1, "make data"},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		t.Logf("%q: exit %d, %s", tc.args, code, lastLine(stderr))
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, clip(stderr), tc.code, tc.want)
		}
		if code == 1 && !strings.Contains(stderr, "latentlab: ") {
			t.Errorf("%q: stderr %q does not say latentlab", tc.args, stderr)
		}
		if stdout != "" {
			t.Errorf("%q: printed %q on stdout", tc.args, stdout)
		}
	}
}

// clip shortens long output for a test message.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// shippedClassifier is the committed sample-scoring classifier, from here.
const shippedClassifier = "../../assets/classifier.safetensors"

// evalJSON runs eval with args on the test subset and returns its JSON
// object and stderr; it must succeed.
func evalJSON(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	code, stdout, stderr := cli(t, append([]string{"eval", "--data", testdata}, args...)...)
	if code != 0 {
		t.Fatalf("eval %q: exit %d\n%s", args, code, stderr)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("eval printed %q: %v", stdout, err)
	}
	return out, stderr
}

// TestEvalScoresSamples: eval of a model that generates adds the scores
// of its samples by the shipped classifier, the same twice; --samples 0
// leaves them out, and so does a missing default classifier file, with a
// note (the default is the set's: here the test subset's, which has
// none); a --classifier file given but absent, not a classifier, or
// trained on another set, is an error; a classifier trained by the CLI evaluates with its test error
// and no sample scores (it generates nothing).
func TestEvalScoresSamples(t *testing.T) {
	dir := t.TempDir()
	aeFile := filepath.Join(dir, "aae")
	trainOK(t, smallArgs(aeFile))
	out, stderr := evalJSON(t, "--weights", aeFile, "--classifier", shippedClassifier, "--samples", "300")
	t.Logf("an AAE of 30 steps: samples %v confidence %v entropy %v frechet %v classes %v",
		out["samples"], out["sample_confidence"], out["sample_entropy"], out["sample_frechet"], out["sample_classes"])
	conf, _ := out["sample_confidence"].(float64)
	ent, _ := out["sample_entropy"].(float64)
	fd, _ := out["sample_frechet"].(float64)
	classes, _ := out["sample_classes"].([]any)
	if out["samples"] != 300.0 || !(conf > 0.1 && conf <= 1) || !(ent >= 0 && ent <= math.Log(10)+1e-9) || !(fd > 0) || len(classes) != 10 {
		t.Errorf("sample scores %v", out)
	}
	if _, ok := out["test_recon"]; !ok {
		t.Errorf("the scores replaced the metrics: %v", out)
	}
	if !strings.Contains(stderr, "scored 300 samples") {
		t.Errorf("stderr %q", stderr)
	}
	again, _ := evalJSON(t, "--weights", aeFile, "--classifier", shippedClassifier, "--samples", "300")
	if !reflect.DeepEqual(out, again) {
		t.Errorf("eval twice: %v, then %v", out, again)
	}

	none, _ := evalJSON(t, "--weights", aeFile, "--classifier", shippedClassifier, "--samples", "0")
	missing, note := evalJSON(t, "--weights", aeFile) // the test subset's default, assets/classifier-testdata.safetensors, is none
	for _, o := range []map[string]any{none, missing} {
		if _, ok := o["sample_frechet"]; ok {
			t.Errorf("sample scores without scoring: %v", o)
		}
	}
	if !strings.Contains(note, "no assets/classifier-testdata.safetensors, so no sample scores") {
		t.Errorf("a missing default classifier: stderr %q", note)
	}

	clfFile := filepath.Join(dir, "clf")
	if code, _, stderr := cli(t, "train", "--data", testdata, "--preset", "classifier", "--encoder", "32", "--labels", "500", "--steps", "20", "--out", clfFile); code != 0 {
		t.Fatalf("training a classifier: exit %d\n%s", code, stderr)
	}
	clf, _ := evalJSON(t, "--weights", clfFile, "--classifier", shippedClassifier)
	if e, ok := clf["test_error"].(float64); !ok || !(e > 0 && e < 0.9) {
		t.Errorf("eval of a classifier: %v", clf)
	}
	if _, ok := clf["sample_frechet"]; ok {
		t.Errorf("a classifier generates nothing, yet: %v", clf)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--classifier", filepath.Join(dir, "absent")}, "absent"},
		{[]string{"--classifier", aeFile}, `holds a "aae" model, not a classifier`},
		{[]string{"--classifier", "../../assets/classifier-fashion-mnist.safetensors"}, "was trained on fashion-mnist, not on the testdata it would score against"},
		{[]string{"--classifier", shippedClassifier, "--samples", "1"}, "at least 2 samples"},
		{[]string{"--classifier", shippedClassifier, "--samples", "-5"}, "--samples -5: want 0 to 1000000"},
	} {
		code, stdout, stderr := cli(t, append([]string{"eval", "--data", testdata, "--weights", aeFile}, tc.args...)...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 saying %q", tc.args, code, clip(stdout), clip(stderr), tc.want)
		}
	}
}

// TestEvalPNG: eval --png writes a grid of 10×10 of the model's samples
// that decodes as a PNG with digits on it; a model that draws nothing and
// a path that cannot be written are errors that write no file.
func TestEvalPNG(t *testing.T) {
	dir := t.TempDir()
	aeFile, grid := filepath.Join(dir, "aae"), filepath.Join(dir, "grid.png")
	trainOK(t, smallArgs(aeFile))
	if code, _, stderr := cli(t, "eval", "--data", testdata, "--weights", aeFile, "--samples", "0", "--png", grid); code != 0 {
		t.Fatalf("eval --png: exit %d\n%s", code, stderr)
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	side := 10*model.Side + 9*2
	if b := img.Bounds(); b.Dx() != side || b.Dy() != side {
		t.Fatalf("grid of %v, want %d×%d", b, side, side)
	}
	bright, dark := 0, 0
	for y := range side {
		for x := range side {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			switch {
			case g > 160:
				bright++
			case g < 32:
				dark++
			}
		}
	}
	if bright < 500 || dark < 5000 {
		t.Errorf("the grid has %d bright and %d dark of %d pixels: no digits on it", bright, dark, side*side)
	}

	clfFile, none := filepath.Join(dir, "clf"), filepath.Join(dir, "none.png")
	if code, _, stderr := cli(t, "train", "--data", testdata, "--preset", "classifier", "--encoder", "16", "--labels", "500", "--steps", "2", "--out", clfFile); code != 0 {
		t.Fatalf("training a classifier: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "eval", "--data", testdata, "--weights", clfFile, "--png", none); code == 0 || !strings.Contains(stderr, `a "classifier" model draws no digits`) {
		t.Errorf("eval --png of a classifier: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("a failed --png left a file: %v", err)
	}
	if code, _, stderr := cli(t, "eval", "--data", testdata, "--weights", aeFile, "--samples", "0", "--png", filepath.Join(dir, "no", "such", "dir.png")); code == 0 || !strings.Contains(stderr, "--png") {
		t.Errorf("eval --png into a missing directory: exit %d, stderr %q", code, stderr)
	}
}

// TestDivergenceStops: a training whose losses turn NaN exits non-zero
// with the step and the loss named, and leaves an existing --out as it was;
// a good run's file is readable by others (0644 less the umask).
func TestDivergenceStops(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	trainOK(t, smallArgs(out))
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("--out written with mode %v: others cannot read it", fi.Mode().Perm())
	}
	code, _, stderr := cli(t, smallArgs(out, "--optimizer", "sgd", "--lr-recon", "10")...)
	if code == 0 {
		t.Fatalf("a diverging run exited 0:\n%s", stderr)
	}
	if !strings.Contains(stderr, "training diverged at step") || !strings.Contains(stderr, "was not written") || !strings.Contains(stderr, "learning rate") {
		t.Errorf("stderr %q", clip(stderr))
	}
	after, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the diverging run changed %s (%v)", out, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".latentlab-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Checkpointing every step, the checkpoint keeps the last finite state.
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	_, _, stderr = cli(t, smallArgs(out, "--optimizer", "sgd", "--lr-recon", "10", "--checkpoint", ckpt, "--checkpoint-every", "1")...)
	var good int
	if _, err := fmt.Sscanf(stderr[strings.Index(stderr, ckpt+" holds step")+len(ckpt):], " holds step %d", &good); err != nil {
		t.Fatalf("stderr %q: %v", clip(stderr), err)
	}
	if s := resumeFile(t, ckpt); s.Steps != good || model.CheckFinite(s.Model) != nil {
		t.Errorf("checkpoint at step %d (stderr said %d), finite: %v", s.Steps, good, model.CheckFinite(s.Model))
	}
}

// TestHugeWeightsRefusedBySize: a weights file over the 1 GiB cap is
// refused by its size, without being read (a sparse file: no disk used).
func TestHugeWeightsRefusedBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(safetensors.MaxFileSize + 1); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	f.Close()
	for _, args := range [][]string{{"eval", "--data", testdata, "--weights", path}, {"train", "--data", testdata, "--steps", "1", "--init", path}} {
		code, _, stderr := cli(t, args...)
		if code != 1 || !strings.Contains(stderr, "more than the 1073741824 a weights file may be") {
			t.Errorf("%s: exit %d, %q", args[0], code, clip(stderr))
		}
	}
	code, _, stderr := cli(t, "eval", "--data", testdata, "--weights", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("a directory as weights: exit %d, %q", code, clip(stderr))
	}
}

// TestEvalParzen: --parzen adds the Parzen-window figures (finite, σ one
// of the protocol's widths); a model that draws nothing, or counts out of
// range, are refused naming the flag.
func TestEvalParzen(t *testing.T) {
	dir := t.TempDir()
	aae, clf := filepath.Join(dir, "aae"), filepath.Join(dir, "clf")
	trainOK(t, smallArgs(aae))
	if code, _, stderr := cli(t, "train", "--data", testdata, "--preset", "classifier", "--encoder", "16", "--steps", "2", "--out", clf); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr := evalJSON(t, "--weights", aae, "--samples", "0", "--parzen", "--parzen-samples", "300", "--parzen-valid", "100")
	for _, k := range []string{"parzen_ll", "parzen_se", "parzen_sigma", "parzen_valid_ll"} {
		if v, ok := out[k].(float64); !ok || math.IsNaN(v) {
			t.Errorf("%s = %v", k, out[k])
		}
	}
	if s := out["parzen_sigma"].(float64); s < 0.1 || s > 1 || out["parzen_samples"].(float64) != 300 {
		t.Errorf("σ %v, %v samples", s, out["parzen_samples"])
	}
	if !strings.Contains(stderr, "Parzen window over 300 samples: σ") || out["parzen_valid_held_out"] != false {
		t.Errorf("stderr %q, held out %v", clip(stderr), out["parzen_valid_held_out"])
	}
	// A model that held digits out has σ chosen on them.
	held := filepath.Join(dir, "held")
	trainOK(t, smallArgs(held, "--valid", "500"))
	out, _ = evalJSON(t, "--weights", held, "--samples", "0", "--parzen", "--parzen-samples", "300")
	if out["parzen_valid_held_out"] != true || out["parzen_valid_digits"].(float64) != 500 {
		t.Errorf("held out %v, %v validation digits", out["parzen_valid_held_out"], out["parzen_valid_digits"])
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--weights", clf, "--parzen"}, "--parzen: a classifier model draws no samples"},
		{[]string{"--weights", aae, "--parzen", "--parzen-samples", "0"}, "--parzen-samples 0"},
		{[]string{"--weights", aae, "--parzen", "--parzen-valid", "5000"}, "--parzen-valid 5000: want 1 to the 2000 training digits"},
	} {
		code, _, stderr := cli(t, append([]string{"eval", "--data", testdata, "--samples", "0"}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, clip(stderr))
		}
	}
}

// parseConfigFlags parses args as the config flags of train and returns
// the config they give.
func parseConfigFlags(args []string) (model.Config, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apply := configFlags(fs).Config
	if err := fs.Parse(args); err != nil {
		return model.Config{}, err
	}
	return apply()
}
