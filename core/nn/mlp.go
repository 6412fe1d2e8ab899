package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MLP is a stack of dense layers, Sizes[0] → Sizes[1] → … → Sizes[L], with
// the Hidden activation after every layer but the last and the Output
// activation after the last. It is PyTorch's
//
//	nn.Sequential(nn.Linear(s0, s1), Hidden, …, nn.Linear(sL-1, sL)[, Output])
//
// All weights and biases live in Params, their gradients in Grads (same
// layout), so an optimizer is one loop over two slices. Buffers for batches
// of up to MaxBatch examples are made once, in NewMLP.
type MLP struct {
	Sizes          []int
	Hidden, Output Activation
	MaxBatch       int

	Params, Grads []float32
	W, B, DW, DB  [][]float32 // per layer: views into Params and Grads

	x  []float32   // the last Forward's input (not owned)
	h  [][]float32 // per layer: post-activation outputs (MaxBatch, Sizes[l+1])
	d  [][]float32 // per layer: gradient with respect to h, then pre-activation
	dx []float32   // gradient with respect to the input (MaxBatch, Sizes[0])
}

// NewMLP builds an MLP with the given layer sizes (at least two) for batches
// of up to maxBatch examples. Its parameters are zero until Init.
func NewMLP(sizes []int, hidden, output Activation, maxBatch int) *MLP {
	if len(sizes) < 2 || maxBatch < 1 {
		panic("nn: NewMLP needs at least two sizes and a positive batch")
	}
	total := 0
	for l := 0; l+1 < len(sizes); l++ {
		if sizes[l] < 1 || sizes[l+1] < 1 {
			panic(fmt.Sprintf("nn: bad layer sizes %v", sizes))
		}
		total += sizes[l+1]*sizes[l] + sizes[l+1]
	}
	m := &MLP{
		Sizes:    append([]int(nil), sizes...),
		Hidden:   hidden,
		Output:   output,
		MaxBatch: maxBatch,
		Params:   make([]float32, total),
		Grads:    make([]float32, total),
		dx:       make([]float32, maxBatch*sizes[0]),
	}
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		m.W = append(m.W, m.Params[off:off+out*in:off+out*in])
		m.DW = append(m.DW, m.Grads[off:off+out*in:off+out*in])
		off += out * in
		m.B = append(m.B, m.Params[off:off+out:off+out])
		m.DB = append(m.DB, m.Grads[off:off+out:off+out])
		off += out
		m.h = append(m.h, make([]float32, maxBatch*out))
		m.d = append(m.d, make([]float32, maxBatch*out))
	}
	return m
}

// Layers returns the number of dense layers.
func (m *MLP) Layers() int { return len(m.W) }

// In and Out return the input and output widths.
func (m *MLP) In() int  { return m.Sizes[0] }
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// Init draws every weight and bias from U(−1/√in, 1/√in), PyTorch's default
// for nn.Linear, using r.
func (m *MLP) Init(r *rand.Rand) {
	for l := range m.W {
		bound := 1 / math.Sqrt(float64(m.Sizes[l]))
		for i := range m.W[l] {
			m.W[l][i] = float32((2*r.Float64() - 1) * bound)
		}
		for i := range m.B[l] {
			m.B[l][i] = float32((2*r.Float64() - 1) * bound)
		}
	}
}

// ZeroGrad clears the gradients.
func (m *MLP) ZeroGrad() { clear(m.Grads) }

// Forward runs the network on x (n, In) and returns its output (n, Out), a
// view of a buffer that the next Forward overwrites. Backward uses x, so x
// must not change in between.
func (m *MLP) Forward(x []float32, n int) []float32 {
	m.checkBatch(n)
	m.x = x[:n*m.In()]
	in := m.x
	last := len(m.W) - 1
	for l := range m.W {
		y := m.h[l][:n*m.Sizes[l+1]]
		LinearForward(y, in, m.W[l], m.B[l], n, m.Sizes[l], m.Sizes[l+1])
		if l < last {
			m.Hidden.Forward(y, y)
		} else {
			m.Output.Forward(y, y)
		}
		in = y
	}
	return in
}

// Infer runs the network in evaluation mode on x (n, In) and returns its
// output (n, Out), a view of the buffer Forward uses. Evaluation mode is
// what a trained network is used in (dropout off, batch normalisation on
// its running statistics); Backward must not follow Infer.
func (m *MLP) Infer(x []float32, n int) []float32 {
	return m.Forward(x, n)
}

// Backward takes dy = ∂L/∂output (n, Out) for the last Forward, adds the
// parameter gradients to Grads and returns ∂L/∂x (n, In), a view of a
// buffer that the next Backward overwrites. dy is not modified.
func (m *MLP) Backward(dy []float32, n int) []float32 {
	m.backward(dy, n, true)
	return m.dx[:n*m.In()]
}

// BackwardParams is Backward without ∂L/∂x, for a network whose input is
// data: it saves the first layer's input-gradient product.
func (m *MLP) BackwardParams(dy []float32, n int) {
	m.backward(dy, n, false)
}

func (m *MLP) backward(dy []float32, n int, wantDX bool) {
	m.checkBatch(n)
	last := len(m.W) - 1
	// y = act(x·wᵀ + b) for the last layer: dz = dy·act'(·)
	dz := m.d[last][:n*m.Out()]
	m.Output.Backward(dz, dy[:len(dz)], m.h[last][:len(dz)])
	for l := last; l >= 0; l-- {
		in, out := m.Sizes[l], m.Sizes[l+1]
		var x, dx []float32
		if l > 0 {
			x, dx = m.h[l-1][:n*in], m.d[l-1][:n*in]
		} else {
			x = m.x
			if wantDX {
				dx = m.dx[:n*in]
			}
		}
		LinearBackward(dx, m.DW[l], m.DB[l], dz, x, m.W[l], n, in, out)
		if l > 0 {
			// h = act(z) of the layer below: dz = dh·act'(z)
			m.Hidden.Backward(dx, dx, x)
		}
		dz = dx
	}
}

func (m *MLP) checkBatch(n int) {
	if n < 1 || n > m.MaxBatch {
		panic(fmt.Sprintf("nn: batch of %d outside 1..%d", n, m.MaxBatch))
	}
}
