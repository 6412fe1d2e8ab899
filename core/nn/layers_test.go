package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// newBN returns a batch norm over f features for batches of up to n, with
// γ and β drawn at random, and its parameter and gradient slices.
func newBN(r *rand.Rand, n, f int) *BatchNorm {
	p, g := make([]float32, 2*f), make([]float32, 2*f)
	bn := newBatchNorm(p[:f], p[f:], g[:f], g[f:], n)
	copy(p, randn(r, 2*f, 1))
	return bn
}

func TestBatchNormGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, s := range []struct{ n, f int }{{2, 3}, {5, 4}, {17, 2}, {64, 1}} {
		bn := newBN(r, s.n, s.f)
		x := randn(r, s.n*s.f, 3)
		for i := range x { // features of different offsets
			x[i] += float32(i % s.f)
		}
		c := randn(r, s.n*s.f, 1)
		y := make([]float32, len(x))
		loss := func() float64 { bn.Forward(y, x, s.n); return weighted(c, y) }
		loss()
		dx := make([]float32, len(x))
		bn.Backward(dx, c, s.n)
		checkGrad(t, "BN x", x, dx, loss)
		checkGrad(t, "BN gamma", bn.Gamma, bn.DGamma, loss)
		checkGrad(t, "BN beta", bn.Beta, bn.DBeta, loss)
		// In place, dx = dy, gives the same.
		bn.Forward(y, x, s.n)
		dy := slices.Clone(c)
		bn.Backward(dy, dy, s.n)
		if !slices.Equal(dy, dx) {
			t.Errorf("n %d f %d: Backward in place differs", s.n, s.f)
		}
	}
}

// TestBatchNormBatchOfOne: a training batch of one is degenerate (PyTorch
// refuses it); y = β, ∂y/∂x = 0, ∂L/∂γ = 0, and the running statistics
// stay as they are.
func TestBatchNormBatchOfOne(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	f := 5
	bn := newBN(r, 4, f)
	copy(bn.RunningMean, []float32{1, 2, 3, 4, 5})
	x, c := randn(r, f, 2), randn(r, f, 1)
	y, dx := make([]float32, f), make([]float32, f)
	bn.Forward(y, x, 1)
	bn.Backward(dx, c, 1)
	for j := range f {
		if y[j] != bn.Beta[j] || dx[j] != 0 || bn.DGamma[j] != 0 || bn.DBeta[j] != c[j] {
			t.Errorf("feature %d: y %v (β %v), dx %v, dγ %v, dβ %v (dy %v)", j, y[j], bn.Beta[j], dx[j], bn.DGamma[j], bn.DBeta[j], c[j])
		}
		if bn.RunningMean[j] != float32(j+1) || bn.RunningVar[j] != 1 {
			t.Errorf("feature %d: running statistics moved to %v, %v", j, bn.RunningMean[j], bn.RunningVar[j])
		}
	}
	if bn.Tracked[0] != 0 {
		t.Errorf("a batch of one was tracked")
	}
}

