// Package gradcheck compares analytic gradients with central finite
// differences: the one checker every package's gradient tests use.
package gradcheck

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Inputs returns n values uniform in [0, 1) drawn from r: digits' pixels
// (n rows of 784) for a check, away from the data's zeros and ones.
func Inputs(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.Float64())
	}
	return x
}

// Case is one set of parameters and the gradient a loss computed at them.
type Case struct {
	Name string
	// Params are perturbed in place, one entry at a time, and restored.
	Params []float32
	// Analytic is the gradient at Params: a copy, since Loss may overwrite
	// the gradient buffers it came from.
	Analytic []float32
	// Loss recomputes the loss from Params from scratch.
	Loss func() float64
	// Skip, if set, leaves out the entries it reports true for (a sample
	// of a large first layer, say).
	Skip func(i int) bool
	// Step is the difference's h (default 1e-2); Tol the largest relative
	// error allowed (default 2e-2).
	Step float32
	Tol  float64
	// The error is |numeric − analytic| over the largest of |numeric| +
	// |analytic|, Floor, and RelFloor × the largest |analytic|: float32
	// rounding of the loss blurs the differences of the smallest gradients.
	Floor, RelFloor float64
}

// Check reports an error on the first entry whose difference disagrees
// with its gradient, and logs the worst relative error over the entries
// checked; it returns that error and how many were checked.
func Check(t testing.TB, c Case) (worst float64, checked int) {
	t.Helper()
	if len(c.Analytic) != len(c.Params) {
		t.Fatalf("%s: %d gradients for %d parameters", c.Name, len(c.Analytic), len(c.Params))
	}
	h := c.Step
	if h == 0 {
		h = 1e-2
	}
	tol := c.Tol
	if tol == 0 {
		tol = 2e-2
	}
	floor := c.Floor
	for _, g := range c.Analytic {
		floor = max(floor, c.RelFloor*math.Abs(float64(g)))
	}
	for i := range c.Params {
		if c.Skip != nil && c.Skip(i) {
			continue
		}
		old := c.Params[i]
		c.Params[i] = old + h
		up := c.Loss()
		c.Params[i] = old - h
		down := c.Loss()
		c.Params[i] = old
		num := (up - down) / float64(2*h)
		ana := float64(c.Analytic[i])
		err := math.Abs(num-ana) / math.Max(floor, math.Abs(num)+math.Abs(ana))
		worst = max(worst, err)
		checked++
		if !(err <= tol) {
			t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (relative error %.2g)", c.Name, i, ana, num, err)
			return worst, checked
		}
	}
	t.Logf("%s: worst relative error %.2g over %d entries", c.Name, worst, checked)
	return worst, checked
}
