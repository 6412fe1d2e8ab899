package optim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func near(t *testing.T, what string, got, want float32) {
	t.Helper()
	if math.Abs(float64(got-want)) > 1e-6*(1+math.Abs(float64(want))) {
		t.Errorf("%s = %.8g, want %.8g", what, got, want)
	}
}

func TestSGDMomentum(t *testing.T) {
	// lr 0.1, μ 0.9, g = 1 then 2: b = 1, p = 1 − 0.1 = 0.9; b = 0.9 + 2 = 2.9, p = 0.9 − 0.29 = 0.61.
	s := NewSGD(1, 0.1, 0.9)
	p := []float32{1}
	s.Step(p, []float32{1})
	near(t, "p after step 1", p[0], 0.9)
	s.Step(p, []float32{2})
	near(t, "p after step 2", p[0], 0.61)
}

func TestAdam(t *testing.T) {
	// Step 1 with any gradient g moves p by lr·sign(g) (up to ε): m̂ = g, v̂ = g².
	a := NewAdam(2, 0.01, 0.9, 0.999, 1e-8)
	p := []float32{1, -1}
	a.Step(p, []float32{0.5, -3})
	near(t, "p[0] after step 1", p[0], 1-0.01)
	near(t, "p[1] after step 1", p[1], -1+0.01)
	// Step 2 with g = 0.5 then 1.5 (by hand):
	// m = 0.9·0.05 + 0.1·1.5 = 0.195; v = 0.999·0.00025 + 0.001·2.25 = 0.00249975
	// m̂ = 0.195/0.19 = 1.0263158; v̂ = 0.00249975/0.001999 = 1.2505002
	// p = 0.99 − 0.01·1.0263158/(√1.2505002 + 1e-8) = 0.99 − 0.0091778 = 0.9808222
	a.Step(p, []float32{1.5, 0})
	near(t, "p[0] after step 2", p[0], 0.9808222)
}

func TestAdamZeroGradientKeepsParams(t *testing.T) {
	a := NewAdam(3, 0.1, 0.9, 0.999, 1e-8)
	p := []float32{1, 2, 3}
	a.Step(p, make([]float32, 3))
	for i, v := range []float32{1, 2, 3} {
		near(t, "p", p[i], v)
	}
}

func TestSizeMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for mismatched sizes")
		}
	}()
	NewAdam(3, 0.1, 0.9, 0.999, 1e-8).Step(make([]float32, 2), make([]float32, 2))
}

// TestPartsMatchStep: three copies of an optimizer, each stepping one part
// of the same parameters (as three data-parallel replicas do before they
// gather the parts), give the bits that one optimizer stepping all of them
// gives, over several steps; a part may be empty.
func TestPartsMatchStep(t *testing.T) {
	const n = 1001
	news := map[string]func() Optimizer{
		"adam": func() Optimizer { return NewAdam(n, 1e-2, 0.9, 0.999, 1e-8) },
		"sgd":  func() Optimizer { return NewSGD(n, 0.1, 0.9) },
	}
	for name, make1 := range news {
		whole, parts := make1(), []Optimizer{make1(), make1(), make1()}
		bounds := []int{0, 400, 400, n} // parts [0,400), [400,400), [400,1001)
		p, q, g := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			p[i] = float32(math.Sin(float64(i)))
			q[i] = p[i]
		}
		for step := range 4 {
			for i := range g {
				g[i] = float32(math.Cos(float64(i*(step+3)))) * float32(step+1)
			}
			whole.Step(p, g)
			for k, o := range parts {
				o.StepPart(q, g, bounds[k], bounds[k+1])
			}
			for i := range p {
				if p[i] != q[i] {
					t.Fatalf("%s step %d: parameter %d is %v in parts, %v whole", name, step, i, q[i], p[i])
				}
			}
		}
	}
}

func TestPartOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a part beyond the parameters")
		}
	}()
	NewAdam(3, 0.1, 0.9, 0.999, 1e-8).StepPart(make([]float32, 3), make([]float32, 3), 2, 4)
}

func TestStepAllocatesNothing(t *testing.T) {
	p, g := make([]float32, 100), make([]float32, 100)
	for _, o := range []Optimizer{NewAdam(100, 1e-3, 0.9, 0.999, 1e-8), NewSGD(100, 0.01, 0.9)} {
		if a := testing.AllocsPerRun(10, func() { o.Step(p, g) }); a != 0 {
			t.Errorf("%T.Step allocates %v times", o, a)
		}
	}
}

// BenchmarkAdam measures one Adam step over a million parameters (the
// paper model's encoder has 1.8 M): ns/param is what every replica pays
// per update whatever its share of the batch.
func BenchmarkAdam(b *testing.B) {
	const n = 1 << 20
	p, g := make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i%7) - 3
	}
	a := NewAdam(n, 1e-3, 0.5, 0.999, 1e-8)
	b.ResetTimer()
	for b.Loop() {
		a.Step(p, g)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
}

// TestAdamUpdateIsScalar: the vector update (where the build has one)
// gives the scalar loop's bits, tails and all.
func TestAdamUpdateIsScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 4, 7, 1003} {
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			p[i], g[i], m[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())*0.1
			v[i] = float32(r.Float64()) * 0.01
		}
		c := adamCoef{0.5, 0.999, 0.5, 0.001, 1e-8, 0.003, 1.7}
		p2, m2, v2 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		adamUpdate(p, g, m, v, c)
		adamScalar(p2, g, m2, v2, c)
		for i := range n {
			if p[i] != p2[i] || m[i] != m2[i] || v[i] != v2[i] {
				t.Fatalf("n=%d [%d]: vector p,m,v %v %v %v, scalar %v %v %v", n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
		}
	}
}
