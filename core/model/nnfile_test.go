package model_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/nn"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// layered returns tiny's config with batch norm and dropout as asked.
func layered(t *testing.T, bn bool, dropout float64) model.Config {
	t.Helper()
	c, _ := tiny(t)
	c.Encoder = []int{16, 12}
	c.BatchNorm, c.Dropout = bn, dropout
	return c
}

// names returns the names of m's tensors under prefix, and the shape of each.
func names(m model.Model, prefix string) ([]string, map[string]safetensors.Tensor) {
	var ns []string
	by := map[string]safetensors.Tensor{}
	for _, ts := range m.Tensors() {
		if strings.HasPrefix(ts.Name, prefix+".") {
			ns = append(ns, strings.TrimPrefix(ts.Name, prefix+"."))
			by[ts.Name] = ts
		}
	}
	return ns, by
}

// TestSequentialNames: module indices as nn.Sequential gives them, with
// and without BatchNorm1d and Dropout modules; unchanged without them, so
// that older files still load.
func TestSequentialNames(t *testing.T) {
	bnNames := func(i string) []string {
		return []string{i + ".weight", i + ".bias", i + ".running_mean", i + ".running_var", i + ".num_batches_tracked"}
	}
	for _, tc := range []struct {
		bn      bool
		dropout float64
		want    []string
	}{
		{false, 0, []string{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}},
		{false, 0.5, []string{"0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"}},
		{true, 0, slices.Concat([]string{"0.weight", "0.bias"}, bnNames("1"), []string{"3.weight", "3.bias"}, bnNames("4"), []string{"6.weight", "6.bias"})},
		{true, 0.5, slices.Concat([]string{"0.weight", "0.bias"}, bnNames("1"), []string{"4.weight", "4.bias"}, bnNames("5"), []string{"8.weight", "8.bias"})},
	} {
		m, err := model.New(layered(t, tc.bn, tc.dropout))
		if err != nil {
			t.Fatal(err)
		}
		got, by := names(m, "encoder")
		if !slices.Equal(got, tc.want) {
			t.Errorf("bn %v dropout %v: encoder tensors %q, want %q", tc.bn, tc.dropout, got, tc.want)
		}
		if !tc.bn {
			continue
		}
		i := "1"
		if tc.dropout > 0 {
			i = "5" // the second batch norm
		}
		for _, field := range []string{"weight", "bias", "running_mean", "running_var"} {
			ts := by["encoder."+i+"."+field]
			if !slices.Equal(ts.Shape, []int{map[string]int{"1": 16, "5": 12}[i]}) || ts.Data == nil {
				t.Errorf("encoder.%s.%s: shape %v", i, field, ts.Shape)
			}
		}
		if ts := by["encoder."+i+".num_batches_tracked"]; len(ts.Shape) != 0 || len(ts.Ints) != 1 || ts.Data != nil {
			t.Errorf("num_batches_tracked: %+v, want an int64 scalar", ts)
		}
		// The decoder mirrors the encoder; the discriminator has them too.
		if dec, _ := names(m, "decoder"); !slices.Contains(dec, "1.running_var") {
			t.Errorf("decoder tensors %q have no batch norm", dec)
		}
	}
}

