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

// All three products run one micro-kernel, panel2x12: two rows of
// coefficients, each contiguous in j, times a panel of b packed as kk rows
// of 12 contiguous float32 (48 bytes a row), summed into 2×12 outputs held
// in six vectors:
//
//	s[r][0:12] += Σ_j a_r[j] · panel[j][0:12]
//
// The panel makes every load of the loop a constant offset from one
// pointer, and the loop is unrolled by eight: Go's wasm port sends each
// iteration back through the function's br_table dispatch, and V8 keeps
// few of the port's 64-bit locals in registers across it, so fewer
// pointers and fewer iterations are what speed it up.
//
// How each product maps onto it:
//
//	dx = dy·w     rows of dy are the coefficients, the panel a 12-column
//	              strip of w (copied, four lanes at a time);
//	dw += dyᵀ·x   rows of dyᵀ (dy transposed once, n×out values), the
//	              panel a strip of x;
//	y = x·wᵀ      computed as yᵀ = w·xᵀ: rows of w are the coefficients,
//	              the panel 12 rows of x transposed (n×in values), and the
//	              2×12 result is written back transposed into y.
//
// Columns beyond the last whole strip go through panel2x4 (four columns,
// the panel padded with zeros), so every output element is the sum of
// its terms added one by one in the order of j whatever tile computes
// it.
//
// Go's wasm port holds at most 16 v128 values in locals; beyond that they
// spill to the Go stack in linear memory. Its scheduler orders a block's
// values by source position, and an inlined helper's values carry the
// helper's, so the loops load directly rather than through a helper: six
// sums, three b vectors and two splats then fit (wasm-objdump -d shows no
// v128.store in the loop). Larger tiles (3×12, 2×16) spill. What each of
// these choices measured is in BENCHMARKS.md, "Changes measured".

// pack is the one scratch buffer of the wasm kernels: the panel, and dy
// transposed. Wasm runs one thread here (cores() is 1) and a kernel never
// yields, so one buffer serves every product; it grows to the largest
// product's need on the first step and is not reallocated after.
var pack []float32

// scratch returns pack with at least n elements.
func scratch(n int) []float32 {
	if cap(pack) < n {
		pack = make([]float32, n)
	}
	return pack[:n]
}

// ld4 loads four float32 at byte offset off from p, unchecked: the callers
// check the slices' lengths once, before their loops.
func ld4(p unsafe.Pointer, off int) archsimd.Float32x4 {
	return archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(p, off)))
}

func st4(p unsafe.Pointer, off int, v archsimd.Float32x4) {
	v.StoreArray((*[4]float32)(unsafe.Add(p, off)))
}

// at is element k of the float32 row at p, unchecked.
func at(p unsafe.Pointer, k int) float32 {
	return *(*float32)(unsafe.Add(p, k*4))
}

// tile is a 2×12 block of outputs: rows 0 and 1, three vectors each.
type tile [6]archsimd.Float32x4

// panel2x12 adds Σ_j a0[j]·panel[j] to s[0:3] and Σ_j a1[j]·panel[j] to
// s[3:6], j in [0, kk), in the order of j. a0 and a1 are rows of kk
// float32, panel kk rows of 12.
func panel2x12(s *tile, a0, a1, panel unsafe.Pointer, kk int) {
	s00, s01, s02, s10, s11, s12 := s[0], s[1], s[2], s[3], s[4], s[5]
	var b0, b1, b2, u, v archsimd.Float32x4
	oa, ob, e8 := 0, 0, (kk&^7)*48
	// Offsets advance, not pointers: a pointer one step past the last row
	// would point outside its object, which the garbage collector must
	// never see.
	for ; ob < e8; ob += 8 * 48 {
		q := unsafe.Add(panel, ob)
		p0 := (*[8]float32)(unsafe.Add(a0, oa))
		p1 := (*[8]float32)(unsafe.Add(a1, oa))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 0)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 16)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 32)))
		u, v = archsimd.BroadcastFloat32x4(p0[0]), archsimd.BroadcastFloat32x4(p1[0])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 48)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 64)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 80)))
		u, v = archsimd.BroadcastFloat32x4(p0[1]), archsimd.BroadcastFloat32x4(p1[1])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 96)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 112)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 128)))
		u, v = archsimd.BroadcastFloat32x4(p0[2]), archsimd.BroadcastFloat32x4(p1[2])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 144)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 160)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 176)))
		u, v = archsimd.BroadcastFloat32x4(p0[3]), archsimd.BroadcastFloat32x4(p1[3])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 192)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 208)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 224)))
		u, v = archsimd.BroadcastFloat32x4(p0[4]), archsimd.BroadcastFloat32x4(p1[4])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 240)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 256)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 272)))
		u, v = archsimd.BroadcastFloat32x4(p0[5]), archsimd.BroadcastFloat32x4(p1[5])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 288)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 304)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 320)))
		u, v = archsimd.BroadcastFloat32x4(p0[6]), archsimd.BroadcastFloat32x4(p1[6])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 336)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 352)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 368)))
		u, v = archsimd.BroadcastFloat32x4(p0[7]), archsimd.BroadcastFloat32x4(p1[7])
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		oa += 8 * 4
	}
	for ; ob < kk*48; ob += 48 {
		q := unsafe.Add(panel, ob)
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 0)))
		b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 16)))
		b2 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 32)))
		u, v = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(a0, oa))), archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(a1, oa)))
		s00 = s00.Add(u.Mul(b0))
		s01 = s01.Add(u.Mul(b1))
		s02 = s02.Add(u.Mul(b2))
		s10 = s10.Add(v.Mul(b0))
		s11 = s11.Add(v.Mul(b1))
		s12 = s12.Add(v.Mul(b2))
		oa += 4
	}
	s[0], s[1], s[2], s[3], s[4], s[5] = s00, s01, s02, s10, s11, s12
}

