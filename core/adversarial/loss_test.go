package adversarial

import (
	"fmt"
	"math"
	"testing"

	"latentlab/core/gradcheck"
)

// TestLossGradients checks every loss's gradient with respect to the
// discriminator's output against central finite differences, for both
// targets, and its value against the formula it stands for.
func TestLossGradients(t *testing.T) {
	y := []float32{-3.5, -1, -0.2, 0, 0.3, 1.2, 2.5, 4}
	n := len(y)
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	// Per-example values, before the mean over the examples.
	formula := map[string]func(v, t float64) float64{
		"disc":          func(v, t float64) float64 { return -t*math.Log(sig(v)) - (1-t)*math.Log(1-sig(v)) },
		"disc lsgan":    func(v, t float64) float64 { return (v - t) * (v - t) },
		"minimax":       func(v, t float64) float64 { return t*math.Log(sig(v)) + (1-t)*math.Log(1-sig(v)) },
		"nonsaturating": func(v, t float64) float64 { return -(1-t)*math.Log(sig(v)) - t*math.Log(1-sig(v)) },
		"ml":            func(v, t float64) float64 { return -0.5 * math.Exp((1-2*t)*v) },
		"lsgan":         func(v, t float64) float64 { return (v - (1 - t)) * (v - (1 - t)) },
	}
	for _, k := range []Loss{Minimax, NonSaturating, ML, LSGAN} {
		for _, target := range []float32{0, 1} {
			for _, which := range []string{"disc", "gen"} {
				f := func(dy, y []float32) float64 {
					if which == "disc" {
						return k.Disc(dy, y, target, n)
					}
					return k.Gen(dy, y, target, n)
				}
				name := k.String()
				if which == "disc" {
					name = "disc"
					if k == LSGAN {
						name = "disc lsgan"
					}
				}
				var want float64
				for _, v := range y {
					want += formula[name](float64(v), float64(target)) / float64(n)
				}
				dy := make([]float32, n)
				got := f(dy, y)
				if math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
					t.Errorf("%s %s, target %v: loss %.7g, formula %.7g", k, which, target, got, want)
				}
				if nilGot := f(nil, y); nilGot != got {
					t.Errorf("%s %s: loss %v with dy, %v without", k, which, got, nilGot)
				}
				yy := append([]float32(nil), y...)
				gradcheck.Check(t, gradcheck.Case{Name: fmt.Sprintf("%s %s, target %v: ∂L/∂y", k, which, target), Params: yy, Analytic: dy,
					Loss: func() float64 { return f(nil, yy) }, Step: 1e-3, Tol: 5e-4, Floor: 1e-2})
			}
		}
	}
}

// TestParseLoss: every name parses to the loss that prints as it; others
// are an error.
func TestParseLoss(t *testing.T) {
	for _, name := range lossNames {
		k, err := ParseLoss(name)
		if err != nil || k.String() != name {
			t.Errorf("%s: %v, %v", name, k, err)
		}
	}
	if _, err := ParseLoss("wasserstein"); err == nil {
		t.Error("an unknown loss parsed")
	}
}
