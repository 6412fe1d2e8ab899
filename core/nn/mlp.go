package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MLP is a stack of dense layers, Sizes[0] → Sizes[1] → … → Sizes[L], with
// the Hidden activation after every layer but the last and the Output
// activation after the last, and optionally (Opts) batch normalisation
// before and dropout after each hidden activation. It is PyTorch's
//
//	nn.Sequential(nn.Linear(s0, s1), [nn.BatchNorm1d(s1),] Hidden, [nn.Dropout(p),]
//	              …, nn.Linear(sL-1, sL)[, Output])
//
// All weights and biases (and batch norms' γ and β) live in Params, their
// gradients in Grads (same layout), so an optimizer is one loop over two
// slices. Layer l takes W[l], B[l], then, with batch normalisation on a
// hidden layer, BN[l].Gamma and BN[l].Beta. Buffers for batches of up to
// MaxBatch examples are made once, in NewMLP.
//
// Forward is the training mode (dropout on, batch norm on the batch's
// statistics, which it folds into the running ones); Infer is the
// evaluation mode (dropout off, batch norm on the running statistics).
type MLP struct {
	Sizes          []int
	Hidden, Output Activation
	MaxBatch       int
	Opts           LayerOpts

	Params, Grads []float32
	W, B, DW, DB  [][]float32 // per layer: views into Params and Grads
	// BN holds the batch normalisation of each hidden layer when
	// Opts.BatchNorm (its γ, β views into Params, its running statistics
	// its own); nil otherwise.
	BN []*BatchNorm

	x    []float32   // the last Forward's input (not owned)
	h    [][]float32 // per layer: post-activation outputs (MaxBatch, Sizes[l+1])
	mask [][]float32 // per hidden layer, with dropout: the last Forward's masks
	drop [][]float32 // per hidden layer, with dropout: h·mask, the next layer's input
	d    [][]float32 // per layer: gradient with respect to h, then pre-activation
	dx   []float32   // gradient with respect to the input (MaxBatch, Sizes[0])
}

// LayerOpts are the optional layers of an MLP's hidden layers.
type LayerOpts struct {
	// Dropout is the rate of inverted dropout after each hidden activation
	// (0: none), in [0, 1).
	Dropout float64
	// BatchNorm puts batch normalisation (BatchNorm) before each hidden
	// activation.
	BatchNorm bool
	// Rand draws the dropout masks; required when Dropout > 0. The same
	// generator state gives the same masks.
	Rand *rand.Rand
	// Record, when set, is called with each dropout mask just drawn (a
	// training recording its draws; see state.Tape).
	Record func(mask []float32)
}

// NewMLP builds an MLP with the given layer sizes (at least two) for batches
// of up to maxBatch examples, without batch normalisation or dropout. Its
// parameters are zero until Init.
func NewMLP(sizes []int, hidden, output Activation, maxBatch int) *MLP {
	return NewMLPOpts(sizes, hidden, output, maxBatch, LayerOpts{})
}

// NewMLPOpts is NewMLP with optional layers. Its weights and biases are
// zero until Init; batch norms start as Init leaves them (γ = 1, β = 0,
// running mean 0, variance 1).
func NewMLPOpts(sizes []int, hidden, output Activation, maxBatch int, opts LayerOpts) *MLP {
	if len(sizes) < 2 || maxBatch < 1 {
		panic("nn: NewMLP needs at least two sizes and a positive batch")
	}
	if !(opts.Dropout >= 0 && opts.Dropout < 1) {
		panic(fmt.Sprintf("nn: dropout rate %v outside [0, 1)", opts.Dropout))
	}
	if opts.Dropout > 0 && opts.Rand == nil {
		panic("nn: dropout needs a LayerOpts.Rand for its masks")
	}
	total := 0
	for l := 0; l+1 < len(sizes); l++ {
		if sizes[l] < 1 || sizes[l+1] < 1 {
			panic(fmt.Sprintf("nn: bad layer sizes %v", sizes))
		}
		total += sizes[l+1]*sizes[l] + sizes[l+1]
		if opts.BatchNorm && l+2 < len(sizes) {
			total += 2 * sizes[l+1]
		}
	}
	m := &MLP{
		Sizes:    append([]int(nil), sizes...),
		Hidden:   hidden,
		Output:   output,
		MaxBatch: maxBatch,
		Opts:     opts,
		Params:   make([]float32, total),
		Grads:    make([]float32, total),
		dx:       make([]float32, maxBatch*sizes[0]),
	}
	off := 0
	view := func(k int) (p, g []float32) {
		p, g = m.Params[off:off+k:off+k], m.Grads[off:off+k:off+k]
		off += k
		return p, g
	}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		w, dw := view(out * in)
		b, db := view(out)
		m.W, m.DW = append(m.W, w), append(m.DW, dw)
		m.B, m.DB = append(m.B, b), append(m.DB, db)
		m.h = append(m.h, make([]float32, maxBatch*out))
		m.d = append(m.d, make([]float32, maxBatch*out))
		if l+2 == len(sizes) {
			break // the output layer has neither
		}
		if opts.BatchNorm {
			gamma, dgamma := view(out)
			beta, dbeta := view(out)
			m.BN = append(m.BN, newBatchNorm(gamma, beta, dgamma, dbeta, maxBatch))
		}
		if opts.Dropout > 0 {
			m.mask = append(m.mask, make([]float32, maxBatch*out))
			m.drop = append(m.drop, make([]float32, maxBatch*out))
		}
	}
	return m
}