// TestBatchNormRunningStats checks the statistics against values worked
// out by hand, as torch.nn.BatchNorm1d(2) gives them.
func TestBatchNormRunningStats(t *testing.T) {
	bn := newBatchNorm([]float32{2, 1}, []float32{0.5, 0}, make([]float32, 2), make([]float32, 2), 3)
	bn.Gamma[0], bn.Gamma[1], bn.Beta[0] = 2, 1, 0.5 // newBatchNorm reset them
	x := []float32{1, 2, 3, 6, 5, 10}                // mean (3, 6); biased var (8/3, 32/3); unbiased (4, 16)
	y := make([]float32, 6)
	bn.Forward(y, x, 3)
	near := func(what string, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 1e-6*(1+math.Abs(want)) {
			t.Errorf("%s = %.8g, want %.8g", what, got, want)
		}
	}
	near("y[0][0]", y[0], 2*(1-3)/math.Sqrt(8.0/3+1e-5)+0.5)
	near("y[2][1]", y[5], (10-6)/math.Sqrt(32.0/3+1e-5))
	near("running_mean[0]", bn.RunningMean[0], 0.3)
	near("running_mean[1]", bn.RunningMean[1], 0.6)
	near("running_var[0]", bn.RunningVar[0], 0.9+0.1*4)
	near("running_var[1]", bn.RunningVar[1], 0.9+0.1*16)
	bn.Forward(y, x, 3)
	near("running_mean[0] after 2", bn.RunningMean[0], 0.9*0.3+0.3)
	near("running_var[1] after 2", bn.RunningVar[1], 0.9*2.5+1.6)
	if bn.Tracked[0] != 2 {
		t.Errorf("num_batches_tracked %d, want 2", bn.Tracked[0])
	}
	// Evaluation: the running statistics, whatever the batch.
	saved := slices.Concat(bn.RunningMean, bn.RunningVar)
	bn.Infer(y, x, 3)
	near("Infer y[1][0]", y[2], 2*(3-0.57)/math.Sqrt(0.9*1.3+0.4+1e-5)+0.5)
	near("Infer y[0][1]", y[1], (2-1.14)/math.Sqrt(3.85+1e-5))
	bn.Infer(y[:2], x[4:], 1)
	near("Infer batch of one", y[1], (10-1.14)/math.Sqrt(3.85+1e-5))
	if bn.Tracked[0] != 2 || !slices.Equal(saved, slices.Concat(bn.RunningMean, bn.RunningVar)) {
		t.Errorf("Infer changed the running statistics")
	}
}

func TestDropoutMask(t *testing.T) {
	for _, p := range []float64{0, 0.25, 0.5, 0.9} {
		mask := make([]float32, 20001) // odd: the last draw is used alone
		DropoutMask(mask, p, rand.New(rand.NewPCG(8, 8)))
		dropped := 0
		for _, v := range mask {
			switch v {
			case 0:
				dropped++
			case float32(1 / (1 - p)):
			default:
				t.Fatalf("p %v: mask value %v", p, v)
			}
		}
		// Binomial: 5 standard deviations.
		frac, sd := float64(dropped)/float64(len(mask)), math.Sqrt(p*(1-p)/float64(len(mask)))
		t.Logf("p %v: dropped %.4f", p, frac)
		if math.Abs(frac-p) > 5*sd+1e-9 {
			t.Errorf("p %v: dropped a fraction %.4f", p, frac)
		}
		again := make([]float32, len(mask))
		DropoutMask(again, p, rand.New(rand.NewPCG(8, 8)))
		if !slices.Equal(again, mask) {
			t.Errorf("p %v: the same seed gives another mask", p)
		}
	}
}

// layered returns an MLP 5-7-6-3 with batch norm and dropout 0.3 (masks
// from pcg), initialised from seed, its batch norms' γ and β perturbed.
func layered(hidden Activation, pcg *rand.PCG, bn bool, p float64, seed uint64) *MLP {
	m := NewMLPOpts([]int{5, 7, 6, 3}, hidden, Sigmoid, 8, LayerOpts{Dropout: p, BatchNorm: bn, Rand: rand.New(pcg)})
	r := rand.New(rand.NewPCG(seed, seed))
	m.Init(r)
	for _, b := range m.BN {
		for j := range b.Gamma {
			b.Gamma[j] += float32(0.3 * r.NormFloat64())
			b.Beta[j] += float32(0.3 * r.NormFloat64())
		}
	}
	return m
}

