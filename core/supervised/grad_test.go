package supervised

import (
	"math/rand/v2"
	"testing"

	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/modeltest"
)

// TestGradients checks, against central finite differences, the
// encoder's and decoder's gradients of the reconstruction loss (through
// the decoder's input [z, one-hot label]) and the encoder's gradient of
// the generator loss (through the discriminator).
func TestGradients(t *testing.T) {
	c := model.Presets()["supervised"]
	c.Encoder, c.Discriminator, c.Latent, c.Batch = []int{10}, []int{8}, 3, 5
	modeltest.Smooth(t, &c)
	m := New(c)
	r := rand.New(rand.NewPCG(1, 2))
	const n = 5
	x := gradcheck.Inputs(r, n*model.Pixels)
	labels := []uint8{3, 0, 9, 3, 7}
	for i := range m.Enc.Params { // larger weights than Init's, for codes that matter
		m.Enc.Params[i] *= 3
	}
	recon := func() float64 { return m.reconstructionGrads(x, labels, n) }
	gen := func() float64 {
		m.z = m.Enc.Forward(x, n)
		return m.generatorGrads(n)
	}
	for _, tc := range []struct {
		name          string
		loss          func() float64
		params, grads []float32
		skip          func(i int) bool
	}{
		{"reconstruction/encoder", recon, m.Enc.Params, m.Enc.Grads, func(i int) bool { return i < len(m.Enc.W[0]) && i%97 != 0 }},
		{"reconstruction/decoder", recon, m.Dec.Params, m.Dec.Grads, func(i int) bool { return i%29 != 0 }},
		{"generator/encoder", gen, m.Enc.Params, m.Enc.Grads, func(i int) bool { return i < len(m.Enc.W[0]) && i%97 != 0 }},
	} {
		tc.loss()
		gradcheck.Check(t, gradcheck.Case{Name: tc.name, Params: tc.params, Analytic: append([]float32(nil), tc.grads...),
			Loss: tc.loss, Skip: tc.skip, Tol: 1e-2, RelFloor: 1e-2})
	}
}

// TestDecoderInput: rows [z, one-hot label], and a label outside 0..9
// panics.
func TestDecoderInput(t *testing.T) {
	c := model.Presets()["supervised"]
	c.Encoder, c.Discriminator, c.Latent, c.Batch = []int{4}, []int{4}, 2, 2
	m := New(c)
	u := m.decoderInput([]float32{1, 2, 3, 4}, []uint8{0, 9}, 2)
	want := []float32{1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	for i := range want {
		if u[i] != want[i] {
			t.Fatalf("decoder input %v, want %v", u, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("label 10 accepted")
		}
	}()
	m.decoderInput([]float32{1, 2}, []uint8{10}, 1)
}
