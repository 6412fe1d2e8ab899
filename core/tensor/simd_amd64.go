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
	set := avx2.kernelSet()
	kernels, kernelName = set, "avx2+fma"
	kernelSets["avx2"] = set
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

func splat8(p unsafe.Pointer, off int) archsimd.Float32x8 {
	return archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p, off)))
}

// elem is element k of the float32 row at p, unchecked.
func elem(p unsafe.Pointer, k int) float32 {
	return *(*float32)(unsafe.Add(p, k*4))
}

// tiles is one width of accumulator tiles, w columns: 16 (avx2, eight
// lanes) or 32 (avx512, sixteen), and the products built on them. Its
// methods call the kernels of that width directly, not through function
// values: a pointer handed to an unknown function escapes, and the
// panels on a task's stack would go to the heap at every call.
type tiles struct{ w int }

var avx2, avx512 = tiles{16}, tiles{32}

// acc4 adds to rows r = 0..3 of c (row stride cs) Σ_j a(r,j)·b[j, 0:w],
// with a(r,j) at a[r·ars + j·acs] and b's rows bs apart.
func (t tiles) acc4(c unsafe.Pointer, cs int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, bs, kk int) {
	if t.w == 32 {
		acc4x32(c, cs, a, ars, acs, b, bs, kk)
		return
	}
	acc4x16(c, cs, a, ars, acs, b, bs, kk)
}

// acc1 is acc4 for one row.
func (t tiles) acc1(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	if t.w == 32 {
		acc1x32(c, a, acs, b, bs, kk)
		return
	}
	acc1x16(c, a, acs, b, bs, kk)
}

// rest is rowsAcc on the columns [col, in) that strips of w leave: the
// 16-column tiles after 32-column ones, eight columns then single ones
// after 16-column ones.
func (t tiles) rest(c, a []float32, ars, acs int, b []float32, kk, in, rows, col int) {
	if t.w == 32 {
		avx2.rowsAcc(c, a, ars, acs, b, kk, in, rows, col)
		return
	}
	rowsTail8(c, a, ars, acs, b, kk, in, rows, col)
}

// kernelSet returns the three products on these tiles, for rows of at
// least minVector8 values.
func (t tiles) kernelSet() kernelSet {
	return kernelSet{XWt: orPortable(XWt, minVector8, t.mulXWt), DyTX: orPortable(DyTX, minVector8, t.addDyTX), DyW: orPortable(DyW, minVector8, t.mulDyW)}
}

// panelFloats is the size of a packed panel of wᵀ: 16 KB, in L1 while every
// tile of rows reads it; it holds panelFloats/w rows of k.
const panelFloats = 4096

// mulXWt computes rows [i0, i1) of MulXWt with the accumulator tiles of
// the gradients: y[i, o:o+w] = Σ_k x[i,k]·wᵀ[k, o:o+w], over a panel of
// wᵀ that the task packs itself, kb rows of k at a time. The panel's
// columns past out are zeros and their sums are dropped. Tiles of dot
// products over k, as in wasm, ran at half the rate: Go keeps their loads
// and sums in more registers than amd64 has and spills them
// (BENCHMARKS.md).
func (t tiles) mulXWt(y, x, w []float32, _, in, out, i0, i1 int) {
	_ = x[i1*in-1]
	_ = w[out*in-1]
	_ = y[i1*out-1]
	defer archsimd.ClearAVXUpperBits()
	clear(y[i0*out : i1*out])
	var panel [panelFloats]float32
	var tile [4 * 32]float32
	tw, kb := t.w, panelFloats/t.w
	pp := unsafe.Pointer(&panel[0])
	for o := 0; o < out; o += tw {
		cols := min(tw, out-o)
		for k0 := 0; k0 < in; k0 += kb {
			kk := min(kb, in-k0)
			packWt(panel[:kb*tw], tw, w, in, o, cols, k0, kk)
			i := i0
			for ; i+4 <= i1; i += 4 {
				xa := unsafe.Pointer(&x[i*in+k0])
				if cols == tw {
					t.acc4(unsafe.Pointer(&y[i*out+o]), out, xa, in, 1, pp, tw, kk)
					continue
				}
				for r := range 4 {
					copy(tile[r*tw:r*tw+cols], y[(i+r)*out+o:(i+r)*out+o+cols])
				}
				t.acc4(unsafe.Pointer(&tile[0]), tw, xa, in, 1, pp, tw, kk)
				for r := range 4 {
					copy(y[(i+r)*out+o:(i+r)*out+o+cols], tile[r*tw:r*tw+cols])
				}
			}
			for ; i < i1; i++ {
				xa := unsafe.Pointer(&x[i*in+k0])
				copy(tile[:cols], y[i*out+o:i*out+o+cols])
				t.acc1(unsafe.Pointer(&tile[0]), xa, 1, pp, tw, kk)
				copy(y[i*out+o:i*out+o+cols], tile[:cols])
			}
		}
	}
}

