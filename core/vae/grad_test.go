package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/modeltest"
)

// TestSampleGradient checks sampleBackward against central finite
// differences (in float64 arithmetic over float32 inputs) of
// L = Σ c·z + KL, z = μ + σ·ε from sample, with respect to every μ and
// log σ², for the prior N(0, I) and N(0, 2.5²I).
func TestSampleGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, lat = 3, 4
	for _, s := range []float64{1, 2.5} {
		s2 := s * s
		out := make([]float32, n*2*lat)
		for i := range out {
			out[i] = float32(r.NormFloat64())
		}
		eps, c := make([]float32, n*lat), make([]float32, n*lat)
		for i := range eps {
			eps[i], c[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		z := make([]float32, n*lat)
		loss := func() float64 {
			kl := sample(z, out, eps, n, lat, s2)
			var l float64
			for i := range z {
				l += float64(c[i]) * float64(z[i])
			}
			return l + kl
		}
		loss()
		dout := make([]float32, len(out))
		sampleBackward(dout, c, out, eps, n, lat, s2)
		gradcheck.Check(t, gradcheck.Case{Name: fmt.Sprintf("s = %v: output", s), Params: out, Analytic: dout, Loss: loss, Tol: 5e-4, Floor: 1e-3})
	}
}

// TestSampleValues: z = μ + σ·ε from rows [μ, log σ²], and the KL of
// N(μ, σ²) from N(0, s²) computed by hand.
func TestSampleValues(t *testing.T) {
	out := []float32{1, 2, 0, float32(math.Log(4))}
	eps := []float32{0.5, -1}
	z := make([]float32, 2)
	kl := sample(z, out, eps, 1, 2, 1)
	if math.Abs(float64(z[0])-1.5) > 1e-6 || math.Abs(float64(z[1])-0) > 1e-6 {
		t.Errorf("z = %v, want [1.5 0]", z)
	}
	// ½(μ² + σ² − 1 − log σ²): ½(1 + 1 − 1 − 0) + ½(4 + 4 − 1 − log 4)
	want := 0.5 + 0.5*(7-math.Log(4))
	if math.Abs(kl-want) > 1e-6 {
		t.Errorf("KL %v, want %v", kl, want)
	}
	// N(0, s²) is its own prior: KL 0.
	s2 := 2.5 * 2.5
	if kl := sample(z, []float32{0, float32(math.Log(s2))}, []float32{0}, 1, 1, s2); math.Abs(kl) > 1e-6 {
		t.Errorf("KL of the prior from itself %v", kl)
	}
}

// TestModelGradients checks the encoder's and decoder's gradients of
// recon + kl (grads, as a step computes them) against central finite
// differences of the loss, ε held fixed.
func TestModelGradients(t *testing.T) {
	c := model.Defaults()
	c.Model, c.Posterior, c.PriorStd = "vae", "gaussian", 1.5
	c.Encoder, c.Latent, c.Batch = []int{10}, 3, 4
	modeltest.Smooth(t, &c)
	m := New(c)
	r := rand.New(rand.NewPCG(3, 4))
	const n = 4
	x := gradcheck.Inputs(r, n*model.Pixels)
	eps := make([]float32, n*c.Latent)
	for i := range eps {
		eps[i] = float32(r.NormFloat64())
	}
	for i := range m.Enc.Params { // larger weights than Init's, for codes and variances that matter
		m.Enc.Params[i] *= 3
	}
	loss := func() float64 { recon, kl := m.grads(x, eps, n); return recon + kl }
	loss()
	for _, net := range []struct {
		name          string
		params, grads []float32
		first         int // parameters of the first layer, sampled
	}{
		{"encoder", m.Enc.Params, append([]float32(nil), m.Enc.Grads...), len(m.Enc.W[0])},
		{"decoder", m.Dec.Params, append([]float32(nil), m.Dec.Grads...), 0},
	} {
		gradcheck.Check(t, gradcheck.Case{Name: net.name, Params: net.params, Analytic: net.grads, Loss: loss, Tol: 1e-2, RelFloor: 1e-2,
			Skip: func(i int) bool { return i < net.first && i%37 != 0 || i%13 != 0 && net.name == "decoder" }})
	}
}
