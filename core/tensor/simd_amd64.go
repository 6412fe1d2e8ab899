//go:build goexperiment.simd && amd64

package tensor

import (
	"simd/archsimd"
	"unsafe"
)

// On a CPU with AVX2 and FMA, built with GOEXPERIMENT=simd, the products
// run 256-bit vector kernels with fused multiply-adds; elsewhere the SSE
// set of kernels_amd64.go. The choice is made once, at start, from the CPU:
// the same machine gives the same bits, but a run on a CPU without AVX2
// rounds differently (FMA rounds once where SSE rounds twice).
func init() {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return
	}
	avx2 := kernelSet{XWt: orPortable(XWt, minVector8, mulXWt8), DyTX: orPortable(DyTX, minVector8, addDyTX8), DyW: orPortable(DyW, minVector8, mulDyW8)}
	kernels, kernelName = avx2, "avx2+fma"
	kernelSets["avx2"] = avx2
}

// minVector8 is the shortest row (in) the AVX2 kernels take.
const minVector8 = 8

// Each kernel ends with VZEROUPPER (archsimd.ClearAVXUpperBits): Go's
// scalar float code is SSE, and SSE instructions after 256-bit ones that
// left the upper halves dirty ran the rest of a training step several
// times slower.

// Go's amd64 register allocator has 15 vector registers for us (X15 is
// kept zero by the ABI); the tiles below use at most 13 (accumulators,
// operands and a broadcast).

func ld8(p unsafe.Pointer, off int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, off)))
}

func st8(p unsafe.Pointer, off int, v archsimd.Float32x8) {
	v.StoreArray((*[8]float32)(unsafe.Add(p, off)))
}

func hsum8(v archsimd.Float32x8) float32 {
	h := v.GetLo().Add(v.GetHi())
	return (h.GetElem(0) + h.GetElem(1)) + (h.GetElem(2) + h.GetElem(3))
}

func splat8(p unsafe.Pointer, off int) archsimd.Float32x8 {
	return archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p, off)))
}

// elem is element k of the float32 row at p, unchecked.
func elem(p unsafe.Pointer, k int) float32 {
	return *(*float32)(unsafe.Add(p, k*4))
}

// mulXWt8 computes rows [i0, i1) of MulXWt with the accumulator tiles of
// the gradients: y[i, o:o+16] = Σ_k x[i,k]·wᵀ[k, o:o+16], over a panel of
// wᵀ that the task packs itself, kb rows of k at a time (16 KB, in L1 while
// every tile of rows reads it). The panel's columns past out are zeros and
// their sums are dropped. Tiles of dot products over k, as in wasm, ran at
// half the rate: Go keeps their loads and sums in more registers than
// amd64 has and spills them (BENCHMARKS.md).
func mulXWt8(y, x, w []float32, _, in, out, i0, i1 int) {
	_ = x[i1*in-1]
	_ = w[out*in-1]
	_ = y[i1*out-1]
	defer archsimd.ClearAVXUpperBits()
	clear(y[i0*out : i1*out])
	var panel [kb * 16]float32
	var tile [4 * 16]float32
	pp := unsafe.Pointer(&panel[0])
	for o := 0; o < out; o += 16 {
		cols := min(16, out-o)
		for k0 := 0; k0 < in; k0 += kb {
			kk := min(kb, in-k0)
			packWt(&panel, w, in, o, cols, k0, kk)
			i := i0
			for ; i+4 <= i1; i += 4 {
				xa := unsafe.Pointer(&x[i*in+k0])
				if cols == 16 {
					acc4x16(unsafe.Pointer(&y[i*out+o]), out, xa, in, 1, pp, 16, kk)
					continue
				}
				for r := range 4 {
					copy(tile[r*16:r*16+cols], y[(i+r)*out+o:(i+r)*out+o+cols])
				}
				acc4x16(unsafe.Pointer(&tile[0]), 16, xa, in, 1, pp, 16, kk)
				for r := range 4 {
					copy(y[(i+r)*out+o:(i+r)*out+o+cols], tile[r*16:r*16+cols])
				}
			}
			for ; i < i1; i++ {
				xa := unsafe.Pointer(&x[i*in+k0])
				copy(tile[:cols], y[i*out+o:i*out+o+cols])
				acc1x16(unsafe.Pointer(&tile[0]), xa, 1, pp, 16, kk)
				copy(y[i*out+o:i*out+o+cols], tile[:cols])
			}
		}
	}
}

// kb is how many rows of k a packed panel of wᵀ holds.
const kb = 256

// packWt writes into panel rows [k0, k0+kk) of wᵀ's columns [o, o+cols)
// (w is (out,in)), 16 floats a row, zeros past cols. Four rows of w at a
// time, each read along k, written 16 floats apart.
func packWt(panel *[kb * 16]float32, w []float32, in, o, cols, k0, kk int) {
	c := 0
	for ; c+4 <= cols; c += 4 {
		r0 := w[(o+c)*in+k0 : (o+c)*in+k0+kk]
		r1 := w[(o+c+1)*in+k0 : (o+c+1)*in+k0+kk][:len(r0)]
		r2 := w[(o+c+2)*in+k0 : (o+c+2)*in+k0+kk][:len(r0)]
		r3 := w[(o+c+3)*in+k0 : (o+c+3)*in+k0+kk][:len(r0)]
		for k := range r0 {
			p := (*[4]float32)(panel[(k&(kb-1))*16+c:])
			p[0], p[1], p[2], p[3] = r0[k], r1[k], r2[k], r3[k]
		}
	}
	for ; c < cols; c++ {
		for k, v := range w[(o+c)*in+k0 : (o+c)*in+k0+kk] {
			panel[(k&(kb-1))*16+c] = v
		}
	}
	for ; c < 16; c++ {
		for k := range kk {
			panel[k*16+c] = 0
		}
	}
}

