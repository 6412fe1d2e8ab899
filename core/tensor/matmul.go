package tensor

// blockOut is how many rows of w MulXWt keeps hot while it sweeps the rows
// of x: 30 rows of 1000 float32 are 120 KB, about a core's L2 share. It is a
// multiple of the tile's 3 rows of w.
const blockOut = 30

// MulXWt stores x·wᵀ in y: the forward product of a dense layer.
//
//	y[i,o] = Σ_k x[i,k]·w[o,k]
//
// x (n,in), w (out,in), y (n,out). The pure-Go kernel (mulXWt) works in
// 2×3 register tiles over (rows of x, rows of w), each a run of dot
// products over contiguous memory; the vector kernels are described in
// their files (simd_*.go).
func MulXWt(y, x, w []float32, n, in, out int) {
	checkXWt(y, x, w, n, in, out)
	record(Call{XWt, n, in, out}, y, x, w)
	split(XWt, y, x, w, n, in, out, n)
}

// mulXWt computes rows [i0, i1) of MulXWt.
func mulXWt(y, x, w []float32, _, in, out, i0, i1 int) {
	for ob := 0; ob < out; ob += blockOut {
		oe := min(ob+blockOut, out)
		i := i0
		for ; i+2 <= i1; i += 2 {
			x0 := x[i*in : i*in+in]
			x1 := x[(i+1)*in : (i+1)*in+in]
			y0 := y[i*out : i*out+out]
			y1 := y[(i+1)*out : (i+1)*out+out]
			o := ob
			for ; o+3 <= oe; o += 3 {
				s := dot2x3(x0, x1, w[o*in:(o+3)*in])
				y0[o], y0[o+1], y0[o+2] = s[0], s[1], s[2]
				y1[o], y1[o+1], y1[o+2] = s[3], s[4], s[5]
			}
			for ; o < oe; o++ {
				wo := w[o*in : o*in+in]
				y0[o] = dot(x0, wo)
				y1[o] = dot(x1, wo)
			}
		}
		for ; i < i1; i++ {
			xi := x[i*in : i*in+in]
			for o := ob; o < oe; o++ {
				y[i*out+o] = dot(xi, w[o*in:o*in+in])
			}
		}
	}
}

