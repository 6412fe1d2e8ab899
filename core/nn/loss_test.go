package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBCESigmoidBits: the σ that bce derives from its exponential is
// sigmoid's, bit for bit, so the loss's gradient did not change when the
// two shared one exponential.
func TestBCESigmoidBits(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 0.5, -0.5, 1, -1, 3.7, -3.7, 20, -20, 88, -88, 104, -104, float32(math.MaxFloat32), -float32(math.MaxFloat32)}
	r := rand.New(rand.NewPCG(7, 7))
	for range 10000 {
		vals = append(vals, float32(r.NormFloat64()*8))
	}
	for _, v := range vals {
		_, got := bce(v, 0)
		if want := sigmoid(v); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("bce's σ(%v) = %v, sigmoid %v", v, got, want)
		}
	}
}