// TestMLPLayersGradients checks the MLP's gradients with batch norm and
// dropout (the mask held fixed by reseeding before each Forward), for
// every hidden activation and several batch sizes.
func TestMLPLayersGradients(t *testing.T) {
	for _, hidden := range []Activation{ReLU, LeakyReLU, Sigmoid, Tanh} {
		for _, n := range []int{2, 8} {
			for _, opt := range []struct {
				bn bool
				p  float64
			}{{true, 0}, {false, 0.3}, {true, 0.3}} {
				pcg := rand.NewPCG(9, 9)
				m := layered(hidden, pcg, opt.bn, opt.p, 4)
				r := rand.New(rand.NewPCG(10, 10))
				x := randn(r, n*5, 1)
				tgt := make([]float32, n*3)
				for i := range tgt {
					tgt[i] = float32(r.IntN(2))
				}
				forward := func() []float32 { pcg.Seed(9, 9); return m.Forward(x, n) }
				loss := func() float64 { return MSE(nil, forward(), tgt, n) }
				dy := make([]float32, n*3)
				MSE(dy, forward(), tgt, n)
				m.ZeroGrad()
				dx := slices.Clone(m.Backward(dy, n))
				grads := slices.Clone(m.Grads)
				name := fmt.Sprintf("%v n=%d", hidden, n)
				if opt.bn {
					name += " bn"
				}
				if opt.p > 0 {
					name += " dropout"
				}
				// Batch norm on a few examples curves sharply: a step of
				// 1e-2 is off by up to 10% where 1e-3 agrees to 0.2%.
				checkGradStep(t, name+" params", m.Params, grads, loss, 1e-3)
				checkGradStep(t, name+" input", x, dx, loss, 1e-3)
			}
		}
	}
}

// TestMLPInfer: Infer is the evaluation mode. With dropout it is the
// network without dropout, and draws no mask; with batch norm it uses the
// running statistics and changes none; Forward differs from it.
func TestMLPInfer(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	n := 6
	x := randn(r, n*5, 1)

	pcg := rand.NewPCG(12, 12)
	drop := layered(ReLU, pcg, false, 0.5, 3)
	plain := layered(ReLU, rand.NewPCG(1, 1), false, 0, 3)
	want := slices.Clone(plain.Forward(x, n))
	before := *pcg
	if got := drop.Infer(x, n); !slices.Equal(got, want) {
		t.Errorf("Infer with dropout differs from the network without it")
	}
	if *pcg != before {
		t.Errorf("Infer drew dropout masks")
	}
	if got := drop.Forward(x, n); slices.Equal(got, want) {
		t.Errorf("Forward with dropout 0.5 gives the network without dropout")
	}

	bn := layered(ReLU, rand.NewPCG(1, 1), true, 0, 3)
	for range 3 {
		bn.Forward(randn(r, n*5, 2), n)
	}
	stats := func() []float32 {
		var s []float32
		for _, b := range bn.BN {
			s = append(append(s, b.RunningMean...), b.RunningVar...)
		}
		return s
	}
	saved := stats()
	inferred := slices.Clone(bn.Infer(x, n))
	if !slices.Equal(stats(), saved) || bn.BN[0].Tracked[0] != 3 {
		t.Errorf("Infer changed the running statistics")
	}
	// By hand: the same network with each batch norm folded into an affine map.
	h := slices.Clone(x)
	for l := range bn.W {
		in, out := bn.Sizes[l], bn.Sizes[l+1]
		y := make([]float32, n*out)
		LinearForward(y, h, bn.W[l], bn.B[l], n, in, out)
		if l < len(bn.BN) {
			b := bn.BN[l]
			for i := range y {
				j := i % out
				y[i] = float32(float64(b.Gamma[j])*(float64(y[i])-float64(b.RunningMean[j]))/math.Sqrt(float64(b.RunningVar[j])+BNEps)) + b.Beta[j]
			}
			bn.Hidden.Forward(y, y)
		} else {
			bn.Output.Forward(y, y)
		}
		h = y
	}
	for i := range h {
		if math.Abs(float64(h[i]-inferred[i])) > 1e-5 {
			t.Fatalf("Infer output %d = %v, by hand %v", i, inferred[i], h[i])
		}
	}
	if got := bn.Forward(x, n); slices.Equal(got, inferred) {
		t.Errorf("Forward with batch norm gives Infer's output")
	}
	if bn.BN[0].Tracked[0] != 4 {
		t.Errorf("num_batches_tracked %d after 4 Forwards", bn.BN[0].Tracked[0])
	}
}

