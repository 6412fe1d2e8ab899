package classifier

import (
	"testing"

	"latentlab/core/data"
	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/nn"
)

// TestGradients: the gradients Step applies are those of the mean
// cross-entropy, against central finite differences over every parameter
// of a small network (784-6-5-10, tanh, smooth where ReLU has kinks a
// finite difference can straddle; dropout off so that the loss is a
// function of the parameters).
func TestGradients(t *testing.T) {
	_, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	c := model.Presets()["classifier"]
	c.Encoder, c.Batch, c.Dropout, c.Activation = []int{6, 5}, 8, 0, "tanh"
	m := New(c)
	const n = 8
	x, labels := make([]float32, n*model.Pixels), make([]uint8, n)
	te.Fill(x, labels, []int{0, 1, 2, 3, 4, 5, 6, 7})
	m.grads(x, labels, n)
	analytic := append([]float32(nil), m.Net.Grads...)
	loss := func() float64 { return nn.SoftmaxCrossEntropy(nil, m.Net.Forward(x, n), labels, n) }
	gradcheck.Check(t, gradcheck.Case{Name: "classifier", Params: m.Net.Params, Analytic: analytic, Loss: loss, Floor: 1e-2})
}
