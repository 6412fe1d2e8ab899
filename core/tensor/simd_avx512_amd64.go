//go:build goexperiment.simd && amd64

package tensor

import (
	"simd/archsimd"
	"unsafe"
)

// On a CPU with AVX-512, the products run 512-bit tiles: 4 rows × 32
// columns, 8 accumulators of 16 lanes, twice the multiply-adds of the AVX2
// tiles for each load and broadcast. This file's init runs after
// simd_amd64.go's (files initialise in name order) and replaces its set.
//
// Every element is still c plus a chain of fused multiply-adds in the order
// of k (or j), as in the AVX2 kernels, and the columns a 32-wide tile does
// not cover go to those kernels: the bits are those of the AVX2 set, so a
// run gives the same numbers on a CPU with AVX-512 and on one with AVX2
// alone (TestAVX512SameBits).
func init() {
	if !archsimd.X86.AVX512() || !archsimd.X86.FMA() {
		return
	}
	avx512 := kernelSet{XWt: orPortable(XWt, minVector8, mulXWt16), DyTX: orPortable(DyTX, minVector8, addDyTX16), DyW: orPortable(DyW, minVector8, mulDyW16)}
	kernels, kernelName = avx512, "avx512"
	kernelSets["avx512"] = avx512
}

func ld16(p unsafe.Pointer, off int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16Array((*[16]float32)(unsafe.Add(p, off)))
}

func st16(p unsafe.Pointer, off int, v archsimd.Float32x16) {
	v.StoreArray((*[16]float32)(unsafe.Add(p, off)))
}

func splat16(p unsafe.Pointer, off int) archsimd.Float32x16 {
	return archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p, off)))
}

// kb32 is how many rows of k a 32-column panel of wᵀ holds (16 KB).
const kb32 = 128

// mulXWt16 is mulXWt8 with 32-column panels and tiles.
func mulXWt16(y, x, w []float32, _, in, out, i0, i1 int) {
	_ = x[i1*in-1]
	_ = w[out*in-1]
	_ = y[i1*out-1]
	defer archsimd.ClearAVXUpperBits()
	clear(y[i0*out : i1*out])
	var panel [kb32 * 32]float32
	var tile [4 * 32]float32
	pp := unsafe.Pointer(&panel[0])
	for o := 0; o < out; o += 32 {
		cols := min(32, out-o)
		for k0 := 0; k0 < in; k0 += kb32 {
			kk := min(kb32, in-k0)
			packWt32(&panel, w, in, o, cols, k0, kk)
			i := i0
			for ; i+4 <= i1; i += 4 {
				xa := unsafe.Pointer(&x[i*in+k0])
				if cols == 32 {
					acc4x32(unsafe.Pointer(&y[i*out+o]), out, xa, in, 1, pp, 32, kk)
					continue
				}
				for r := range 4 {
					copy(tile[r*32:r*32+cols], y[(i+r)*out+o:(i+r)*out+o+cols])
				}
				acc4x32(unsafe.Pointer(&tile[0]), 32, xa, in, 1, pp, 32, kk)
				for r := range 4 {
					copy(y[(i+r)*out+o:(i+r)*out+o+cols], tile[r*32:r*32+cols])
				}
			}
			for ; i < i1; i++ {
				xa := unsafe.Pointer(&x[i*in+k0])
				copy(tile[:cols], y[i*out+o:i*out+o+cols])
				acc1x32(unsafe.Pointer(&tile[0]), xa, 1, pp, 32, kk)
				copy(y[i*out+o:i*out+o+cols], tile[:cols])
			}
		}
	}
}

// packWt32 is packWt for 32-column panels of kb32 rows.
func packWt32(panel *[kb32 * 32]float32, w []float32, in, o, cols, k0, kk int) {
	c := 0
	for ; c+4 <= cols; c += 4 {
		r0 := w[(o+c)*in+k0 : (o+c)*in+k0+kk]
		r1 := w[(o+c+1)*in+k0 : (o+c+1)*in+k0+kk][:len(r0)]
		r2 := w[(o+c+2)*in+k0 : (o+c+2)*in+k0+kk][:len(r0)]
		r3 := w[(o+c+3)*in+k0 : (o+c+3)*in+k0+kk][:len(r0)]
		for k := range r0 {
			p := (*[4]float32)(panel[(k&(kb32-1))*32+c:])
			p[0], p[1], p[2], p[3] = r0[k], r1[k], r2[k], r3[k]
		}
	}
	for ; c < cols; c++ {
		for k, v := range w[(o+c)*in+k0 : (o+c)*in+k0+kk] {
			panel[(k&(kb32-1))*32+c] = v
		}
	}
	for ; c < 32; c++ {
		for k := range kk {
			panel[k*32+c] = 0
		}
	}
}