// TestNewMLPOpts: a kind may choose the optional layers per network, and
// dropout masks come from a stream of the network's own, which the
// training state records.
func TestNewMLPOpts(t *testing.T) {
	c := layered(t, true, 0.3)
	var tr state.Training
	enc := tr.MLP(c, "encoder", nn.Identity)
	if len(enc.BN) != 2 || enc.Opts.Dropout != 0.3 || enc.Opts.Rand == nil {
		t.Errorf("state.Training.MLP did not apply the config's batch norm and dropout: %+v", enc.Opts)
	}
	if st := tr.State(); len(st) != 1 || st[0].Name != "rand.dropout.encoder" {
		t.Errorf("the training state of one network with dropout is %v", st)
	}
	if enc.Opts.Rand.Uint64() != model.DropoutRand(c, "encoder").Uint64() {
		t.Error("state.Training.MLP's dropout stream is not DropoutRand's")
	}
	disc := tr.MLPOpts(c, "discriminator", nn.Identity, nn.LayerOpts{})
	if disc.BN != nil || disc.Opts.Dropout != 0 {
		t.Errorf("NewMLPOpts with no options built %+v", disc.Opts)
	}
	a, b := model.DropoutRand(c, "encoder"), model.DropoutRand(c, "decoder")
	if a.Uint64() == b.Uint64() {
		t.Error("encoder and decoder share a dropout stream")
	}
	if model.DropoutRand(c, "encoder").Uint64() != model.DropoutRand(c, "encoder").Uint64() {
		t.Error("DropoutRand is not a function of the config and name")
	}
}

// steps trains m for k steps on random digits drawn from seed.
func steps(m model.Model, k int, seed uint64) {
	c := m.Config()
	r := model.NewRand(model.Config{Seed: seed}, 99)
	b := &model.Batch{X: make([]float32, c.Batch*model.Pixels), Labels: make([]uint8, c.Batch), N: c.Batch}
	for range k {
		for i := range b.X {
			b.X[i] = float32(r.Float64())
		}
		m.Step(b)
	}
}

// TestLayersFileRoundTrip: a model with batch norm and dropout, once
// trained, survives Encode/Decode: every tensor (running statistics and
// num_batches_tracked included) and the evaluation-mode outputs.
func TestLayersFileRoundTrip(t *testing.T) {
	c := layered(t, true, 0.25)
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	steps(m, 4, 1)
	for _, dtype := range []safetensors.DType{safetensors.F32, safetensors.F16} {
		b, err := model.Encode(m, 4, dtype)
		if err != nil {
			t.Fatal(err)
		}
		m2, _, err := model.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		want, got := m.Tensors(), m2.Tensors()
		tracked := 0
		for i := range want {
			if want[i].Ints != nil {
				tracked++
				if !slices.Equal(got[i].Ints, want[i].Ints) || want[i].Ints[0] == 0 {
					t.Errorf("%s: %s %v came back as %v", dtype, want[i].Name, want[i].Ints, got[i].Ints)
				}
			}
			if dtype == safetensors.F32 && !slices.Equal(got[i].Data, want[i].Data) {
				t.Errorf("%s: %s changed", dtype, want[i].Name)
			}
			if strings.HasSuffix(want[i].Name, "running_var") && slices.Equal(want[i].Data, slices.Repeat([]float32{1}, len(want[i].Data))) {
				t.Errorf("%s is still at its initial value after training", want[i].Name)
			}
		}
		if tracked != 5 { // two hidden layers in the encoder and decoder, one in the discriminator
			t.Errorf("%s: %d num_batches_tracked tensors, want 5", dtype, tracked)
		}
		if dtype != safetensors.F32 {
			continue
		}
		x := make([]float32, 5*model.Pixels)
		for i := range x {
			x[i] = float32(i%11) / 10
		}
		z1, z2 := make([]float32, 5*c.Latent), make([]float32, 5*c.Latent)
		l1 := m.(model.Autoencoder).ReconLoss(z1, x, 5)
		l2 := m2.(model.Autoencoder).ReconLoss(z2, x, 5)
		if l1 != l2 || !slices.Equal(z1, z2) {
			t.Errorf("evaluation differs after the round trip: loss %v then %v", l1, l2)
		}
	}
}