// packWt writes into panel rows [k0, k0+kk) of wᵀ's columns [o, o+cols)
// (w is (out,in)), tw floats a row, zeros past cols. Four rows of w at a
// time, each read along k, written tw floats apart.
func packWt(panel []float32, tw int, w []float32, in, o, cols, k0, kk int) {
	c := 0
	for ; c+4 <= cols; c += 4 {
		r0 := w[(o+c)*in+k0 : (o+c)*in+k0+kk]
		r1 := w[(o+c+1)*in+k0 : (o+c+1)*in+k0+kk][:len(r0)]
		r2 := w[(o+c+2)*in+k0 : (o+c+2)*in+k0+kk][:len(r0)]
		r3 := w[(o+c+3)*in+k0 : (o+c+3)*in+k0+kk][:len(r0)]
		for k := range r0 {
			p := (*[4]float32)(panel[k*tw+c:])
			p[0], p[1], p[2], p[3] = r0[k], r1[k], r2[k], r3[k]
		}
	}
	for ; c < cols; c++ {
		for k, v := range w[(o+c)*in+k0 : (o+c)*in+k0+kk] {
			panel[k*tw+c] = v
		}
	}
	for ; c < tw; c++ {
		for k := range kk {
			panel[k*tw+c] = 0
		}
	}
}

// addDyTX computes rows [o0, o1) of dw for AddDyTX: dw[o,:] += Σ_i
// dy[i,o]·x[i,:], coefficients a column of dy.
func (t tiles) addDyTX(dw, dy, x []float32, n, in, out, o0, o1 int) {
	_ = dw[o1*in-1]
	_ = dy[n*out-1]
	_ = x[n*in-1]
	t.rowsAcc(dw[o0*in:], dy[o0:], 1, out, x, n, in, o1-o0, 0)
	archsimd.ClearAVXUpperBits()
}

// mulDyW computes rows [i0, i1) of dx for MulDyW: dx[i,:] = Σ_o
// dy[i,o]·w[o,:], coefficients a row of dy.
func (t tiles) mulDyW(dx, dy, w []float32, _, in, out, i0, i1 int) {
	_ = dx[i1*in-1]
	_ = dy[i1*out-1]
	_ = w[out*in-1]
	clear(dx[i0*in : i1*in])
	t.rowsAcc(dx[i0*in:], dy[i0*out:], out, 1, w, out, in, i1-i0, 0)
	archsimd.ClearAVXUpperBits()
}

// rowsAcc adds to each of rows rows of c (row length in), on columns
// [col, in), a combination of the kk rows of b (kk,in):
//
//	c[r,:] += Σ_j a[r·ars + j·acs] · b[j,:]
//
// in tiles of 4 rows × w columns while j runs, the columns strips of w
// leave going to rest. Strips of columns are outermost, so a strip of b
// stays in cache for every tile of rows. Every element is c plus a chain
// of fused multiply-adds in the order of j, whatever tile computes it: the
// bits do not depend on w.
func (t tiles) rowsAcc(c, a []float32, ars, acs int, b []float32, kk, in, rows, col int) {
	pc, pa, pb := unsafe.Pointer(&c[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	for ; col+t.w <= in; col += t.w {
		r := 0
		for ; r+4 <= rows; r += 4 {
			t.acc4(unsafe.Add(pc, (r*in+col)*4), in, unsafe.Add(pa, r*ars*4), ars, acs, unsafe.Add(pb, col*4), in, kk)
		}
		for ; r < rows; r++ {
			t.acc1(unsafe.Add(pc, (r*in+col)*4), unsafe.Add(pa, r*ars*4), acs, unsafe.Add(pb, col*4), in, kk)
		}
	}
	if col < in {
		t.rest(c, a, ars, acs, b, kk, in, rows, col)
	}
}

// rowsTail8 is the 16-column tiles' rest: eight columns of each row at
// once, then single columns.
func rowsTail8(c, a []float32, ars, acs int, b []float32, kk, in, rows, col int) {
	pc, pa, pb := unsafe.Pointer(&c[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
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