// addDyTX16 is addDyTX8 on 32-column tiles.
func addDyTX16(dw, dy, x []float32, n, in, out, o0, o1 int) {
	_ = dw[o1*in-1]
	_ = dy[n*out-1]
	_ = x[n*in-1]
	rowsAcc16(dw[o0*in:], dy[o0:], 1, out, x, n, in, o1-o0)
	archsimd.ClearAVXUpperBits()
}

// mulDyW16 is mulDyW8 on 32-column tiles.
func mulDyW16(dx, dy, w []float32, _, in, out, i0, i1 int) {
	_ = dx[i1*in-1]
	_ = dy[i1*out-1]
	_ = w[out*in-1]
	clear(dx[i0*in : i1*in])
	rowsAcc16(dx[i0*in:], dy[i0*out:], out, 1, w, out, in, i1-i0)
	archsimd.ClearAVXUpperBits()
}

// rowsAcc16 is rowsAcc8 with strips of 32 columns; the columns left over
// go to rowsAcc8, whose elements are the same chains of multiply-adds.
func rowsAcc16(c, a []float32, ars, acs int, b []float32, kk, in, rows int) {
	pc, pa, pb := unsafe.Pointer(&c[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	col := 0
	for ; col+32 <= in; col += 32 {
		r := 0
		for ; r+4 <= rows; r += 4 {
			acc4x32(unsafe.Add(pc, (r*in+col)*4), in, unsafe.Add(pa, r*ars*4), ars, acs, unsafe.Add(pb, col*4), in, kk)
		}
		for ; r < rows; r++ {
			acc1x32(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
	}
	if col < in {
		// The last columns: rows of in, starting at col, in c and b alike.
		rowsAcc8Cols(c, a, ars, acs, b, kk, in, rows, col)
	}
}

// acc4x32 is acc4x16 with 16-lane vectors: rows r = 0..3 of c get
// Σ_j a(r,j)·b[j, 0:32].
func acc4x32(c unsafe.Pointer, cs int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, bs, kk int) {
	c1, c2, c3 := unsafe.Add(c, cs*4), unsafe.Add(c, 2*cs*4), unsafe.Add(c, 3*cs*4)
	a1, a2, a3 := unsafe.Add(a, ars*4), unsafe.Add(a, 2*ars*4), unsafe.Add(a, 3*ars*4)
	s00, s01 := ld16(c, 0), ld16(c, 64)
	s10, s11 := ld16(c1, 0), ld16(c1, 64)
	s20, s21 := ld16(c2, 0), ld16(c2, 64)
	s30, s31 := ld16(c3, 0), ld16(c3, 64)
	oa, ob := 0, 0
	for range kk {
		b0, b1 := ld16(b, ob), ld16(b, ob+64)
		u := splat16(a, oa)
		s00 = u.MulAdd(b0, s00)
		s01 = u.MulAdd(b1, s01)
		u = splat16(a1, oa)
		s10 = u.MulAdd(b0, s10)
		s11 = u.MulAdd(b1, s11)
		u = splat16(a2, oa)
		s20 = u.MulAdd(b0, s20)
		s21 = u.MulAdd(b1, s21)
		u = splat16(a3, oa)
		s30 = u.MulAdd(b0, s30)
		s31 = u.MulAdd(b1, s31)
		oa += acs * 4
		ob += bs * 4
	}
	st16(c, 0, s00)
	st16(c, 64, s01)
	st16(c1, 0, s10)
	st16(c1, 64, s11)
	st16(c2, 0, s20)
	st16(c2, 64, s21)
	st16(c3, 0, s30)
	st16(c3, 64, s31)
}

// acc1x32 is acc4x32 for one row.
func acc1x32(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s0, s1 := ld16(c, 0), ld16(c, 64)
	oa, ob := 0, 0
	for range kk {
		u := splat16(a, oa)
		s0 = u.MulAdd(ld16(b, ob), s0)
		s1 = u.MulAdd(ld16(b, ob+64), s1)
		oa += acs * 4
		ob += bs * 4
	}
	st16(c, 0, s0)
	st16(c, 64, s1)
}
