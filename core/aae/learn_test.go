package aae_test

import (
	"math"
	"testing"
	"time"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/prior"
)

// frechet returns the Fréchet (2-Wasserstein) distance between Gaussians
// with the means and 2×2 covariances given, which compares two
// distributions by their first two moments, in the units of the codes:
//
//	d² = ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^½
//
// where for 2×2 matrices tr (Σ1 Σ2)^½ = √(tr Σ1Σ2 + 2 √(det Σ1 det Σ2)).
func frechet(m1, c1, m2, c2 []float64) float64 {
	dm := (m1[0]-m2[0])*(m1[0]-m2[0]) + (m1[1]-m2[1])*(m1[1]-m2[1])
	tr1, tr2 := c1[0]+c1[3], c2[0]+c2[3]
	det1, det2 := c1[0]*c1[3]-c1[1]*c1[2], c2[0]*c2[3]-c2[1]*c2[2]
	trProd := c1[0]*c2[0] + c1[1]*c2[2] + c1[2]*c2[1] + c1[3]*c2[3]
	d2 := dm + tr1 + tr2 - 2*math.Sqrt(trProd+2*math.Sqrt(max(det1*det2, 0)))
	return math.Sqrt(max(d2, 0))
}

// TestFrechet: the distance is 0 between equal moments, the mean shift
// for equal covariances, √2·|a − b| between N(0, a²I) and N(0, b²I), and
// symmetric.
func TestFrechet(t *testing.T) {
	c := []float64{2, 0.5, 0.5, 1}
	for _, tc := range []struct {
		m1, c1, m2, c2 []float64
		want           float64
	}{
		{[]float64{1, 2}, c, []float64{1, 2}, c, 0},
		{[]float64{0, 0}, c, []float64{3, 4}, c, 5},
		{[]float64{0, 0}, []float64{4, 0, 0, 4}, []float64{0, 0}, []float64{9, 0, 0, 9}, math.Sqrt2},
	} {
		for _, d := range []float64{frechet(tc.m1, tc.c1, tc.m2, tc.c2), frechet(tc.m2, tc.c2, tc.m1, tc.c1)} {
			if math.Abs(d-tc.want) > 1e-6 {
				t.Errorf("frechet(%v, %v, %v, %v) = %v, want %v", tc.m1, tc.c1, tc.m2, tc.c2, d, tc.want)
			}
		}
	}
}

// TestLearnsMNIST trains one model per prior on the full real MNIST for a
// few hundred steps, between them the three encoders and labels in the
// regulariser. Each must reconstruct the test digits far better than
// untrained, and the first two moments of its test codes must come well
// toward the prior's from the untrained model's (their Fréchet distance at
// least 40 % smaller; the runs reach 50–80 %); with labels, most test digits must land nearest their own
// digit's component of the mixture.
//
// For a short budget the networks are small, both learning rates 2e-3
// and the prior's σ 2 (codes reach the prior's scale sooner); the
// label-guided model trains with every training label, since with the
// paper's 10,000 the labels' pull shows only after several epochs.
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	for _, tc := range []struct {
		name string
		edit func(*model.Config)
	}{
		{"gaussian-prior", func(*model.Config) {}},
		{"mixture-prior-labels", func(c *model.Config) { c.Prior, c.Labels = "mixture", tr.N }},
		{"swissroll-prior-gaussian-posterior", func(c *model.Config) { c.Prior, c.Posterior = "swissroll", "gaussian" }},
		{"uniform-prior-universal-posterior", func(c *model.Config) { c.Prior, c.Posterior, c.Noise = "uniform", "universal", 8 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := model.Defaults()
			c.Encoder, c.Discriminator = []int{64, 32}, []int{64, 64}
			c.LRRecon, c.LRReg, c.PriorStd = 2e-3, 2e-3, 2
			tc.edit(&c)
			learns(t, c, 400, tr, te)
		})
	}
}

func learns(t *testing.T, c model.Config, steps int, tr, te *data.Set) {
	start := time.Now()
	const codes = 2000 // test digits whose codes are compared with the prior
	p, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	if err != nil {
		t.Fatal(err)
	}
	zp := make([]float32, 10000*c.Latent)
	p.Sample(zp, 10000, model.NewRand(c, 9))
	pMean, pCov := prior.Moments(zp, 10000, c.Latent)

	s := modeltest.Session(t, c, tr, te)
	z := make([]float32, codes*c.Latent)
	sum, _ := s.TestCodesAndLoss(z, 0, codes)
	before := sum / codes
	mean0, cov0 := prior.Moments(z, codes, c.Latent)
	dist0 := frechet(mean0, cov0, pMean, pCov)

	var last model.Losses
	for range steps {
		last = s.Step()
	}
	sum, _ = s.TestCodesAndLoss(z, 0, codes)
	after := sum / codes
	mean, cov := prior.Moments(z, codes, c.Latent)
	dist := frechet(mean, cov, pMean, pCov)
	t.Logf("%d steps in %.1f s: test reconstruction loss %.1f → %.1f nats; last disc %.3f gen %.3f",
		s.Steps, time.Since(start).Seconds(), before, after, last[1], last[2])
	t.Logf("Fréchet distance of the test codes' moments from the prior's: %.2f untrained → %.2f (prior: mean %.2f covariance %.2f; codes: mean %.2f covariance %.2f)",
		dist0, dist, pMean, pCov, mean, cov)

	if !(after < 0.5*before) {
		t.Errorf("test loss fell only from %.1f to %.1f", before, after)
	}
	if math.IsNaN(last[1]) || math.IsNaN(last[2]) || last[1] <= 0 || last[2] <= 0 {
		t.Errorf("adversarial losses %v, %v", last[1], last[2])
	}
	if !(dist < 0.6*dist0) {
		t.Errorf("the codes' moments moved only from %.2f to %.2f from the prior's", dist0, dist)
	}
	if c.Labels > 0 {
		own := 0
		for i := range codes {
			if p.Part(z[i*c.Latent:]) == int(te.Labels[i]) {
				own++
			}
		}
		frac := float64(own) / codes
		t.Logf("test digits nearest their own digit's %s component: %.1f %% (chance 10 %%)", c.Prior, 100*frac)
		if frac < 0.3 {
			t.Errorf("only %.1f %% of test digits land nearest their own digit's component of the prior", 100*frac)
		}
	}
}