// dot2x3 returns the six dot products of rows x0, x1 (of one length m)
// with the three consecutive rows of w3 (3,m): [x0·w0 x0·w1 x0·w2 x1·w0
// x1·w1 x1·w2].
//
// Shaped for Go's wasm port, which has 16 float registers and pays a
// br_table dispatch on every loop iteration: six sums and five loads fit
// the registers (a 2×4 tile spilled a sum to memory every step), and the
// loop is unrolled by four. Each sum still adds its terms in the order of
// k, so the results are those of dot, bit for bit. Every row is resliced
// to m and the loop runs while k < m-3, the forms for which the compiler
// drops all bounds checks in the loop.
func dot2x3(x0, x1, w3 []float32) [6]float32 {
	m := len(x0)
	x1 = x1[:m]
	w0 := w3[0*m : 1*m][:m]
	w1 := w3[1*m : 2*m][:m]
	w2 := w3[2*m : 3*m][:m]
	var s00, s01, s02, s10, s11, s12 float32
	k := 0
	for ; k < m-3; k += 4 {
		a, b := x0[k], x1[k]
		c0, c1, c2 := w0[k], w1[k], w2[k]
		s00 += a * c0
		s01 += a * c1
		s02 += a * c2
		s10 += b * c0
		s11 += b * c1
		s12 += b * c2
		a, b = x0[k+1], x1[k+1]
		c0, c1, c2 = w0[k+1], w1[k+1], w2[k+1]
		s00 += a * c0
		s01 += a * c1
		s02 += a * c2
		s10 += b * c0
		s11 += b * c1
		s12 += b * c2
		a, b = x0[k+2], x1[k+2]
		c0, c1, c2 = w0[k+2], w1[k+2], w2[k+2]
		s00 += a * c0
		s01 += a * c1
		s02 += a * c2
		s10 += b * c0
		s11 += b * c1
		s12 += b * c2
		a, b = x0[k+3], x1[k+3]
		c0, c1, c2 = w0[k+3], w1[k+3], w2[k+3]
		s00 += a * c0
		s01 += a * c1
		s02 += a * c2
		s10 += b * c0
		s11 += b * c1
		s12 += b * c2
	}
	for ; k < m; k++ {
		a, b := x0[k], x1[k]
		c0, c1, c2 := w0[k], w1[k], w2[k]
		s00 += a * c0
		s01 += a * c1
		s02 += a * c2
		s10 += b * c0
		s11 += b * c1
		s12 += b * c2
	}
	return [6]float32{s00, s01, s02, s10, s11, s12}
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// AddDyTX adds dyᵀ·x to dw: the weight gradient of a dense layer.
//
//	dw[o,k] += Σ_i dy[i,o]·x[i,k]
//
// dy (n,out), x (n,in), dw (out,in). Tiles are two rows of dw updated from
// four rows of x at a time.
func AddDyTX(dw, dy, x []float32, n, in, out int) {
	checkDyTX(dw, dy, x, n, in, out)
	record(Call{DyTX, n, in, out}, dw, dy, x)
	split(DyTX, dw, dy, x, n, in, out, out)
}

// addDyTX computes rows [o0, o1) of dw for AddDyTX, two at a time: as
// 2×4 tiles when their columns of dy are dense, through addRows (zeros
// skipped) when a third or more of them are zero, as behind a ReLU.
func addDyTX(dw, dy, x []float32, n, in, out, o0, o1 int) {
	o := o0
	for ; o+2 <= o1; o += 2 {
		d0 := dw[o*in : o*in+in]
		d1 := dw[(o+1)*in : (o+1)*in+in]
		if sparse(dy[o:], n, out) && sparse(dy[o+1:], n, out) {
			addRows(d0, dy[o:], n, out, x)
			addRows(d1, dy[o+1:], n, out, x)
			continue
		}
		i := 0
		for ; i+4 <= n; i += 4 {
			r := i * out
			a := [8]float32{
				dy[r+o], dy[r+out+o], dy[r+2*out+o], dy[r+3*out+o],
				dy[r+o+1], dy[r+out+o+1], dy[r+2*out+o+1], dy[r+3*out+o+1],
			}
			axpy2x4(d0, d1, x[i*in:(i+4)*in], &a)
		}
		if i+2 <= n { // two rows left over (a shard of 50, say)
			r := i * out
			a := [4]float32{dy[r+o], dy[r+out+o], dy[r+o+1], dy[r+out+o+1]}
			axpy2x2(d0, d1, x[i*in:(i+2)*in], &a)
			i += 2
		}
		for ; i < n; i++ {
			xi := x[i*in : i*in+in]
			axpy(d0, xi, dy[i*out+o])
			axpy(d1, xi, dy[i*out+o+1])
		}
	}
	if o < o1 {
		addRows(dw[o*in:o*in+in], dy[o:], n, out, x)
	}
}

// MulDyW stores dy·w in dx: the input gradient of a dense layer.
//
//	dx[i,k] = Σ_o dy[i,o]·w[o,k]
//
// dy (n,out), w (out,in), dx (n,in). Tiles are two rows of dx updated from
// four rows of w at a time.
func MulDyW(dx, dy, w []float32, n, in, out int) {
	checkDyW(dx, dy, w, n, in, out)
	record(Call{DyW, n, in, out}, dx, dy, w)
	split(DyW, dx, dy, w, n, in, out, n)
}

// mulDyW computes rows [i0, i1) of dx for MulDyW, two at a time: as 2×4
// tiles when their rows of dy are dense, through addRows (zeros skipped)
// when a third or more of them are zero, as behind a ReLU.
func mulDyW(dx, dy, w []float32, _, in, out, i0, i1 int) {
	clear(dx[i0*in : i1*in])
	i := i0
	for ; i+2 <= i1; i += 2 {
		d0 := dx[i*in : i*in+in]
		d1 := dx[(i+1)*in : (i+1)*in+in]
		g0 := dy[i*out : i*out+out]
		g1 := dy[(i+1)*out : (i+1)*out+out]
		if sparse(g0, out, 1) && sparse(g1, out, 1) {
			addRows(d0, g0, out, 1, w)
			addRows(d1, g1, out, 1, w)
			continue
		}
		o := 0
		for ; o+4 <= out; o += 4 {
			a := [8]float32{g0[o], g0[o+1], g0[o+2], g0[o+3], g1[o], g1[o+1], g1[o+2], g1[o+3]}
			if a == [8]float32{} {
				continue // the whole tile adds nothing
			}
			axpy2x4(d0, d1, w[o*in:(o+4)*in], &a)
		}
		for ; o < out; o++ {
			wo := w[o*in : o*in+in]
			axpy(d0, wo, g0[o])
			axpy(d1, wo, g1[o])
		}
	}
	if i < i1 {
		addRows(dx[i*in:i*in+in], dy[i*out:], out, 1, w)
	}
}

// sparse reports whether a third or more of c[j·stride], j < rows, are
// zero: from there on addRows, which skips them but does half a 2×4 tile's
// work a pass, is the faster.
func sparse(c []float32, rows, stride int) bool {
	zeros := 0
	for j := range rows {
		if c[j*stride] == 0 {
			zeros++
		}
	}
	return 3*zeros >= rows
}

// axpy2x4 adds to d0 and d1 combinations of the four rows of r4 (4,len(d0)):
//
//	d0 += a[0]·r0 + a[1]·r1 + a[2]·r2 + a[3]·r3
//	d1 += a[4]·r0 + a[5]·r1 + a[6]·r2 + a[7]·r3
//
// Unrolled by four, with the rows resliced to len(d0), for the reasons
// given at dot2x3; every element is the same expression as before.
func axpy2x4(d0, d1, r4 []float32, a *[8]float32) {
	m := len(d0)
	d1 = d1[:m]
	r0 := r4[0*m : 1*m][:m]
	r1 := r4[1*m : 2*m][:m]
	r2 := r4[2*m : 3*m][:m]
	r3 := r4[3*m : 4*m][:m]
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	k := 0
	for ; k < m-3; k += 4 {
		v0, v1, v2, v3 := r0[k], r1[k], r2[k], r3[k]
		d0[k] += a0*v0 + a1*v1 + a2*v2 + a3*v3
		d1[k] += a4*v0 + a5*v1 + a6*v2 + a7*v3
		v0, v1, v2, v3 = r0[k+1], r1[k+1], r2[k+1], r3[k+1]
		d0[k+1] += a0*v0 + a1*v1 + a2*v2 + a3*v3
		d1[k+1] += a4*v0 + a5*v1 + a6*v2 + a7*v3
		v0, v1, v2, v3 = r0[k+2], r1[k+2], r2[k+2], r3[k+2]
		d0[k+2] += a0*v0 + a1*v1 + a2*v2 + a3*v3
		d1[k+2] += a4*v0 + a5*v1 + a6*v2 + a7*v3
		v0, v1, v2, v3 = r0[k+3], r1[k+3], r2[k+3], r3[k+3]
		d0[k+3] += a0*v0 + a1*v1 + a2*v2 + a3*v3
		d1[k+3] += a4*v0 + a5*v1 + a6*v2 + a7*v3
	}
	for ; k < m; k++ {
		v0, v1, v2, v3 := r0[k], r1[k], r2[k], r3[k]
		d0[k] += a0*v0 + a1*v1 + a2*v2 + a3*v3
		d1[k] += a4*v0 + a5*v1 + a6*v2 + a7*v3
	}
}

// axpy2x2 is axpy2x4 for two rows of r2 (2,len(d0)):
//
//	d0 += a[0]·r0 + a[1]·r1
//	d1 += a[2]·r0 + a[3]·r1
func axpy2x2(d0, d1, r2 []float32, a *[4]float32) {
	m := len(d0)
	d1 = d1[:m]
	r0 := r2[0*m : 1*m][:m]
	r1 := r2[1*m : 2*m][:m]
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	k := 0
	for ; k < m-3; k += 4 {
		v0, v1 := r0[k], r1[k]
		d0[k] += a0*v0 + a1*v1
		d1[k] += a2*v0 + a3*v1
		v0, v1 = r0[k+1], r1[k+1]
		d0[k+1] += a0*v0 + a1*v1
		d1[k+1] += a2*v0 + a3*v1
		v0, v1 = r0[k+2], r1[k+2]
		d0[k+2] += a0*v0 + a1*v1
		d1[k+2] += a2*v0 + a3*v1
		v0, v1 = r0[k+3], r1[k+3]
		d0[k+3] += a0*v0 + a1*v1
		d1[k+3] += a2*v0 + a3*v1
	}
	for ; k < m; k++ {
		v0, v1 := r0[k], r1[k]
		d0[k] += a0*v0 + a1*v1
		d1[k] += a2*v0 + a3*v1
	}
}

// axpy adds a·x to d.
func axpy(d, x []float32, a float32) {
	if a == 0 {
		return
	}
	x = x[:len(d)]
	for k := range d {
		d[k] += a * x[k]
	}
}

// addRows adds to d the rows of m weighted by the coefficients c[j·stride],
// j < rows, skipping the zero ones:
//
//	d += Σ_j c[j·stride] · m[j·len(d) : (j+1)·len(d)]
//
// The nonzero coefficients are gathered eight at a time into a tile that
// axpy1x8 adds in one pass over d.
func addRows(d, c []float32, rows, stride int, m []float32) {
	in := len(d)
	var off [8]int
	var a [8]float32
	q := 0
	for j := range rows {
		v := c[j*stride]
		if v == 0 {
			continue
		}
		off[q], a[q] = j*in, v
		q++
		if q == 8 {
			axpy1x8(d, m, &off, &a)
			q = 0
		}
	}
	if q >= 4 { // cheaper as one more tile, padded with zero weights
		for t := q; t < 8; t++ {
			off[t], a[t] = off[0], 0
		}
		axpy1x8(d, m, &off, &a)
		return
	}
	for t := range q {
		axpy(d, m[off[t]:off[t]+in], a[t])
	}
}

// axpy1x8 adds to d the eight rows of m at the offsets off, weighted by a:
//
//	d += a[0]·m[off[0]:] + … + a[7]·m[off[7]:]
func axpy1x8(d, m []float32, off *[8]int, a *[8]float32) {
	n := len(d)
	r0 := m[off[0] : off[0]+n][:n]
	r1 := m[off[1] : off[1]+n][:n]
	r2 := m[off[2] : off[2]+n][:n]
	r3 := m[off[3] : off[3]+n][:n]
	r4 := m[off[4] : off[4]+n][:n]
	r5 := m[off[5] : off[5]+n][:n]
	r6 := m[off[6] : off[6]+n][:n]
	r7 := m[off[7] : off[7]+n][:n]
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	k := 0
	for ; k < n-3; k += 4 {
		d[k] += (a0*r0[k] + a1*r1[k]) + (a2*r2[k] + a3*r3[k]) + ((a4*r4[k] + a5*r5[k]) + (a6*r6[k] + a7*r7[k]))
		d[k+1] += (a0*r0[k+1] + a1*r1[k+1]) + (a2*r2[k+1] + a3*r3[k+1]) + ((a4*r4[k+1] + a5*r5[k+1]) + (a6*r6[k+1] + a7*r7[k+1]))
		d[k+2] += (a0*r0[k+2] + a1*r1[k+2]) + (a2*r2[k+2] + a3*r3[k+2]) + ((a4*r4[k+2] + a5*r5[k+2]) + (a6*r6[k+2] + a7*r7[k+2]))
		d[k+3] += (a0*r0[k+3] + a1*r1[k+3]) + (a2*r2[k+3] + a3*r3[k+3]) + ((a4*r4[k+3] + a5*r5[k+3]) + (a6*r6[k+3] + a7*r7[k+3]))
	}
	for ; k < n; k++ {
		d[k] += (a0*r0[k] + a1*r1[k]) + (a2*r2[k] + a3*r3[k]) + ((a4*r4[k] + a5*r5[k]) + (a6*r6[k] + a7*r7[k]))
	}
}
