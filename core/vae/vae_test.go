package vae_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/prior"
	"latentlab/core/train"
	"latentlab/core/vae"
)

// small is the "vae" preset on a small network.
func small() model.Config {
	c := modeltest.Small(model.Presets()["vae"])
	c.Latent = 3
	return c
}

// TestFileRoundTrip: the model comes back from its file with the same test
// loss and the same evaluation, its tensors named and shaped as PyTorch's
// nn.Sequential gives them, the encoder's last Linear giving 2·latent
// values; a truncated file is an error.
func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s, s2 := modeltest.Reloaded(t, c, tr, te, 5)
	if a, b := s.MeanTestLoss(), s2.MeanTestLoss(); a != b {
		t.Fatalf("test loss %v before saving, %v after loading", a, b)
	}
	e1 := s.Model.(model.Evaluator).Evaluate(tr, te)
	e2 := s2.Model.(model.Evaluator).Evaluate(tr, te)
	if fmt.Sprint(e1) != fmt.Sprint(e2) {
		t.Fatalf("evaluation %v before saving, %v after loading", e1, e2)
	}
	want := map[string][]int{
		"encoder.0.weight": {64, 784}, "encoder.2.weight": {32, 64}, "encoder.4.weight": {6, 32}, "encoder.4.bias": {6},
		"decoder.0.weight": {32, 3}, "decoder.4.weight": {784, 64}, "decoder.4.bias": {784},
	}
	modeltest.Shapes(t, s2.Model, want)
	for _, ts := range s2.Model.Tensors() {
		if strings.HasPrefix(ts.Name, "discriminator") {
			t.Errorf("a VAE with tensor %s", ts.Name)
		}
	}
}

// TestEncodeIsDeterministic: Encode gives the means, so encoding twice
// with a training step's draws in between for nothing gives the same
// codes, ReconLoss stores them too, and it equals the BCE of Decode's
// probabilities of those codes.
func TestEncodeIsDeterministic(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s := modeltest.Session(t, c, tr, te)
	s.Step()
	const n = 10
	xs := make([]float32, n*model.Pixels)
	te.Fill(xs, nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	ae := s.Model.(model.Autoencoder)
	a, b, z := make([]float32, n*c.Latent), make([]float32, n*c.Latent), make([]float32, n*c.Latent)
	ae.Encode(a, xs, n)
	loss := ae.ReconLoss(z, xs, n)
	s.Step()
	ae2 := modeltest.Session(t, c, tr, te) // the same seed, one step: the same weights as s had
	ae2.Step()
	ae2.Model.(model.Autoencoder).Encode(b, xs, n)
	if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) != fmt.Sprint(z) {
		t.Errorf("codes %v, then %v, and %v from ReconLoss", a[:3], b[:3], z[:3])
	}
	p := make([]float32, n*model.Pixels)
	ae2.Model.(model.Autoencoder).Decode(p, a, n)
	var bce float64
	for i, v := range p {
		q := math.Min(math.Max(float64(v), 1e-7), 1-1e-7)
		bce -= float64(xs[i])*math.Log(q) + (1-float64(xs[i]))*math.Log(1-q)
	}
	if math.Abs(bce-loss) > 1e-3*loss {
		t.Errorf("ReconLoss %v, BCE of the decoded means %v", loss, bce)
	}
}

