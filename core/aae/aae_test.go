package aae_test

import (
	"fmt"
	"strings"
	"testing"

	"latentlab/core/aae"
	"latentlab/core/model"
	"latentlab/core/modeltest"
)

func small(kind string) model.Config {
	c := model.Defaults()
	c.Model = kind
	return modeltest.Small(c)
}

// variants are the AAE's encoders, priors and labels in the regulariser,
// on the small network; between them they take every code path (the
// labelled subset of 500 leaves most digits of a batch unlabelled).
var variants = []struct {
	name string
	edit func(*model.Config)
}{
	{"deterministic", func(*model.Config) {}},
	{"gaussian", func(c *model.Config) { c.Posterior = "gaussian" }},
	{"universal", func(c *model.Config) { c.Posterior, c.Noise = "universal", 3 }},
	{"mixture-labels", func(c *model.Config) { c.Prior, c.Labels = "mixture", 500 }},
	{"swissroll-labels-gaussian", func(c *model.Config) { c.Prior, c.Labels, c.Posterior = "swissroll", 500, "gaussian" }},
	{"uniform-universal-latent3", func(c *model.Config) { c.Prior, c.Posterior, c.Noise, c.Latent = "uniform", "universal", 5, 3 }},
	{"input-noise-universal", func(c *model.Config) { c.InputNoise, c.Posterior, c.Noise = 0.3, "universal", 2 }},
	{"mixture-labels-universal-latent4", func(c *model.Config) {
		c.Prior, c.Labels, c.Posterior, c.Noise, c.Latent = "mixture", 500, "universal", 2, 4
	}},
}

func variant(i int) model.Config {
	c := small("aae")
	variants[i].edit(&c)
	return c
}

// TestFileRoundTrip: every variant comes back from its file with the same
// test loss, its tensors named and shaped as PyTorch's nn.Sequential
// gives them (the encoder reading 784+noise inputs, giving 2·latent
// outputs for a Gaussian posterior; the discriminator reading latent+11
// with labels).
func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		c := variant(i)
		s, s2 := modeltest.Reloaded(t, c, tr, te, 5)
		if a, b := s.MeanTestLoss(), s2.MeanTestLoss(); a != b {
			t.Fatalf("%s: test loss %v before saving, %v after loading", v.name, a, b)
		}
		in, out, disc := 784+c.Noise, c.Latent, c.Latent
		if c.Posterior == "gaussian" {
			out *= 2
		}
		if c.Labels > 0 {
			disc += 11
		}
		want := map[string][]int{
			"encoder.0.weight": {64, in}, "encoder.4.weight": {out, 32}, "encoder.4.bias": {out},
			"decoder.0.weight": {32, c.Latent}, "decoder.4.weight": {784, 64},
			"discriminator.0.weight": {32, disc}, "discriminator.4.weight": {1, 32},
		}
		t.Run(v.name, func(t *testing.T) { modeltest.Shapes(t, s2.Model, want) })
	}
}

// TestEncodeIsDeterministic: a Gaussian posterior encodes to its mean and a
// universal one at η = 0, so that encoding the same digits twice gives the
// same codes, and ReconLoss stores those codes.
func TestEncodeIsDeterministic(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		c := variant(i)
		s := modeltest.Session(t, c, tr, te)
		s.Step()
		xs := make([]float32, 10*model.Pixels)
		idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		te.Fill(xs, nil, idx)
		ae := s.Model.(model.Autoencoder)
		a, b, z := make([]float32, 10*c.Latent), make([]float32, 10*c.Latent), make([]float32, 10*c.Latent)
		ae.Encode(a, xs, 10)
		ae.ReconLoss(z, xs, 10)
		ae.Encode(b, xs, 10)
		if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) != fmt.Sprint(z) {
			t.Errorf("%s: codes %v, then %v, and %v from ReconLoss", v.name, a[:4], b[:4], z[:4])
		}
	}
}

// TestCheck: the aae and ae kinds refuse the configs that cannot train,
// saying why, and accept every preset of theirs.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.Prior, c.Latent = "mixture", 1 }, "mixture prior is 2-D"},
		{func(c *model.Config) { c.Prior, c.Latent, c.Model = "swissroll", 1, "ae" }, "swissroll prior is 2-D"},
		{func(c *model.Config) { c.Posterior = "universal" }, "noise must be at least 1"},
		{func(c *model.Config) { c.Noise = 4 }, "set posterior universal"},
		{func(c *model.Config) { c.Posterior, c.Noise = "gaussian", 4 }, "noise 4"},
		{func(c *model.Config) { c.Labels = 100 }, "gaussian prior has no part per label"},
		{func(c *model.Config) { c.Labels, c.Prior = 100, "uniform" }, "uniform prior has no part per label"},
	} {
		c := model.Defaults()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	for name, c := range model.Presets() {
		if c.Model != "aae" && c.Model != "ae" {
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	// A plain autoencoder has no discriminator for labels to reach: it
	// refuses them, and the discriminator's widths, which it does not read.
	c := model.Defaults()
	c.Model, c.Labels = "ae", 100
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `labels is not read by "ae"`) {
		t.Errorf("ae with labels: %v", err)
	}
	c.Labels = 0
	if got := aae.Nets(c); fmt.Sprint(got) != fmt.Sprint(model.AutoencoderNets(c)) {
		t.Errorf("ae has networks %v", got)
	}
}

// TestConformance: the shared checks (core/modeltest) on every variant and
// the plain autoencoder: same seed, same losses; no allocations a step; the
// file round trip; shards; the reconstruction loss falls.
func TestConformance(t *testing.T) {
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) { modeltest.Conformance(t, variant(i), modeltest.Options{Falls: []int{0}}) })
	}
	t.Run("ae", func(t *testing.T) { modeltest.Conformance(t, small("ae"), modeltest.Options{Falls: []int{0}}) })
}

// TestStepPhase: each phase of the page's step controls changes only its
// networks (recon the encoder and decoder, disc the discriminator, gen the
// encoder) and reports only its loss, for every variant; a plain
// autoencoder has no phases to step alone.
func TestStepPhase(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		s := modeltest.Session(t, variant(i), tr, te)
		m := s.Model.(*aae.Model)
		if got := fmt.Sprint(m.Phases()); got != "[recon disc gen]" {
			t.Fatalf("%s: phases %s", v.name, got)
		}
		nets := map[string]func() []float32{
			"encoder":       func() []float32 { return append([]float32(nil), m.Enc.Params...) },
			"decoder":       func() []float32 { return append([]float32(nil), m.Dec.Params...) },
			"discriminator": func() []float32 { return append([]float32(nil), m.Disc.Params...) },
		}
		for _, tc := range []struct {
			phase   string
			changes string
			loss    int
		}{{"recon", "encoder decoder", 0}, {"disc", "discriminator", 1}, {"gen", "encoder", 2}} {
			before := map[string][]float32{}
			for name, p := range nets {
				before[name] = p()
			}
			l, err := s.StepPhase(tc.phase)
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range nets {
				changed := fmt.Sprint(p()) != fmt.Sprint(before[name])
				if want := strings.Contains(tc.changes, name); changed != want {
					t.Errorf("%s: phase %s changed the %s: %v, want %v", v.name, tc.phase, name, changed, want)
				}
			}
			for j, x := range l[:3] {
				if (j == tc.loss) != (x != 0) {
					t.Errorf("%s: phase %s losses %v", v.name, tc.phase, l[:3])
				}
			}
		}
	}
	if p := modeltest.Session(t, small("ae"), tr, te).Model.(*aae.Model).Phases(); p != nil {
		t.Errorf("ae phases %v", p)
	}
}
