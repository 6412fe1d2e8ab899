package tensor

// Kind names one of the three products.
type Kind int

// The products, by the dense-layer step they serve.
const (
	XWt  Kind = iota // forward: y = x·wᵀ (MulXWt)
	DyTX             // weight gradient: dw += dyᵀ·x (AddDyTX)
	DyW              // input gradient: dx = dy·w (MulDyW)
)

func (k Kind) String() string {
	switch k {
	case XWt:
		return "y=x·Wᵀ"
	case DyTX:
		return "dW=dyᵀ·x"
	case DyW:
		return "dx=dy·W"
	}
	return "?"
}

// Call is the shape of one product: x (N,In), w (Out,In).
type Call struct {
	Kind       Kind
	N, In, Out int
}

// FLOPs returns the floating-point operations of the call, 2·N·In·Out.
func (c Call) FLOPs() float64 { return 2 * float64(c.N) * float64(c.In) * float64(c.Out) }

// Run performs the call with the fast kernel on the given operands, sized
// as the call's Kind expects (dst first).
func (c Call) Run(dst, a, b []float32) {
	switch c.Kind {
	case XWt:
		MulXWt(dst, a, b, c.N, c.In, c.Out)
	case DyTX:
		AddDyTX(dst, a, b, c.N, c.In, c.Out)
	case DyW:
		MulDyW(dst, a, b, c.N, c.In, c.Out)
	}
}

// Sizes returns the lengths of the dst, a and b operands of the call.
func (c Call) Sizes() (dst, a, b int) {
	n, in, out := c.N, c.In, c.Out
	switch c.Kind {
	case XWt:
		return n * out, n * in, out * in
	case DyTX:
		return out * in, n * out, n * in
	default:
		return n * in, n * out, out * in
	}
}

// Recorder, when not nil, is called with the shape and the operands (as
// Run takes them, before the product) of every product the fast kernels
// compute. Benchmarks set it to list a training step's work; it is not safe
// to change while products run.
var Recorder func(c Call, dst, a, b []float32)

func record(c Call, dst, a, b []float32) {
	if Recorder != nil {
		Recorder(c, dst, a, b)
	}
}
