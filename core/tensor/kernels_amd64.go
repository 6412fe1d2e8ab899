//go:build amd64

package tensor

import "gonum.org/v1/gonum/blas/gonum"

// sse: on amd64 without AVX2 (or without GOEXPERIMENT=simd) the inner
// loops are gonum's SSE assembly, behind its BLAS level-1 Sdot and Saxpy,
// which allocate nothing (its Sgemm, as fast, allocates and starts
// goroutines on every call). Rows shorter than minSSE stay pure Go.
//
// Sdot sums in four SSE lanes from the first 16-byte-aligned element of w's
// row, so its rounding differs from the pure-Go kernels' but depends only on
// the shapes and the offsets of the rows (Go allocates every []float32 of 4
// or more elements 16-byte aligned): the same run gives the same bits.
// Saxpy is elementwise, the same bits as a scalar loop.
var sse = kernelSet{XWt: orPortable(XWt, minSSE, mulXWtSSE), DyTX: orPortable(DyTX, minSSE, addDyTXSSE), DyW: orPortable(DyW, minSSE, mulDyWSSE)}

// kernels is the SSE set unless the CPU has wider vectors (simd_amd64.go).
var kernels, kernelName = sse, "sse (gonum)"

// kernelSets are the sets this build can run, for the tests.
var kernelSets = map[string]kernelSet{"portable": portable, "sse": sse}

var blas gonum.Implementation

// minSSE is the shortest row (in) worth a call into the assembly: for the
// 2-wide codes of the small model (100×2×256) each call's checks cost more
// than its loop.
const minSSE = 16

// mulXWtSSE computes rows [i0, i1) of MulXWt, blockOut rows of w at a time.
func mulXWtSSE(y, x, w []float32, _, in, out, i0, i1 int) {
	for ob := 0; ob < out; ob += blockOut {
		oe := min(ob+blockOut, out)
		for i := i0; i < i1; i++ {
			xi := x[i*in : i*in+in]
			yi := y[i*out+ob : i*out+oe]
			for o := range yi {
				yi[o] = blas.Sdot(in, xi, 1, w[(ob+o)*in:(ob+o+1)*in], 1)
			}
		}
	}
}

// addDyTXSSE computes rows [o0, o1) of dw for AddDyTX: a row of dw stays in
// L1 while the rows of x stream past it. Saxpy skips a zero dy, which a
// ReLU makes common.
func addDyTXSSE(dw, dy, x []float32, n, in, out, o0, o1 int) {
	for o := o0; o < o1; o++ {
		d := dw[o*in : o*in+in]
		for i := range n {
			blas.Saxpy(in, dy[i*out+o], x[i*in:i*in+in], 1, d, 1)
		}
	}
}

// blockDyW is how many rows of w mulDyWSSE sweeps over all its rows of dx:
// 64 rows of 1000 float32 are 256 KB, within a core's L2.
const blockDyW = 64

// mulDyWSSE computes rows [i0, i1) of dx for MulDyW.
func mulDyWSSE(dx, dy, w []float32, _, in, out, i0, i1 int) {
	clear(dx[i0*in : i1*in])
	for ob := 0; ob < out; ob += blockDyW {
		oe := min(ob+blockDyW, out)
		for i := i0; i < i1; i++ {
			d := dx[i*in : i*in+in]
			for o := ob; o < oe; o++ {
				blas.Saxpy(in, dy[i*out+o], w[o*in:o*in+in], 1, d, 1)
			}
		}
	}
}
