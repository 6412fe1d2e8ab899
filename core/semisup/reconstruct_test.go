package semisup_test

import (
	"math"
	"testing"

	"latentlab/core/model"
	"latentlab/core/modeltest"
)

// TestReconstructUsesOwnClass: Session.Reconstruct draws each test digit
// from its own class and style, so the BCE of its output against the
// digits is the model's ReconLoss (up to float rounding of σ).
func TestReconstructUsesOwnClass(t *testing.T) {
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, small("semisupervised"), tr, te)
	for range 20 {
		s.Step()
	}
	const n = 30
	x := make([]float32, n*model.Pixels)
	xhat := make([]float32, n*model.Pixels)
	s.Reconstruct(x, xhat, n)
	var bce float64
	for i, p := range xhat {
		q := math.Min(math.Max(float64(p), 1e-7), 1-1e-7)
		bce -= float64(x[i])*math.Log(q) + (1-float64(x[i]))*math.Log(1-q)
	}
	sum, k := s.TestLoss(0, n)
	t.Logf("BCE of the reconstructions %.3f, ReconLoss %.3f nats per digit", bce/n, sum/float64(k))
	if math.Abs(bce-sum) > 1e-3*sum {
		t.Errorf("reconstructions give %.4f nats, ReconLoss %.4f", bce/n, sum/float64(k))
	}
}