// panel2x4 is panel2x12 for a panel of 4 columns (16 bytes a row), its
// sums in s[0] and s[3].
func panel2x4(s *tile, a0, a1, panel unsafe.Pointer, kk int) {
	s0, s1 := s[0], s[3]
	var b0 archsimd.Float32x4
	oa, ob, e8 := 0, 0, (kk&^7)*16
	for ; ob < e8; ob += 8 * 16 {
		q := unsafe.Add(panel, ob)
		p0 := (*[8]float32)(unsafe.Add(a0, oa))
		p1 := (*[8]float32)(unsafe.Add(a1, oa))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 0)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[0]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[0]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 16)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[1]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[1]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 32)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[2]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[2]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 48)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[3]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[3]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 64)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[4]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[4]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 80)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[5]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[5]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 96)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[6]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[6]).Mul(b0))
		b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(q, 112)))
		s0 = s0.Add(archsimd.BroadcastFloat32x4(p0[7]).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(p1[7]).Mul(b0))
		oa += 8 * 4
	}
	for ; ob < kk*16; ob += 16 {
		b0 = ld4(panel, ob)
		s0 = s0.Add(archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(a0, oa))).Mul(b0))
		s1 = s1.Add(archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(a1, oa))).Mul(b0))
		oa += 4
	}
	s[0], s[3] = s0, s1
}

// micro runs the micro-kernel of the panel's width: 12, or 4 (padded).
func micro(s *tile, a0, a1, panel unsafe.Pointer, kk, w int) {
	if w == 12 {
		panel2x12(s, a0, a1, panel, kk)
	} else {
		panel2x4(s, a0, a1, panel, kk)
	}
}

// nextStrip returns the width of the column strip starting at col of a row
// of cols: 12 while a whole one fits, then 4 (the last possibly fewer
// columns, its panel padded with zeros to 4).
func nextStrip(col, cols int) int {
	if col+12 <= cols {
		return 12
	}
	return min(4, cols-col)
}

// lanes returns the vector's width for a strip of w columns: 12 or 4.
func lanes(w int) int {
	if w == 12 {
		return 12
	}
	return 4
}

// packRows copies columns [col, col+w) of the kk rows of b (row stride bs)
// into panel, rows of lanes(w), padded with zeros.
func packRows(panel []float32, b unsafe.Pointer, bs, col, w, kk int) {
	pp := unsafe.Pointer(&panel[0])
	switch w {
	case 12:
		for j := range kk {
			src, dst := unsafe.Add(b, (j*bs+col)*4), unsafe.Add(pp, j*48)
			st4(dst, 0, ld4(src, 0))
			st4(dst, 16, ld4(src, 16))
			st4(dst, 32, ld4(src, 32))
		}
	case 4:
		for j := range kk {
			st4(pp, j*16, ld4(b, (j*bs+col)*4))
		}
	default:
		for j := range kk {
			var r [4]float32
			for t := range w {
				r[t] = at(b, j*bs+col+t)
			}
			st4(pp, j*16, archsimd.LoadFloat32x4Array(&r))
		}
	}
}

