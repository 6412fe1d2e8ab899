package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/gradcheck"
)

// checkGrad compares analytic gradients with central finite differences of
// f over each element of p. f must recompute the loss from scratch.
func checkGrad(t *testing.T, name string, p, analytic []float32, f func() float64) {
	t.Helper()
	checkGradStep(t, name, p, analytic, f, 1e-2)
}

// checkGradStep is checkGrad with differences of step h, for functions
// whose curvature makes 1e-2 too coarse (batch norm on small batches).
func checkGradStep(t *testing.T, name string, p, analytic []float32, f func() float64, h float32) {
	t.Helper()
	gradcheck.Check(t, gradcheck.Case{Name: name, Params: p, Analytic: analytic, Loss: f, Step: h, Floor: 1e-2})
}

func randn(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// weighted returns Σ c·y in float64: a loss whose gradient wrt y is c.
func weighted(c, y []float32) float64 {
	var s float64
	for i := range y {
		s += float64(c[i]) * float64(y[i])
	}
	return s
}

func TestActivationGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, a := range []Activation{Identity, ReLU, LeakyReLU, Sigmoid, Tanh} {
		x := randn(r, 40, 2)
		for i := range x { // keep clear of the kinks of ReLU and LeakyReLU
			if math.Abs(float64(x[i])) < 0.05 {
				x[i] = 0.3
			}
		}
		c := randn(r, 40, 1)
		y := make([]float32, len(x))
		loss := func() float64 { a.Forward(y, x); return weighted(c, y) }
		loss()
		dx := make([]float32, len(x))
		a.Backward(dx, c, y)
		checkGrad(t, a.String(), x, dx, loss)
	}
}

func TestLinearGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	n, in, out := 3, 5, 4
	x, w, b := randn(r, n*in, 1), randn(r, out*in, 1), randn(r, out, 1)
	c := randn(r, n*out, 1)
	y := make([]float32, n*out)
	loss := func() float64 { LinearForward(y, x, w, b, n, in, out); return weighted(c, y) }
	dx, dw, db := make([]float32, n*in), make([]float32, out*in), make([]float32, out)
	LinearBackward(dx, dw, db, c, x, w, n, in, out)
	checkGrad(t, "x", x, dx, loss)
	checkGrad(t, "w", w, dw, loss)
	checkGrad(t, "b", b, db, loss)
	// Backward accumulates into dw and db.
	dw2, db2 := append([]float32(nil), dw...), append([]float32(nil), db...)
	LinearBackward(nil, dw2, db2, c, x, w, n, in, out)
	for i := range dw {
		if math.Abs(float64(dw2[i]-2*dw[i])) > 1e-5 {
			t.Fatalf("dw does not accumulate: %v then %v", dw[i], dw2[i])
		}
	}
}

func TestLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	n, d := 4, 6
	l := randn(r, n*d, 3)
	tgt := make([]float32, n*d)
	for i := range tgt {
		tgt[i] = float32(r.Float64())
	}
	dl := make([]float32, n*d)
	BCEWithLogits(dl, l, tgt, n)
	checkGrad(t, "BCEWithLogits", l, dl, func() float64 { return BCEWithLogits(nil, l, tgt, n) })
	for _, c := range []float32{0, 1} {
		BCEWithLogitsConst(dl, l, c, n)
		checkGrad(t, "BCEWithLogitsConst", l, dl, func() float64 { return BCEWithLogitsConst(nil, l, c, n) })
	}
	MSE(dl, l, tgt, n)
	checkGrad(t, "MSE", l, dl, func() float64 { return MSE(nil, l, tgt, n) })
}

