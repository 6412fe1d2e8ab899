package semisup

import (
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/gradcheck"
	"latentlab/core/model"
)

// tiny is a model small enough for finite differences in float32.
func tiny(kind string) model.Config {
	c := model.Defaults()
	c.Model, c.Encoder, c.Discriminator, c.Activation = kind, []int{12}, []int{6}, "tanh" // smooth, for finite differences
	c.Classes, c.Latent, c.Batch, c.PriorStd, c.Labels = 10, 3, 4, 1, 100
	if kind == "cluster" {
		c.Classes, c.Labels = 5, 0
	}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// checkGrads compares the gradients grads (computed at the current params)
// with central differences of loss over 40 of the params drawn by r.
func checkGrads(t *testing.T, name string, params, grads []float32, loss func() float64, r *rand.Rand) {
	t.Helper()
	keep := make([]bool, len(params))
	for range 40 {
		keep[r.IntN(len(params))] = true
	}
	gradcheck.Check(t, gradcheck.Case{Name: name, Params: params, Analytic: append([]float32(nil), grads...), Loss: loss,
		Skip: func(i int) bool { return !keep[i] }, Tol: 3e-2, Floor: 1e-3})
}

// TestReconstructionGradients: the reconstruction gradient through the
// decoder, the join of [y, z], the softmax and the encoder's two heads.
func TestReconstructionGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	m := New(tiny("cluster"))
	n := 4
	x := gradcheck.Inputs(r, n*model.Pixels)
	loss := func() float64 { return m.reconstructionGrads(x, n) }
	loss()
	checkGrads(t, "encoder", m.Enc.Params, m.Enc.Grads, loss, r)
	loss()
	checkGrads(t, "decoder", m.Dec.Params, m.Dec.Grads, loss, r)
	// The analytic loss is the one ReconLoss reports (sum over images).
	if a, b := m.reconstructionGrads(x, n)*float64(n), m.ReconLoss(nil, x, n); math.Abs(a-b) > 1e-9*math.Abs(a) {
		t.Errorf("reconstruction loss %v in training, %v from ReconLoss", a, b)
	}
}

// TestGeneratorGradients: the encoder's gradient of gen_y + gen_z through
// both discriminators, the softmax and the heads.
func TestGeneratorGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	m := New(tiny("semisupervised"))
	n := 4
	x := gradcheck.Inputs(r, n*model.Pixels)
	loss := func() float64 {
		m.encode(x, n)
		ly, lz := m.generatorGrads(n)
		return ly + lz
	}
	loss()
	checkGrads(t, "encoder", m.Enc.Params, m.Enc.Grads, loss, r)
}

// TestClassificationGradients: the encoder's gradient of the
// cross-entropy of y on labelled digits.
func TestClassificationGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	m := New(tiny("semisupervised"))
	n := 4
	x := gradcheck.Inputs(r, n*model.Pixels)
	labels := []uint8{3, 0, 9, 3}
	loss := func() float64 { return m.classificationGrads(x, labels, n) }
	loss()
	checkGrads(t, "encoder", m.Enc.Params, m.Enc.Grads, loss, r)
	// It is the cross-entropy of Classify's probabilities.
	p := make([]float32, n*m.k)
	m.Classify(p, x, n)
	var want float64
	for i, c := range labels {
		want -= math.Log(float64(p[i*m.k+int(c)]))
	}
	want /= float64(n)
	if got := loss(); math.Abs(got-want) > 1e-5 {
		t.Errorf("cross-entropy %v, −log of Classify's probabilities %v", got, want)
	}
}