// packCols writes rows [i, i+w) of x (rows of kk, stride xs) transposed
// into panel: panel[k][t] = x[i+t][k], rows of lanes(w), padded with zeros.
func packCols(panel []float32, x unsafe.Pointer, xs, i, w, kk int) {
	lw := lanes(w)
	p := panel[:kk*lw]
	if w < lw {
		clear(p)
	}
	transposeRows(unsafe.Pointer(&p[0]), lw, unsafe.Add(x, i*xs*4), xs, w, kk)
}

// transposeRows writes the kk columns of the rows rows at src (row stride
// ss float32) to the kk rows at dst (row stride ds): dst[k][t] =
// src[t][k], t < rows; four rows a pass (four loads, four adjacent
// stores), then one at a time.
func transposeRows(dst unsafe.Pointer, ds int, src unsafe.Pointer, ss, rows, kk int) {
	t := 0
	for ; t+4 <= rows; t += 4 {
		transpose4(unsafe.Add(dst, t*4), ds, unsafe.Add(src, t*ss*4), ss, kk)
	}
	for ; t < rows; t++ {
		row := unsafe.Add(src, t*ss*4)
		for k := range kk {
			*(*float32)(unsafe.Add(dst, (k*ds+t)*4)) = at(row, k)
		}
	}
}

// transpose4 writes the kk columns of the four rows at src (row stride ss
// float32) to the kk rows at dst (row stride ds): dst[k][t] = src[t][k],
// t < 4.
func transpose4(dst unsafe.Pointer, ds int, src unsafe.Pointer, ss, kk int) {
	s1 := unsafe.Add(src, ss*4)
	s2 := unsafe.Add(s1, ss*4)
	s3 := unsafe.Add(s2, ss*4)
	for k := range kk {
		d := (*[4]float32)(unsafe.Add(dst, k*ds*4))
		d[0], d[1], d[2], d[3] = at(src, k), at(s1, k), at(s2, k), at(s3, k)
	}
}

// loadTile reads rows 0 and 1 (row 1 only if two) of the w columns at c
// (row stride cs) into s; lanes beyond w are zero.
func loadTile(s *tile, c unsafe.Pointer, cs, w int, two bool) {
	*s = tile{}
	for r := range 2 {
		if r == 1 && !two {
			break
		}
		row := unsafe.Add(c, r*cs*4)
		if w == 12 {
			s[3*r], s[3*r+1], s[3*r+2] = ld4(row, 0), ld4(row, 16), ld4(row, 32)
			continue
		}
		var v [4]float32
		for t := range w {
			v[t] = at(row, t)
		}
		s[3*r] = archsimd.LoadFloat32x4Array(&v)
	}
}

// storeTile writes rows 0 and 1 (row 1 only if two) of s's first w
// columns to c (row stride cs).
func storeTile(s *tile, c unsafe.Pointer, cs, w int, two bool) {
	for r := range 2 {
		if r == 1 && !two {
			break
		}
		row := unsafe.Add(c, r*cs*4)
		if w == 12 {
			st4(row, 0, s[3*r])
			st4(row, 16, s[3*r+1])
			st4(row, 32, s[3*r+2])
			continue
		}
		var v [4]float32
		s[3*r].StoreArray(&v)
		for t := range w {
			*(*float32)(unsafe.Add(row, t*4)) = v[t]
		}
	}
}

// storeTileT writes s transposed: element (r, t) to c[t·cs + r], for rows
// 0 and 1 (1 only if two) and columns t < w.
func storeTileT(s *tile, c unsafe.Pointer, cs, w int, two bool) {
	var v [12]float32
	for r := range 2 {
		if r == 1 && !two {
			break
		}
		s[3*r].StoreArray((*[4]float32)(v[0:4]))
		s[3*r+1].StoreArray((*[4]float32)(v[4:8]))
		s[3*r+2].StoreArray((*[4]float32)(v[8:12]))
		for t := range w {
			*(*float32)(unsafe.Add(c, (t*cs+r)*4)) = v[t]
		}
	}
}

