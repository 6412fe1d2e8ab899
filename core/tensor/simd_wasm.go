//go:build goexperiment.simd && wasm

package tensor

import (
	"simd/archsimd"
	"unsafe"
)

// kernels: in wasm built with GOEXPERIMENT=simd, 128-bit vector kernels
// (v128 instructions, four float32 lanes); without the experiment the
// pure-Go kernels of matmul.go (kernels_other.go).
var kernels = kernelSet{XWt: orPortable(XWt, minVector, mulXWt4), DyTX: orPortable(DyTX, minVector, addDyTX4), DyW: orPortable(DyW, minVector, mulDyW4)}

// kernelSets are the sets this build can run, for the tests.
var kernelSets = map[string]kernelSet{"portable": portable, "simd128": kernels}

// kernelName names the kernels the products run.
var kernelName = "simd128"

// minVector is the shortest row (in) the vector kernels take; shorter ones
// (the 2-wide codes of the small model) go to the pure-Go kernels.
const minVector = 8

// Go's wasm port holds at most 16 v128 values in locals; the SSA scheduler
// issues a loop body's products before its sums, so a tile's accumulators
// and its products must fit 16 together, or a value goes to the Go stack in
// linear memory every iteration. The tiles below are sized for that (read
// the emitted loops with wasm-objdump -d after any change).

// ld4 loads four float32 at byte offset off from p, unchecked: the callers
// check the slices' lengths once, before their loops.
func ld4(p unsafe.Pointer, off int) archsimd.Float32x4 {
	return archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(p, off)))
}

func st4(p unsafe.Pointer, off int, v archsimd.Float32x4) {
	v.StoreArray((*[4]float32)(unsafe.Add(p, off)))
}

func hsum4(v archsimd.Float32x4) float32 {
	return (v.GetElem(0) + v.GetElem(1)) + (v.GetElem(2) + v.GetElem(3))
}

// mulXWt4 computes rows [i0, i1) of MulXWt in 2×3 tiles of dot products
// over k, four lanes a step (six sums and six products: 12 of the 16). Every
// element is the same sum whatever tile computes it (dot1v sums as dot2x3v),
// so the result does not depend on how rows are split between cores.
// 2×4 tiles spill; BENCHMARKS.md has the rates of the tiles tried.
func mulXWt4(y, x, w []float32, _, in, out, i0, i1 int) {
	_ = x[i1*in-1]
	_ = w[out*in-1]
	_ = y[i1*out-1]
	for ob := 0; ob < out; ob += blockOut {
		oe := min(ob+blockOut, out)
		i := i0
		for ; i+2 <= i1; i += 2 {
			x0 := unsafe.Pointer(&x[i*in])
			x1 := unsafe.Pointer(&x[(i+1)*in])
			y0 := y[i*out : i*out+out]
			y1 := y[(i+1)*out : (i+1)*out+out]
			o := ob
			for ; o+3 <= oe; o += 3 {
				s := dot2x3v(x0, x1, unsafe.Pointer(&w[o*in]), in)
				y0[o], y0[o+1], y0[o+2] = s[0], s[1], s[2]
				y1[o], y1[o+1], y1[o+2] = s[3], s[4], s[5]
			}
			for ; o < oe; o++ {
				wo := unsafe.Pointer(&w[o*in])
				y0[o] = dot1v(x0, wo, in)
				y1[o] = dot1v(x1, wo, in)
			}
		}
		for ; i < i1; i++ {
			xi := unsafe.Pointer(&x[i*in])
			for o := ob; o < oe; o++ {
				y[i*out+o] = dot1v(xi, unsafe.Pointer(&w[o*in]), in)
			}
		}
	}
}

