// Package optim holds the optimizers, in order of increasing complexity:
// SGD with momentum, then Adam. Each updates one flat parameter slice from
// its gradient slice of the same layout, keeping its state in slices made
// once, in its constructor. Hyperparameters follow PyTorch's definitions.
package optim

import (
	"fmt"
	"math"
)

// Optimizer updates params in place from grads.
type Optimizer interface {
	Step(params, grads []float32)
	// StepPart is one step that updates params[lo:hi] only, from
	// grads[lo:hi], exactly as Step would: a data-parallel replica updates
	// its part of the parameters and the replicas exchange the parts
	// (parallel.Shard). The state of the other parameters does not move.
	StepPart(params, grads []float32, lo, hi int)
	// SetLR changes the learning rate.
	SetLR(lr float32)
	// State returns what the optimizer carries from step to step, for a
	// checkpoint to save and restore: its per-parameter slots, aliasing
	// its own slices and named as PyTorch names them, and its step count
	// (nil for an optimizer that keeps none).
	State() (slots []Slot, steps *int)
}

// Slot is a named slice of an optimizer's state, one value per parameter.
type Slot struct {
	Name string
	Data []float32
}

// SGD is stochastic gradient descent with momentum μ, as torch.optim.SGD:
//
//	b ← μ·b + g;  p ← p − lr·b
type SGD struct {
	LR, Momentum float32
	buf          []float32
}

// NewSGD returns SGD for size parameters.
func NewSGD(size int, lr, momentum float32) *SGD {
	return &SGD{LR: lr, Momentum: momentum, buf: make([]float32, size)}
}

// SetLR sets the learning rate.
func (s *SGD) SetLR(lr float32) { s.LR = lr }

// State returns the momentum buffer.
func (s *SGD) State() ([]Slot, *int) { return []Slot{{"momentum_buffer", s.buf}}, nil }

// Step applies one update.
func (s *SGD) Step(params, grads []float32) { s.StepPart(params, grads, 0, len(s.buf)) }

// StepPart applies one update to params[lo:hi].
func (s *SGD) StepPart(params, grads []float32, lo, hi int) {
	check(params, grads, len(s.buf), lo, hi)
	b := s.buf[lo:hi]
	g, params := grads[lo:hi][:len(b)], params[lo:hi][:len(b)]
	mom, lr := s.Momentum, s.LR
	for i := range b {
		bi := mom*b[i] + g[i]
		b[i] = bi
		params[i] -= lr * bi
	}
}

// Adam is the optimizer of Kingma and Ba (2015), as torch.optim.Adam:
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε)
type Adam struct {
	LR, Beta1, Beta2, Eps float32
	m, v                  []float32
	t                     int
}

// NewAdam returns Adam for size parameters.
func NewAdam(size int, lr, beta1, beta2, eps float32) *Adam {
	return &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, m: make([]float32, size), v: make([]float32, size)}
}

// SetLR sets the learning rate.
func (a *Adam) SetLR(lr float32) { a.LR = lr }

// State returns the moments and the step count.
func (a *Adam) State() ([]Slot, *int) {
	return []Slot{{"exp_avg", a.m}, {"exp_avg_sq", a.v}}, &a.t
}

// Step applies one update.
func (a *Adam) Step(params, grads []float32) { a.StepPart(params, grads, 0, len(a.m)) }

// StepPart applies one update to params[lo:hi]; the step count t, which
// the bias corrections use, counts it as a step.
func (a *Adam) StepPart(params, grads []float32, lo, hi int) {
	check(params, grads, len(a.m), lo, hi)
	a.t++
	bc1 := 1 - math.Pow(float64(a.Beta1), float64(a.t))
	bc2 := 1 - math.Pow(float64(a.Beta2), float64(a.t))
	step := float32(float64(a.LR) / bc1)
	invSqrtBC2 := float32(1 / math.Sqrt(bc2))
	b1, b2, a1, a2, eps := a.Beta1, a.Beta2, 1-a.Beta1, 1-a.Beta2, a.Eps
	adamUpdate(params[lo:hi], grads[lo:hi], a.m[lo:hi], a.v[lo:hi], adamCoef{b1, b2, a1, a2, eps, step, invSqrtBC2})
}

// adamCoef are the constants of one Adam update.
type adamCoef struct{ b1, b2, a1, a2, eps, step, invSqrtBC2 float32 }

// adamScalar applies one Adam update elementwise; adamUpdate
// (adam_*.go) runs it on vectors where the build has them, with the same
// operations in the same order, so the same bits.
func adamScalar(params, g, m, v []float32, c adamCoef) {
	m = m[:len(g)]
	v = v[:len(g)]
	params = params[:len(g)]
	// The moments go through locals: reading m[i] and v[i] back after
	// storing them made the loop several times slower (BENCHMARKS.md); the
	// arithmetic, and so every bit of the result, is the same.
	for i := range g {
		gi := g[i]
		mi := c.b1*m[i] + c.a1*gi
		vi := c.b2*v[i] + c.a2*gi*gi
		m[i], v[i] = mi, vi
		params[i] -= c.step * mi / (sqrt32(vi)*c.invSqrtBC2 + c.eps)
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func check(params, grads []float32, size, lo, hi int) {
	if len(params) != size || len(grads) != size {
		panic(fmt.Sprintf("optim: %d params and %d grads for an optimizer of %d", len(params), len(grads), size))
	}
	if lo < 0 || lo > hi || hi > size {
		panic(fmt.Sprintf("optim: part [%d, %d) of %d parameters", lo, hi, size))
	}
}