// addDyTX8 computes rows [o0, o1) of dw for AddDyTX: dw[o,:] += Σ_i
// dy[i,o]·x[i,:], coefficients a column of dy.
func addDyTX8(dw, dy, x []float32, n, in, out, o0, o1 int) {
	_ = dw[o1*in-1]
	_ = dy[n*out-1]
	_ = x[n*in-1]
	rowsAcc8(dw[o0*in:], dy[o0:], 1, out, x, n, in, o1-o0)
	archsimd.ClearAVXUpperBits()
}

// mulDyW8 computes rows [i0, i1) of dx for MulDyW: dx[i,:] = Σ_o
// dy[i,o]·w[o,:], coefficients a row of dy.
func mulDyW8(dx, dy, w []float32, _, in, out, i0, i1 int) {
	_ = dx[i1*in-1]
	_ = dy[i1*out-1]
	_ = w[out*in-1]
	clear(dx[i0*in : i1*in])
	rowsAcc8(dx[i0*in:], dy[i0*out:], out, 1, w, out, in, i1-i0)
	archsimd.ClearAVXUpperBits()
}

// rowsAcc8 adds to each of rows rows of c (row length in) a combination of
// the kk rows of b (kk,in):
//
//	c[r,:] += Σ_j a[r·ars + j·acs] · b[j,:]
//
// in tiles of 4 rows × 16 columns (8 accumulators) while j runs. Strips of
// columns are outermost, so a strip of b (kk × 64 bytes) stays in cache for
// every tile of rows. Every element is c plus a chain of fused
// multiply-adds in the order of j, whatever tile computes it.
func rowsAcc8(c, a []float32, ars, acs int, b []float32, kk, in, rows int) {
	rowsAcc8Cols(c, a, ars, acs, b, kk, in, rows, 0)
}

// rowsAcc8Cols is rowsAcc8 on columns [col, in) only (the AVX-512 kernels
// leave it the columns their 32-wide strips do not cover).
func rowsAcc8Cols(c, a []float32, ars, acs int, b []float32, kk, in, rows, col int) {
	pc, pa, pb := unsafe.Pointer(&c[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	for ; col+16 <= in; col += 16 {
		r := 0
		for ; r+4 <= rows; r += 4 {
			acc4x16(unsafe.Add(pc, (r*in+col)*4), in, unsafe.Add(pa, r*ars*4), ars, acs, unsafe.Add(pb, col*4), in, kk)
		}
		for ; r < rows; r++ {
			acc1x16(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
	}
	if col+8 <= in {
		for r := range rows {
			acc1x8(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
		col += 8
	}
	for ; col < in; col++ {
		for r := range rows {
			s := elem(pc, r*in+col)
			for j := range kk {
				s += elem(pa, r*ars+j*acs) * elem(pb, j*in+col)
			}
			*(*float32)(unsafe.Add(pc, (r*in+col)*4)) = s
		}
	}
}

// acc4x16 adds Σ_j a(r,j)·b[j, 0:16] to rows r = 0..3 of c (row stride
// cs), with a(r,j) at a[r·ars + j·acs] and b's rows bs apart. Offsets
// advance, not pointers: a pointer one step past the last row would point
// outside its object, which the garbage collector must never see.
func acc4x16(c unsafe.Pointer, cs int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, bs, kk int) {
	c1, c2, c3 := unsafe.Add(c, cs*4), unsafe.Add(c, 2*cs*4), unsafe.Add(c, 3*cs*4)
	a1, a2, a3 := unsafe.Add(a, ars*4), unsafe.Add(a, 2*ars*4), unsafe.Add(a, 3*ars*4)
	s00, s01 := ld8(c, 0), ld8(c, 32)
	s10, s11 := ld8(c1, 0), ld8(c1, 32)
	s20, s21 := ld8(c2, 0), ld8(c2, 32)
	s30, s31 := ld8(c3, 0), ld8(c3, 32)
	oa, ob := 0, 0
	for range kk {
		b0, b1 := ld8(b, ob), ld8(b, ob+32)
		u := splat8(a, oa)
		s00 = u.MulAdd(b0, s00)
		s01 = u.MulAdd(b1, s01)
		u = splat8(a1, oa)
		s10 = u.MulAdd(b0, s10)
		s11 = u.MulAdd(b1, s11)
		u = splat8(a2, oa)
		s20 = u.MulAdd(b0, s20)
		s21 = u.MulAdd(b1, s21)
		u = splat8(a3, oa)
		s30 = u.MulAdd(b0, s30)
		s31 = u.MulAdd(b1, s31)
		oa += acs * 4
		ob += bs * 4
	}
	st8(c, 0, s00)
	st8(c, 32, s01)
	st8(c1, 0, s10)
	st8(c1, 32, s11)
	st8(c2, 0, s20)
	st8(c2, 32, s21)
	st8(c3, 0, s30)
	st8(c3, 32, s31)
}

// acc1x16 is acc4x16 for one row.
func acc1x16(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s0, s1 := ld8(c, 0), ld8(c, 32)
	oa, ob := 0, 0
	for range kk {
		u := splat8(a, oa)
		s0 = u.MulAdd(ld8(b, ob), s0)
		s1 = u.MulAdd(ld8(b, ob+32), s1)
		oa += acs * 4
		ob += bs * 4
	}
	st8(c, 0, s0)
	st8(c, 32, s1)
}

// acc1x8 is acc1x16 for eight columns.
func acc1x8(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s := ld8(c, 0)
	oa, ob := 0, 0
	for range kk {
		s = splat8(a, oa).MulAdd(ld8(b, ob), s)
		oa += acs * 4
		ob += bs * 4
	}
	st8(c, 0, s)
}