// dot2x3v returns [x0·w0 x0·w1 x0·w2 x1·w0 x1·w1 x1·w2] for rows of length
// m, the rows of w consecutive from w0. Lanes sum k ≡ 0..3 (mod 4) over the
// multiples of 8 (two steps a loop, which halves the loop's dispatch), then
// of 4; the lanes are added pairwise, then the scalar tail in order of k.
func dot2x3v(x0, x1, w0 unsafe.Pointer, m int) [6]float32 {
	w1 := unsafe.Add(w0, m*4)
	w2 := unsafe.Add(w1, m*4)
	var s00, s01, s02, s10, s11, s12 archsimd.Float32x4
	k, e8, e4 := 0, (m&^7)*4, (m&^3)*4
	for ; k < e8; k += 32 {
		a, b := ld4(x0, k), ld4(x1, k)
		c := ld4(w0, k)
		s00 = s00.Add(a.Mul(c))
		s10 = s10.Add(b.Mul(c))
		c = ld4(w1, k)
		s01 = s01.Add(a.Mul(c))
		s11 = s11.Add(b.Mul(c))
		c = ld4(w2, k)
		s02 = s02.Add(a.Mul(c))
		s12 = s12.Add(b.Mul(c))
		a, b = ld4(x0, k+16), ld4(x1, k+16)
		c = ld4(w0, k+16)
		s00 = s00.Add(a.Mul(c))
		s10 = s10.Add(b.Mul(c))
		c = ld4(w1, k+16)
		s01 = s01.Add(a.Mul(c))
		s11 = s11.Add(b.Mul(c))
		c = ld4(w2, k+16)
		s02 = s02.Add(a.Mul(c))
		s12 = s12.Add(b.Mul(c))
	}
	if k < e4 {
		a, b := ld4(x0, k), ld4(x1, k)
		c := ld4(w0, k)
		s00 = s00.Add(a.Mul(c))
		s10 = s10.Add(b.Mul(c))
		c = ld4(w1, k)
		s01 = s01.Add(a.Mul(c))
		s11 = s11.Add(b.Mul(c))
		c = ld4(w2, k)
		s02 = s02.Add(a.Mul(c))
		s12 = s12.Add(b.Mul(c))
	}
	r := [6]float32{hsum4(s00), hsum4(s01), hsum4(s02), hsum4(s10), hsum4(s11), hsum4(s12)}
	for k := m &^ 3; k < m; k++ {
		a, b := at(x0, k), at(x1, k)
		c0, c1, c2 := at(w0, k), at(w1, k), at(w2, k)
		r[0] += a * c0
		r[1] += a * c1
		r[2] += a * c2
		r[3] += b * c0
		r[4] += b * c1
		r[5] += b * c2
	}
	return r
}

// dot1v returns x·w for rows of length m, summed as dot2x3v sums.
func dot1v(x, w unsafe.Pointer, m int) float32 {
	var s archsimd.Float32x4
	k, e8, e4 := 0, (m&^7)*4, (m&^3)*4
	for ; k < e8; k += 32 {
		s = s.Add(ld4(x, k).Mul(ld4(w, k)))
		s = s.Add(ld4(x, k+16).Mul(ld4(w, k+16)))
	}
	if k < e4 {
		s = s.Add(ld4(x, k).Mul(ld4(w, k)))
	}
	r := hsum4(s)
	for k := m &^ 3; k < m; k++ {
		r += at(x, k) * at(w, k)
	}
	return r
}

// at is element k of the float32 row at p, unchecked.
func at(p unsafe.Pointer, k int) float32 {
	return *(*float32)(unsafe.Add(p, k*4))
}

// addDyTX4 computes rows [o0, o1) of dw for AddDyTX: dw[o,:] += Σ_i
// dy[i,o]·x[i,:], a product whose coefficients are a column of dy.
func addDyTX4(dw, dy, x []float32, n, in, out, o0, o1 int) {
	_ = dw[o1*in-1]
	_ = dy[n*out-1]
	_ = x[n*in-1]
	rowsAcc4(dw[o0*in:], dy[o0:], 1, out, x, n, in, o1-o0)
}

// mulDyW4 computes rows [i0, i1) of dx for MulDyW: dx[i,:] = Σ_o
// dy[i,o]·w[o,:], coefficients a row of dy.
func mulDyW4(dx, dy, w []float32, _, in, out, i0, i1 int) {
	_ = dx[i1*in-1]
	_ = dy[i1*out-1]
	_ = w[out*in-1]
	clear(dx[i0*in : i1*in])
	rowsAcc4(dx[i0*in:], dy[i0*out:], out, 1, w, out, in, i1-i0)
}