// mulDyW4 computes rows [i0, i1) of dx for MulDyW: dx[i,:] = Σ_o
// dy[i,o]·w[o,:], the rows of dy the coefficients, strips of w the panel.
func mulDyW4(dx, dy, w []float32, _, in, out, i0, i1 int) {
	_ = dx[i1*in-1]
	_ = dy[i1*out-1]
	_ = w[out*in-1]
	panel := scratch(out * 12)
	pc, pa, pw, pp := unsafe.Pointer(&dx[i0*in]), unsafe.Pointer(&dy[i0*out]), unsafe.Pointer(&w[0]), unsafe.Pointer(&panel[0])
	rows := i1 - i0
	var s tile
	for col := 0; col < in; {
		sw := nextStrip(col, in)
		packRows(panel, pw, in, col, sw, out)
		for r := 0; r < rows; r += 2 {
			r1 := min(r+1, rows-1)
			s = tile{}
			micro(&s, unsafe.Add(pa, r*out*4), unsafe.Add(pa, r1*out*4), pp, out, sw)
			storeTile(&s, unsafe.Add(pc, (r*in+col)*4), in, sw, r1 > r)
		}
		col += sw
	}
}

// addDyTX4 computes rows [o0, o1) of dw for AddDyTX: dw[o,:] += Σ_i
// dy[i,o]·x[i,:], the rows of dyᵀ the coefficients, strips of x the panel.
func addDyTX4(dw, dy, x []float32, n, in, out, o0, o1 int) {
	_ = dw[o1*in-1]
	_ = dy[n*out-1]
	_ = x[n*in-1]
	rows := o1 - o0
	buf := scratch(rows*n + n*12)
	dyt, panel := buf[:rows*n], buf[rows*n:]
	transposeRows(unsafe.Pointer(&dyt[0]), n, unsafe.Pointer(&dy[o0]), out, n, rows)
	pc, pa, px, pp := unsafe.Pointer(&dw[o0*in]), unsafe.Pointer(&dyt[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&panel[0])
	var s tile
	for col := 0; col < in; {
		sw := nextStrip(col, in)
		packRows(panel, px, in, col, sw, n)
		r := 0
		// Whole tiles without the general case's calls and loops: a tile
		// runs only n (the batch) steps here, so they weigh (Chromium,
		// best of 6: 50×1000×1000 24.5 → 31.8 GFLOP/s; not so in the
		// other products, whose tiles run 784–1000 steps).
		if sw == 12 {
			for ; r+2 <= rows; r += 2 {
				c0 := unsafe.Add(pc, (r*in+col)*4)
				c1 := unsafe.Add(c0, in*4)
				s = tile{ld4(c0, 0), ld4(c0, 16), ld4(c0, 32), ld4(c1, 0), ld4(c1, 16), ld4(c1, 32)}
				panel2x12(&s, unsafe.Add(pa, r*n*4), unsafe.Add(pa, (r+1)*n*4), pp, n)
				st4(c0, 0, s[0])
				st4(c0, 16, s[1])
				st4(c0, 32, s[2])
				st4(c1, 0, s[3])
				st4(c1, 16, s[4])
				st4(c1, 32, s[5])
			}
		}
		for ; r < rows; r += 2 {
			r1 := min(r+1, rows-1)
			c := unsafe.Add(pc, (r*in+col)*4)
			loadTile(&s, c, in, sw, r1 > r)
			micro(&s, unsafe.Add(pa, r*n*4), unsafe.Add(pa, r1*n*4), pp, n, sw)
			storeTile(&s, c, in, sw, r1 > r)
		}
		col += sw
	}
}

// mulXWt4 computes rows [i0, i1) of y for MulXWt as yᵀ = w·xᵀ: the rows
// of w are the coefficients, 12 rows of x transposed the panel, and each
// tile is written back transposed.
func mulXWt4(y, x, w []float32, _, in, out, i0, i1 int) {
	_ = x[i1*in-1]
	_ = w[out*in-1]
	_ = y[i1*out-1]
	panel := scratch(in * 12)
	px, pw, py, pp := unsafe.Pointer(&x[0]), unsafe.Pointer(&w[0]), unsafe.Pointer(&y[0]), unsafe.Pointer(&panel[0])
	var s tile
	for i := i0; i < i1; {
		sw := nextStrip(i-i0, i1-i0)
		packCols(panel, px, in, i, sw, in)
		for o := 0; o < out; o += 2 {
			o1 := min(o+1, out-1)
			s = tile{}
			micro(&s, unsafe.Add(pw, o*in*4), unsafe.Add(pw, o1*in*4), pp, in, sw)
			storeTileT(&s, unsafe.Add(py, (i*out+o)*4), out, sw, o1 > o)
		}
		i += sw
	}
}
