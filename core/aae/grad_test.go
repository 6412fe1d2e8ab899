package aae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/nn"
)

// TestEncoderGradients checks, against central finite differences, the
// encoder's gradients of the reconstruction loss and of the generator loss
// for every posterior, with and without labels in the regulariser, on rows
// 1..4 of a batch of 6 (as a replica would see them). The noise (ε, η, the
// prior samples) is drawn once and held fixed, as within one phase.
func TestEncoderGradients(t *testing.T) {
	for _, posterior := range []string{"deterministic", "gaussian", "universal"} {
		for _, labels := range []int{0, 100} {
			t.Run(fmt.Sprintf("%s/labels=%d", posterior, labels), func(t *testing.T) {
				checkEncoderGradients(t, posterior, labels)
			})
		}
	}
}

func checkEncoderGradients(t *testing.T, posterior string, labels int) {
	c := model.Defaults()
	c.Encoder, c.Discriminator, c.Latent, c.Batch = []int{10}, []int{8}, 3, 6
	c.Prior, c.Posterior, c.Labels, c.PriorStd = "mixture", posterior, labels, 1
	if posterior == "universal" {
		c.Noise = 4
	}
	modeltest.Smooth(t, &c)
	m := New(c)
	r := rand.New(rand.NewPCG(1, 2))
	const batchN, lo, n = 6, 1, 4
	x := gradcheck.Inputs(r, n*model.Pixels)
	batchLabels := []uint8{3, 255, 0, 9, 255, 5}
	for i := range m.Enc.Params { // larger weights than Init's, for codes that matter
		m.Enc.Params[i] *= 3
	}

	m.drawEncoderNoise(batchN)
	m.prior.SampleLabelled(m.zPrior[:batchN*c.Latent], batchLabels, batchN, m.noise)
	recon := func() float64 { return m.reconstructionGrad(x, n, lo) }
	gen := func() float64 {
		m.fake = m.discInput(m.inFake, m.encodeTrain(x, n, lo), batchLabels, n, lo)
		return m.generatorGrad(n)
	}
	for _, loss := range []struct {
		name string
		f    func() float64
	}{{"reconstruction", recon}, {"generator", gen}} {
		loss.f()
		// All of the layers past the first, a sample of the first (the
		// noise inputs' weights included); errors relative to at least a
		// hundredth of the largest gradient.
		gradcheck.Check(t, gradcheck.Case{Name: loss.name + " loss: encoder", Params: m.Enc.Params,
			Analytic: append([]float32(nil), m.Enc.Grads...), Loss: loss.f, Tol: 1e-2, RelFloor: 1e-2,
			Skip: func(i int) bool { return i < len(m.Enc.W[0]) && i%37 != 0 && i%(model.Pixels+m.eta) < model.Pixels }})
	}
}

// TestReparameterise: z = μ + σ·ε with σ = exp(½·log σ²), rows laid out
// [μ, log σ²].
func TestReparameterise(t *testing.T) {
	out := []float32{1, 2, 0, float32(math.Log(4)), -1, 0, float32(math.Log(0.25)), 0}
	eps := []float32{0.5, -1, 2, 3}
	z := make([]float32, 4)
	nn.Reparameterise(z, out, eps, 2, 2)
	want := []float32{1 + 0.5, 2 - 2, -1 + 2*0.5, 0 + 3}
	for i := range z {
		if math.Abs(float64(z[i]-want[i])) > 1e-6 {
			t.Errorf("z = %v, want %v", z, want)
			break
		}
	}
}

// TestEncodeCodes: Encode gives μ, the first Latent outputs of each row,
// for a Gaussian posterior, and f(x, η = 0) for a universal one.
func TestEncodeCodes(t *testing.T) {
	const n = 3
	x := gradcheck.Inputs(rand.New(rand.NewPCG(3, 4)), n*model.Pixels)
	for _, posterior := range []string{"gaussian", "universal"} {
		c := model.Defaults()
		c.Encoder, c.Discriminator, c.Latent, c.Batch, c.Posterior = []int{10}, []int{8}, 2, 4, posterior
		in, want := x, make([]float32, n*c.Latent)
		if posterior == "universal" {
			c.Noise = 5
			in = make([]float32, n*(model.Pixels+c.Noise)) // η = 0
			for i := range n {
				copy(in[i*(model.Pixels+c.Noise):], x[i*model.Pixels:(i+1)*model.Pixels])
			}
		}
		m := New(c)
		out := m.Enc.Infer(in, n)
		for i := range n {
			copy(want[i*c.Latent:(i+1)*c.Latent], out[i*m.Enc.Out():])
		}
		z := make([]float32, n*c.Latent)
		m.Encode(z, x, n)
		if fmt.Sprint(z) != fmt.Sprint(want) {
			t.Errorf("%s: Encode gave %v, want %v", posterior, z, want)
		}
	}
}