// rowsAcc4 adds to each of rows rows of c (row length in) a combination of
// the kk rows of b (kk,in):
//
//	c[r,:] += Σ_j a[r·ars + j·acs] · b[j,:]
//
// in tiles of 2 rows × 12 columns held in six vectors while j runs. Strips
// of columns are outermost, so a strip of b (kk × 48 bytes) stays in cache
// for every tile of rows. Every element is c plus the products added one
// by one in the order of j, whatever tile computes it. The zeros a ReLU
// leaves in a are not skipped: a test per j costs more than it saves here,
// and so did gathering a row's nonzero coefficients into a list
// (BENCHMARKS.md has the tiles and the variants tried).
func rowsAcc4(c, a []float32, ars, acs int, b []float32, kk, in, rows int) {
	pc, pa, pb := unsafe.Pointer(&c[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	col := 0
	for ; col+12 <= in; col += 12 {
		r := 0
		for ; r+2 <= rows; r += 2 {
			acc2x12(unsafe.Add(pc, (r*in+col)*4), in, unsafe.Add(pa, r*ars*4), ars, acs, unsafe.Add(pb, col*4), in, kk)
		}
		if r < rows {
			acc1x12(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
	}
	for ; col+4 <= in; col += 4 {
		for r := range rows {
			acc1x4(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
	}
	for ; col < in; col++ {
		for r := range rows {
			s := at(pc, r*in+col)
			for j := range kk {
				s += at(pa, r*ars+j*acs) * at(pb, j*in+col)
			}
			*(*float32)(unsafe.Add(pc, (r*in+col)*4)) = s
		}
	}
}

// splat4 broadcasts the float32 at byte offset off from p.
func splat4(p unsafe.Pointer, off int) archsimd.Float32x4 {
	return archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(p, off)))
}

// acc2x12 adds Σ_j a(r,j)·b[j, 0:12] to rows r = 0, 1 of c (row stride
// cs), with a(r,j) at a[r·ars + j·acs] and b's rows bs apart. Offsets
// advance, not pointers: a pointer one step past the last row would point
// outside its object, which the garbage collector must never see.
func acc2x12(c unsafe.Pointer, cs int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, bs, kk int) {
	c1 := unsafe.Add(c, cs*4)
	a1 := unsafe.Add(a, ars*4)
	s00, s01, s02 := ld4(c, 0), ld4(c, 16), ld4(c, 32)
	s10, s11, s12 := ld4(c1, 0), ld4(c1, 16), ld4(c1, 32)
	oa, ob := 0, 0
	for range kk {
		b0, b1, b2 := ld4(b, ob), ld4(b, ob+16), ld4(b, ob+32)
		u, v := splat4(a, oa), splat4(a1, oa)
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		oa += acs * 4
		ob += bs * 4
	}
	st4(c, 0, s00)
	st4(c, 16, s01)
	st4(c, 32, s02)
	st4(c1, 0, s10)
	st4(c1, 16, s11)
	st4(c1, 32, s12)
}

// acc1x12 is acc2x12 for one row.
func acc1x12(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s0, s1, s2 := ld4(c, 0), ld4(c, 16), ld4(c, 32)
	oa, ob := 0, 0
	for range kk {
		u := splat4(a, oa)
		s0 = s0.Add(u.Mul(ld4(b, ob)))
		s1 = s1.Add(u.Mul(ld4(b, ob+16)))
		s2 = s2.Add(u.Mul(ld4(b, ob+32)))
		oa += acs * 4
		ob += bs * 4
	}
	st4(c, 0, s0)
	st4(c, 16, s1)
	st4(c, 32, s2)
}

// acc1x4 is acc1x12 for four columns.
func acc1x4(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s := ld4(c, 0)
	oa, ob := 0, 0
	for range kk {
		s = s.Add(splat4(a, oa).Mul(ld4(b, ob)))
		oa += acs * 4
		ob += bs * 4
	}
	st4(c, 0, s)
}
