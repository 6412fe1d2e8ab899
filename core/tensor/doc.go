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
// build tag, and on amd64 by the CPU at start (KernelName says which):
//
//   - built with GOEXPERIMENT=simd, vector kernels through simd/archsimd:
//     in wasm 128-bit v128 tiles (simd_wasm.go); on amd64 with AVX2 and
//     FMA 256-bit tiles (simd_amd64.go), with AVX-512 512-bit ones
//     (simd_avx512_amd64.go) whose bits are the AVX2 tiles';
//   - on amd64 otherwise, gonum's SSE assembly (kernels_amd64.go);
//   - elsewhere the pure-Go register tiles of matmul.go, which skip the
//     zeros a ReLU leaves in the gradients.
//
// A set gives the same bits on the same machine whatever the number of
// cores; different sets round differently (FMA, the order of the lanes'
// sums). Large products are shared between the cores by rows (split.go).
// Outputs must not alias inputs. Functions panic with a "tensor:" message
// when a slice is shorter than its shape says.
package tensor