// Layers returns the number of dense layers.
func (m *MLP) Layers() int { return len(m.W) }

// In and Out return the input and output widths.
func (m *MLP) In() int  { return m.Sizes[0] }
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// Init draws every weight and bias from U(−1/√in, 1/√in), PyTorch's default
// for nn.Linear, using r, and resets the batch norms (see
// BatchNorm.Reset), which draw nothing.
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
	for _, bn := range m.BN {
		bn.Reset()
	}
}

// ZeroGrad clears the gradients.
func (m *MLP) ZeroGrad() { clear(m.Grads) }

// Forward runs the network in training mode on x (n, In) and returns its
// output (n, Out), a view of a buffer that the next Forward overwrites.
// Dropout draws new masks from Opts.Rand; batch normalisation uses the
// batch's statistics and updates its running ones. Backward uses x, so x
// must not change in between.
func (m *MLP) Forward(x []float32, n int) []float32 {
	return m.run(x, n, true)
}

// Infer runs the network in evaluation mode on x (n, In) and returns its
// output (n, Out), a view of the buffer Forward uses. Evaluation mode is
// what a trained network is used in: dropout off, batch normalisation on
// its running statistics; it changes no state but the buffers, so Backward
// must not follow Infer. Without batch norm and dropout it is Forward.
func (m *MLP) Infer(x []float32, n int) []float32 {
	return m.run(x, n, false)
}

// run is Forward (train) or Infer.
func (m *MLP) run(x []float32, n int, train bool) []float32 {
	m.checkBatch(n)
	m.x = x[:n*m.In()]
	in := m.x
	last := len(m.W) - 1
	for l := range m.W {
		y := m.h[l][:n*m.Sizes[l+1]]
		LinearForward(y, in, m.W[l], m.B[l], n, m.Sizes[l], m.Sizes[l+1])
		if l == last {
			m.Output.Forward(y, y)
			return y
		}
		if m.BN != nil {
			if train {
				m.BN[l].Forward(y, y, n)
			} else {
				m.BN[l].Infer(y, y, n)
			}
		}
		m.Hidden.Forward(y, y)
		if m.mask != nil && train {
			mask := m.mask[l][:len(y)]
			DropoutMask(mask, m.Opts.Dropout, m.Opts.Rand)
			if m.Opts.Record != nil {
				m.Opts.Record(mask)
			}
			out := m.drop[l][:len(y)]
			DropoutForward(out, y, mask)
			y = out
		}
		in = y
	}
	panic("unreachable")
}

// LayerOutput returns the output of layer l (n, Sizes[l+1]) in the last
// Forward or Infer on n examples: after its activation (and batch norm),
// before dropout. A view of a buffer that the next Forward or Infer
// overwrites; layer Layers()-1 is the network's output.
func (m *MLP) LayerOutput(l, n int) []float32 {
	m.checkBatch(n)
	return m.h[l][:n*m.Sizes[l+1]]
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
			if m.drop != nil {
				x = m.drop[l-1][:n*in]
			}
		} else {
			x = m.x
			if wantDX {
				dx = m.dx[:n*in]
			}
		}
		LinearBackward(dx, m.DW[l], m.DB[l], dz, x, m.W[l], n, in, out)
		if l > 0 {
			// The hidden layer below, backward: dropout, activation
			// (h = act(·), before dropout), batch norm.
			if m.mask != nil {
				DropoutForward(dx, dx, m.mask[l-1])
			}
			m.Hidden.Backward(dx, dx, m.h[l-1][:n*in])
			if m.BN != nil {
				m.BN[l-1].Backward(dx, dx, n)
			}
		}
		dz = dx
	}
}

func (m *MLP) checkBatch(n int) {
	if n < 1 || n > m.MaxBatch {
		panic(fmt.Sprintf("nn: batch of %d outside 1..%d", n, m.MaxBatch))
	}
}
