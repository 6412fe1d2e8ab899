package aae_test

import (
	"math"
	"path/filepath"
	"runtime"
	"testing"

	_ "latentlab/core/aae"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/train"
)

func subset(t testing.TB) (*data.Set, *data.Set) {
	t.Helper()
	tr, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	return tr, te
}

func small(kind string) model.Config {
	c := model.Defaults()
	c.Model = kind
	c.Encoder = []int{64, 32}
	c.Discriminator = []int{32, 32}
	c.Batch = 50
	return c
}

func session(t testing.TB, c model.Config, tr, te *data.Set) *train.Session {
	t.Helper()
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.New(m, tr, te, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSameSeedSameLosses: the same seed gives identical losses, another seed
// different ones.
func TestSameSeedSameLosses(t *testing.T) {
	tr, te := subset(t)
	run := func(seed uint64) []model.Losses {
		c := small("aae")
		c.Seed = seed
		s := session(t, c, tr, te)
		var ls []model.Losses
		for range 15 {
			ls = append(ls, s.Step())
		}
		return ls
	}
	a, b, other := run(7), run(7), run(8)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: %+v then %+v with the same seed", i, a[i], b[i])
		}
	}
	if a[len(a)-1] == other[len(other)-1] {
		t.Error("seeds 7 and 8 gave the same losses")
	}
}

// TestStepAllocatesNothing covers the whole training step of both kinds.
func TestStepAllocatesNothing(t *testing.T) {
	tr, te := subset(t)
	for _, kind := range []string{"aae", "ae"} {
		s := session(t, small(kind), tr, te)
		if a := testing.AllocsPerRun(5, func() { s.Step() }); a != 0 {
			t.Errorf("%s: a training step allocates %v times", kind, a)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	tr, te := subset(t)
	s := session(t, small("aae"), tr, te)
	for range 5 {
		s.Step()
	}
	b, err := model.Encode(s.Model, s.Steps, "F32")
	if err != nil {
		t.Fatal(err)
	}
	m, steps, err := model.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if steps != 5 || m.Config().JSON() != s.Model.Config().JSON() {
		t.Fatalf("got step %d config %s", steps, m.Config().JSON())
	}
	s2, _ := train.New(m, tr, te, steps)
	if a, b := s.MeanTestLoss(), s2.MeanTestLoss(); a != b {
		t.Fatalf("test loss %v before saving, %v after loading", a, b)
	}
	// Names and shapes as PyTorch's nn.Sequential gives them.
	want := map[string][]int{"encoder.0.weight": {64, 784}, "encoder.4.bias": {2}, "decoder.4.weight": {784, 64}, "discriminator.4.weight": {1, 32}}
	for _, ts := range m.Tensors() {
		if shape, ok := want[ts.Name]; ok {
			if len(shape) != len(ts.Shape) || shape[0] != ts.Shape[0] || (len(shape) > 1 && shape[1] != ts.Shape[1]) {
				t.Errorf("%s: shape %v, want %v", ts.Name, ts.Shape, shape)
			}
			delete(want, ts.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing tensors %v", want)
	}
	// A truncated file is an error, not a model.
	if _, _, err := model.Decode(b[:len(b)-10]); err == nil {
		t.Error("a truncated file decoded")
	}
}

// TestLearnsMNIST trains on the full real MNIST for a few hundred steps: the
// test reconstruction loss must fall far below that of the untrained model
// and the codes must spread toward the prior's scale.
func TestLearnsMNIST(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("a few hundred steps take minutes under wasm; the native run covers it")
	}
	_, file, _, _ := runtime.Caller(0)
	tr, te, err := data.LoadMNIST(filepath.Join(filepath.Dir(file), "../../assets/mnist"))
	if err != nil {
		t.Fatalf("%v (make data fetches MNIST)", err)
	}
	c := model.Defaults()
	c.Encoder = []int{256, 128}
	c.Discriminator = []int{64, 64}
	s := session(t, c, tr, te)
	before := s.MeanTestLoss()
	var last model.Losses
	for range 400 {
		last = s.Step()
	}
	after := s.MeanTestLoss()
	t.Logf("test reconstruction loss %.1f → %.1f nats after %d steps; last disc %.3f gen %.3f", before, after, s.Steps, last[1], last[2])
	if !(after < 0.5*before) {
		t.Errorf("test loss fell only from %.1f to %.1f", before, after)
	}
	if math.IsNaN(last[1]) || math.IsNaN(last[2]) || last[1] <= 0 || last[2] <= 0 {
		t.Errorf("adversarial losses %v, %v", last[1], last[2])
	}
	z := make([]float32, 1000*c.Latent)
	s.EncodeTest(z, 1000)
	var sq float64
	for _, v := range z {
		sq += float64(v) * float64(v)
	}
	std := math.Sqrt(sq / float64(len(z)))
	t.Logf("code RMS %.2f, prior σ %v", std, c.PriorStd)
	if std < 0.3*c.PriorStd || std > 3*c.PriorStd {
		t.Errorf("codes have RMS %.2f, far from the prior's σ = %v", std, c.PriorStd)
	}
}