// TestLayersDecodeErrors: a batch-norm model's file without its running
// statistics, or with num_batches_tracked as a float, is an error naming
// the tensor.
func TestLayersDecodeErrors(t *testing.T) {
	c := layered(t, true, 0)
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{"format": model.FileFormat, "model": c.Model, "config": c.JSON()}
	ts := m.Tensors()
	floatTracked := slices.Clone(ts)
	for i, x := range floatTracked {
		if x.Name == "decoder.4.num_batches_tracked" {
			floatTracked[i] = safetensors.Tensor{Name: x.Name, Shape: x.Shape, Data: []float32{0}}
		}
	}
	for _, tc := range []struct {
		name    string
		tensors []safetensors.Tensor
		want    string
	}{
		{"no running_var", slices.DeleteFunc(slices.Clone(ts), func(x safetensors.Tensor) bool { return x.Name == "encoder.1.running_var" }), "encoder.1.running_var: missing"},
		{"no num_batches_tracked", slices.DeleteFunc(slices.Clone(ts), func(x safetensors.Tensor) bool { return x.Name == "encoder.4.num_batches_tracked" }), "encoder.4.num_batches_tracked: missing"},
		{"float num_batches_tracked", floatTracked, "decoder.4.num_batches_tracked: floats in file, model wants integers"},
	} {
		b, err := safetensors.Encode(tc.tensors, meta, safetensors.F32)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := model.Decode(b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestLayersSameSeed: with batch norm and dropout the same seed gives the
// same losses, and a training step allocates nothing.
func TestLayersSameSeed(t *testing.T) {
	run := func() []model.Losses {
		m, err := model.New(layered(t, true, 0.25))
		if err != nil {
			t.Fatal(err)
		}
		var ls []model.Losses
		c := m.Config()
		r := model.NewRand(model.Config{Seed: 3}, 99)
		b := &model.Batch{X: make([]float32, c.Batch*model.Pixels), Labels: make([]uint8, c.Batch), N: c.Batch}
		for range 6 {
			for i := range b.X {
				b.X[i] = float32(r.Float64())
			}
			ls = append(ls, m.Step(b))
		}
		if a := testing.AllocsPerRun(5, func() { m.Step(b) }); a != 0 {
			t.Errorf("a step with batch norm and dropout allocates %v times", a)
		}
		return ls
	}
	if a, b := run(), run(); !slices.Equal(a, b) {
		t.Errorf("same seed, other losses:\n%v\n%v", a, b)
	}
}

// TestLayersLearnMNIST: the default AAE (narrower, for time) still learns
// on real MNIST with dropout 0.25 and with batch norm, and its evaluation
// mode (Infer: no dropout, running statistics) gives a good test loss.
func TestLayersLearnMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	for _, tc := range []struct {
		name    string
		bn      bool
		dropout float64
	}{{"dropout 0.25", false, 0.25}, {"batchnorm", true, 0}} {
		c := model.Defaults()
		c.Encoder = []int{256, 128}
		c.Discriminator = []int{64, 64}
		c.BatchNorm, c.Dropout = tc.bn, tc.dropout
		s := modeltest.Session(t, c, tr, te)
		testLoss := func() float64 { // the first 2000 test digits, for time
			sum, n := s.TestLoss(0, 2000)
			return sum / float64(n)
		}
		before := testLoss()
		var last model.Losses
		var recon float64
		const total = 200
		for i := range total {
			last = s.Step()
			if i >= total-50 {
				recon += last[0] / 50
			}
		}
		after := testLoss()
		t.Logf("%s: test reconstruction loss (2000 digits) %.1f → %.1f nats after %d steps (training loss, last 50 steps, %.1f); last disc %.3f gen %.3f",
			tc.name, before, after, s.Steps, recon, last[1], last[2])
		if !(after < 0.5*before) {
			t.Errorf("%s: test loss fell only from %.1f to %.1f", tc.name, before, after)
		}
		// The running statistics must describe the data: evaluation is no
		// worse than training by much (dropout makes training noisier).
		if !(after < 1.2*recon) {
			t.Errorf("%s: test loss %.1f in evaluation mode, training loss %.1f", tc.name, after, recon)
		}
		if math.IsNaN(last[1]) || math.IsNaN(last[2]) {
			t.Errorf("%s: adversarial losses %v, %v", tc.name, last[1], last[2])
		}
	}
}
