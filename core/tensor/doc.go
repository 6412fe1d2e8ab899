// Package tensor holds the matrix products that training needs, as plain
// functions over float32 slices.
//
// Conventions: every matrix is a row-major []float32 whose shape is passed
// beside it; the slice written is the first argument; nothing allocates.
// The three products are those of a dense layer with weights w (out,in):
//
//	forward    y  = x·wᵀ    MulXWt
//	weights    dw += dyᵀ·x  AddDyTX
//	inputs     dx = dy·w    MulDyW
//
// Each has a naive oracle (the *Naive functions in naive.go) that the fast
// kernels are tested against. The fast kernels are chosen per platform by
// build tag: on amd64 gonum's SSE assembly (kernels_amd64.go), elsewhere,
// wasm above all, the pure-Go register tiles of matmul.go, which skip the
// zeros a ReLU leaves in the gradients. Large products are shared between
// the cores by rows (split.go). Outputs must not alias inputs. Functions panic
// with a "tensor:" message when a slice is shorter than its shape says.
package tensor