// TestCheck: the vae kind refuses other priors and encoders, saying why,
// and accepts its presets.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.Prior = "mixture" }, "prior must be gaussian, not mixture"},
		{func(c *model.Config) { c.Posterior = "deterministic" }, "set posterior gaussian"},
	} {
		c := small()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	for _, name := range []string{"vae", "vae-20"} {
		c, ok := model.Presets()[name]
		if !ok {
			t.Fatalf("no preset %s", name)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		if c.Model != "vae" || c.PriorStd != 1 {
			t.Errorf("preset %s: model %s, prior_std %v", name, c.Model, c.PriorStd)
		}
	}
	c := model.Presets()["vae-20"]
	nets := vae.Nets(c)
	if fmt.Sprint(nets["encoder"]) != "[784 400 40]" || fmt.Sprint(nets["decoder"]) != "[20 400 784]" || len(nets) != 2 {
		t.Errorf("vae-20 networks %v", nets)
	}
}

// TestPriorScale: SamplePrior draws N(0, s²I) with s = prior_std.
func TestPriorScale(t *testing.T) {
	c := small()
	c.PriorStd = 3
	m := vae.New(c)
	const n = 4000
	z := make([]float32, n*c.Latent)
	m.SamplePrior(z, n, model.NewRand(c, 9))
	mean, cov := prior.Moments(z, n, c.Latent)
	for a := range c.Latent {
		if math.Abs(mean[a]) > 0.2 || math.Abs(cov[a*c.Latent+a]-9) > 0.6 {
			t.Errorf("prior dimension %d: mean %.2f variance %.2f, want 0 and 9", a, mean[a], cov[a*c.Latent+a])
		}
	}
}

// aggregate returns the mean and covariance of the aggregated posterior
// q(z) = (1/n) Σ N(μ_i, σ_i²) of the first n test digits: the moments of
// the means, plus the mean variance on the diagonal.
func aggregate(m *vae.Model, te *data.Set, n int) (mean, cov []float64) {
	lat, b := m.Config().Latent, m.Config().Batch
	mu, v := make([]float32, n*lat), make([]float64, lat)
	x, idx := make([]float32, b*model.Pixels), make([]int, b)
	for lo := 0; lo < n; lo += b {
		k := min(b, n-lo)
		for i := range k {
			idx[i] = lo + i
		}
		te.Fill(x[:k*model.Pixels], nil, idx[:k])
		out := m.Enc.Infer(x, k)
		for i := range k {
			copy(mu[(lo+i)*lat:(lo+i+1)*lat], out[2*i*lat:])
			for j := range lat {
				v[j] += math.Exp(float64(out[(2*i+1)*lat+j])) / float64(n)
			}
		}
	}
	mean, cov = prior.Moments(mu, n, lat)
	for j := range lat {
		cov[j*lat+j] += v[j]
	}
	return mean, cov
}

// TestLearnsMNIST trains the "vae" preset (2-D latent, prior N(0, I)) on a
// smaller network at a higher learning rate, for 450 steps of real MNIST
// (the budget of a test): the test reconstruction must fall far below the
// untrained model's, the KL must stay well above zero (the codes carry
// information about the digits) and the aggregated posterior q(z) of the
// test digits must be near the prior N(0, I). An untrained encoder is
// trivially there (μ ≈ 0, σ ≈ 1, KL ≈ 0); a trained one gets there only
// through the KL term, slowly along the codes' scale (at the optimum each
// dimension's E[μ² + σ²] is 1, but one epoch leaves it within a factor of
// about 2), hence the loose bounds.
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	c := model.Presets()["vae"]
	c.Encoder, c.LRRecon = []int{128}, 3e-3
	const steps, codes = 450, 2000
	start := time.Now()
	s := modeltest.Session(t, c, tr, te)
	m := s.Model.(*vae.Model)
	before, _ := s.TestLoss(0, codes)
	var last train.Mean
	for i := range steps {
		l := s.Step()
		if i >= steps-50 {
			last.Add(l)
		}
	}
	after, _ := s.TestLoss(0, codes)
	before, after = before/codes, after/codes
	ev := m.Evaluate(tr, te)
	mean, cov := aggregate(m, te, codes)
	l := last.Value()
	t.Logf("%d steps in %.1f s: test reconstruction of the mean code %.1f → %.1f nats; last 50 steps recon %.1f kl %.2f; test KL %.2f, −ELBO %.1f",
		steps, time.Since(start).Seconds(), before, after, l[0], l[1], ev["test_kl"], ev["test_neg_elbo"])
	rho := cov[1] / math.Sqrt(cov[0]*cov[3])
	t.Logf("aggregated posterior of %d test digits: mean %.3f, covariance %.3f (correlation %.2f)", codes, mean, cov, rho)

	if !(after < 0.5*before) {
		t.Errorf("test reconstruction fell only from %.1f to %.1f", before, after)
	}
	if !(l[1] > 2 && ev["test_kl"] > 2) {
		t.Errorf("KL %.2f in training, %.2f on test: the codes say little about the digits", l[1], ev["test_kl"])
	}
	for a := range 2 {
		if v := cov[3*a]; !(math.Abs(mean[a]) < 0.5 && v > 0.5 && v < 2.5) {
			t.Errorf("aggregated posterior, dimension %d: mean %.3f, variance %.3f; the prior's are 0 and 1", a, mean[a], v)
		}
	}
	if math.Abs(rho) > 0.6 {
		t.Errorf("aggregated posterior: correlation %.2f between the dimensions; the prior's is 0", rho)
	}
	if nelbo := ev["test_neg_elbo"]; !(nelbo > after && nelbo < after+ev["test_kl"]+40) {
		t.Errorf("test −ELBO %.1f beside recon %.1f and KL %.1f", nelbo, after, ev["test_kl"])
	}
}

// TestConformance: the shared checks (core/modeltest), plain (shards
// included: ε is drawn for the whole batch and sliced) and with dropout and
// batch norm.
func TestConformance(t *testing.T) {
	layers := small()
	layers.Dropout, layers.BatchNorm = 0.2, true
	t.Run("plain", func(t *testing.T) { modeltest.Conformance(t, small(), modeltest.Options{Falls: []int{0}}) })
	t.Run("dropout+batchnorm", func(t *testing.T) { modeltest.Conformance(t, layers, modeltest.Options{}) })
}
