package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSoftmaxGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	n, k := 4, 5
	x := randn(r, n*k, 2)
	c := randn(r, n*k, 1)
	y := make([]float32, n*k)
	loss := func() float64 { SoftmaxForward(y, x, k); return weighted(c, y) }
	loss()
	dx := make([]float32, n*k)
	SoftmaxBackward(dx, c, y, k)
	checkGrad(t, "softmax", x, dx, loss)

	// In place (dx = dy) gives the same gradient.
	loss() // checkGrad leaves y at a perturbed x
	SoftmaxBackward(dx, c, y, k)
	d := append([]float32(nil), c...)
	SoftmaxBackward(d, d, y, k)
	for i := range d {
		if d[i] != dx[i] {
			t.Fatalf("in-place backward differs at %d: %v, %v", i, d[i], dx[i])
		}
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	n, k := 6, 4
	l := randn(r, n*k, 3)
	targets := make([]uint8, n)
	for i := range targets {
		targets[i] = uint8(r.IntN(k))
	}
	dl := make([]float32, n*k)
	SoftmaxCrossEntropy(dl, l, targets, n)
	checkGrad(t, "xent", l, dl, func() float64 { return SoftmaxCrossEntropy(nil, l, targets, n) })
}

// TestSoftmaxValues: rows are distributions, the cross-entropy is −log of
// the target's probability averaged over rows, and huge logits neither
// overflow nor lose the answer.
func TestSoftmaxValues(t *testing.T) {
	l := []float32{1, 2, 3, 1000, -1000, 999, 0, 0, 0}
	targets := []uint8{2, 0, 1}
	p := make([]float32, len(l))
	SoftmaxForward(p, l, 3)
	for r := 0; r < 3; r++ {
		var s float64
		for _, v := range p[3*r : 3*r+3] {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("row %d: probability %v", r, v)
			}
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-6 {
			t.Errorf("row %d sums to %v", r, s)
		}
	}
	var want float64
	want += -math.Log(math.Exp(3) / (math.Exp(1) + math.Exp(2) + math.Exp(3)))
	want += -math.Log(1 / (1 + math.Exp(-1)))
	want += math.Log(3)
	want /= 3
	got := SoftmaxCrossEntropy(nil, l, targets, 3)
	if math.IsNaN(got) || math.Abs(got-want) > 1e-6 {
		t.Errorf("cross-entropy %v, want %v", got, want)
	}
	// The gradient of a row sums to zero.
	dl := make([]float32, len(l))
	SoftmaxCrossEntropy(dl, l, targets, 3)
	for r := 0; r < 3; r++ {
		s := dl[3*r] + dl[3*r+1] + dl[3*r+2]
		if math.Abs(float64(s)) > 1e-6 {
			t.Errorf("row %d: gradient sums to %v", r, s)
		}
	}
}