// TestMLPLayersDeterministic: the same seeds give the same training run,
// bit for bit, with batch norm and dropout.
func TestMLPLayersDeterministic(t *testing.T) {
	run := func() []float32 {
		m := layered(Tanh, rand.NewPCG(13, 13), true, 0.4, 5)
		r := rand.New(rand.NewPCG(14, 14))
		n := 8
		var out []float32
		for range 5 {
			x, dy := randn(r, n*5, 1), randn(r, n*3, 1)
			m.Forward(x, n)
			m.ZeroGrad()
			m.Backward(dy, n)
			for i := range m.Params {
				m.Params[i] -= 0.1 * m.Grads[i]
			}
			out = append(out, m.Infer(x, n)...)
		}
		for _, b := range m.BN {
			out = append(append(out, b.RunningMean...), b.RunningVar...)
		}
		return out
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Errorf("two runs from the same seeds differ")
	}
}

func TestMLPLayersLayoutAndAllocs(t *testing.T) {
	m := NewMLPOpts([]int{784, 16, 8, 2}, ReLU, Identity, 10, LayerOpts{Dropout: 0.25, BatchNorm: true, Rand: rand.New(rand.NewPCG(1, 1))})
	if want := 16*784 + 16 + 2*16 + 8*16 + 8 + 2*8 + 2*8 + 2; len(m.Params) != want || len(m.Grads) != want {
		t.Fatalf("%d params, want %d", len(m.Params), want)
	}
	if len(m.BN) != 2 || m.BN[1].Features != 8 {
		t.Fatalf("%d batch norms", len(m.BN))
	}
	// Order: w0, b0, γ0, β0, w1, b1, γ1, β1, w2, b2.
	m.BN[0].Beta[0], m.W[1][0], m.BN[1].Gamma[0] = 5, 6, 7
	if m.Params[16*784+16+16] != 5 || m.Params[16*784+16+32] != 6 || m.Params[16*784+16+32+8*16+8] != 7 {
		t.Fatal("batch norm parameters are not views of Params after their layer's bias")
	}
	m.BN[1].DBeta[7] = 8
	if m.Grads[16*784+16+32+8*16+8+15] != 8 {
		t.Fatal("batch norm gradients are not views of Grads")
	}
	if m.BN[0].Gamma[1] != 1 || m.BN[0].RunningVar[3] != 1 || m.BN[0].RunningMean[3] != 0 {
		t.Fatal("a new batch norm is not γ = 1, β = 0, mean 0, variance 1")
	}
	x := make([]float32, 10*784)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	dy := make([]float32, 10*2)
	if a := testing.AllocsPerRun(5, func() {
		m.Forward(x, 10)
		m.Backward(dy, 10)
		m.Forward(x, 7)
		m.BackwardParams(dy, 7)
		m.Infer(x, 10)
	}); a != 0 {
		t.Errorf("Forward+Backward+Infer with batch norm and dropout allocate %v times", a)
	}
}

func TestNewMLPOptsPanics(t *testing.T) {
	for _, opts := range []LayerOpts{{Dropout: 0.5}, {Dropout: 1, Rand: rand.New(rand.NewPCG(1, 1))}, {Dropout: -0.1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewMLPOpts(%+v) did not panic", opts)
				}
			}()
			NewMLPOpts([]int{2, 2, 2}, ReLU, Identity, 1, opts)
		}()
	}
}

// TestReLUMatchesScalar: the ReLU the build runs (vector lanes in wasm)
// gives the scalar loop's bits, NaN, ±0 and tails included.
func TestReLUMatchesScalar(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	for _, n := range []int{1, 3, 4, 9, 1001} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range n {
			x[i] = []float32{1.5, -2, 0, negZero, nan, 3e-39, -3e-39}[i%7]
			dy[i] = float32(i) - 4.5
		}
		y, y2 := make([]float32, n), make([]float32, n)
		ReLUForward(y, x)
		reluForwardScalar(y2, x)
		dx, dx2 := make([]float32, n), make([]float32, n)
		ReLUBackward(dx, dy, y)
		reluBackwardScalar(dx2, dy, y2)
		for i := range n {
			if math.Float32bits(y[i]) != math.Float32bits(y2[i]) || math.Float32bits(dx[i]) != math.Float32bits(dx2[i]) {
				t.Fatalf("n=%d [%d] x=%v: forward %v (scalar %v), backward %v (scalar %v)", n, i, x[i], y[i], y2[i], dx[i], dx2[i])
			}
		}
	}
}