func TestBCEValues(t *testing.T) {
	// −log σ(l) for t=1 and −log(1−σ(l)) for t=0, at moderate and extreme logits.
	for _, tc := range []struct {
		l, t float32
		want float64
	}{
		{0, 1, math.Ln2}, {0, 0, math.Ln2},
		{2, 1, math.Log1p(math.Exp(-2))}, {2, 0, 2 + math.Log1p(math.Exp(-2))},
		{-100, 1, 100}, {100, 0, 100}, {100, 1, 0}, {-100, 0, 0},
	} {
		got := BCEWithLogits(nil, []float32{tc.l}, []float32{tc.t}, 1)
		if math.IsNaN(got) || math.Abs(got-tc.want) > 1e-6*(1+tc.want) {
			t.Errorf("BCE(l=%v, t=%v) = %v, want %v", tc.l, tc.t, got, tc.want)
		}
	}
	// Summed over features, averaged over examples.
	got := BCEWithLogits(nil, []float32{0, 0, 0, 0}, []float32{1, 1, 1, 1}, 2)
	if math.Abs(got-2*math.Ln2) > 1e-9 {
		t.Errorf("two examples of two features: %v, want 2·ln 2", got)
	}
}

func TestMLPGradients(t *testing.T) {
	for _, hidden := range []Activation{ReLU, LeakyReLU, Sigmoid, Tanh} {
		r := rand.New(rand.NewPCG(4, 4))
		n := 3
		m := NewMLP([]int{5, 7, 6, 3}, hidden, Sigmoid, 4)
		m.Init(r)
		x := randn(r, n*5, 1)
		tgt := make([]float32, n*3)
		for i := range tgt {
			tgt[i] = float32(r.IntN(2))
		}
		loss := func() float64 { return MSE(nil, m.Forward(x, n), tgt, n) }
		dy := make([]float32, n*3)
		MSE(dy, m.Forward(x, n), tgt, n)
		m.ZeroGrad()
		dx := append([]float32(nil), m.Backward(dy, n)...)
		grads := append([]float32(nil), m.Grads...)
		checkGrad(t, hidden.String()+" params", m.Params, grads, loss)
		checkGrad(t, hidden.String()+" input", x, dx, loss)
	}
}

func TestMLPLayoutAndAllocs(t *testing.T) {
	m := NewMLP([]int{784, 16, 2}, ReLU, Identity, 10)
	if want := 16*784 + 16 + 2*16 + 2; len(m.Params) != want {
		t.Fatalf("%d params, want %d", len(m.Params), want)
	}
	// Views alias the flat slice in PyTorch order: w0, b0, w1, b1.
	m.W[1][0] = 7
	if m.Params[16*784+16] != 7 {
		t.Fatal("W[1] is not a view of Params after W[0], B[0]")
	}
	x := make([]float32, 10*784)
	dy := make([]float32, 10*2)
	if a := testing.AllocsPerRun(5, func() { m.Forward(x, 10); m.Backward(dy, 10) }); a != 0 {
		t.Errorf("Forward+Backward allocate %v times", a)
	}
}

func TestParseActivation(t *testing.T) {
	for _, a := range []Activation{Identity, ReLU, LeakyReLU, Sigmoid, Tanh} {
		if b, err := ParseActivation(a.String()); err != nil || b != a {
			t.Errorf("round trip of %v: %v, %v", a, b, err)
		}
	}
	if _, err := ParseActivation("swish"); err == nil {
		t.Error("no error for an unknown activation")
	}
}

func TestBackwardParamsMatchesBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	m := NewMLP([]int{6, 5, 3}, ReLU, Identity, 4)
	m.Init(r)
	x, dy := randn(r, 4*6, 1), randn(r, 4*3, 1)
	m.Forward(x, 4)
	m.ZeroGrad()
	m.Backward(dy, 4)
	want := append([]float32(nil), m.Grads...)
	m.ZeroGrad()
	m.BackwardParams(dy, 4)
	for i := range want {
		if m.Grads[i] != want[i] {
			t.Fatalf("grad %d: %v with BackwardParams, %v with Backward", i, m.Grads[i], want[i])
		}
	}
}
