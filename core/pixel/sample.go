package pixel

import (
	"fmt"
	"math/rand/v2"

	"latentlab/core/model"
	"latentlab/core/tensor"
)

// Sample stores n digits (n ≤ Config.Batch) drawn from the model in x (n,
// Pixels), pixel by pixel in raster order, each pixel the Value of its
// level. It is SampleRows(x, n, 0, Pixels, r).
func (m *Model) Sample(x []float32, n int, r *rand.Rand) {
	m.SampleRows(x, n, 0, model.Pixels, r)
}

// SampleRows draws pixels [from, to) of the n digits in x (n, Pixels), n ≤
// Config.Batch, given their pixels [0, from), which it reads as their
// levels (Level) and leaves as they are; pixels from to on are neither read
// nor written. Each drawn pixel takes the Value of its level.
//
// It lets a page draw samples as they are generated: with the same r,
//
//	SampleRows(x, n, 0, a, r); SampleRows(x, n, a, b, r); SampleRows(x, n, b, Pixels, r)
//
// stores the same digits as Sample(x, n, r), because r gives one uniform
// draw per pixel and digit, pixel-major (pixel j of digits 0..n−1, then
// pixel j+1), and each call recomputes the hidden units it needs from the
// given pixels with the arithmetic of the single call. Given the first rows
// of real digits it completes them.
//
// A call costs the hidden units of degree < to (see the package doc): at
// most one forward pass, so drawing in c chunks costs at most c passes.
func (m *Model) SampleRows(x []float32, n, from, to int, r *rand.Rand) {
	m.checkBatch(n)
	if from < 0 || from > to || to > model.Pixels {
		panic(fmt.Sprintf("pixel: SampleRows pixels [%d, %d) outside [0, %d)", from, to, model.Pixels))
	}
	m.mask(m.Net.W)
	const P = model.Pixels
	k := m.K
	x = x[:n*P]
	in := m.sx[:n*P]
	clear(in)
	for i := range n {
		for p, v := range x[i*P : i*P+from] {
			in[i*P+p] = Value(Level(v, k), k)
		}
	}
	for l := range m.sh {
		clear(m.sh[l])
		m.done[l] = 0
	}
	last := len(m.Net.W) - 1
	top, topWidth := in, P // the last hidden layer's units (the input without one)
	if last > 0 {
		top, topWidth = m.sh[last-1], m.Net.Sizes[last]
	}
	logits := m.tmp[:n*k]
	for j := from; j < to; j++ {
		m.unitsUpTo(in, n, int32(j))
		// The K logits of pixel j: rows j·K … j·K+K−1 of the output layer.
		w := m.Net.W[last][j*k*topWidth : (j+1)*k*topWidth]
		tensor.MulXWt(logits, top[:n*topWidth], w, n, topWidth, k)
		b := m.Net.B[last][j*k : (j+1)*k]
		for i := range n {
			row := logits[i*k : (i+1)*k]
			for q := range row {
				row[q] += b[q]
			}
			m.Net.Output.Forward(row, row)
			v := Value(drawLevel(row, r.Float64()), k)
			in[i*P+j], x[i*P+j] = v, v
		}
	}
}

// unitsUpTo computes, in every hidden layer, the units of degree ≤ d not
// computed yet, from in (n, Pixels) where pixels 0..d−1 are known. A run of
// units is computed by the dense product and activation of the training
// forward pass, restricted to its rows.
func (m *Model) unitsUpTo(in []float32, n int, d int32) {
	below, width := in[:n*model.Pixels], model.Pixels
	for l, deg := range m.deg {
		lo := m.done[l]
		hi := lo
		for hi < len(deg) && deg[hi] <= d {
			hi++
		}
		h := m.Net.Sizes[l+1]
		if hi > lo {
			run := hi - lo
			y := m.tmp[:n*run]
			net := m.Net
			tensor.MulXWt(y, below, net.W[l][lo*width:hi*width], n, width, run)
			for i := range n {
				row := y[i*run : (i+1)*run]
				for u := range row {
					row[u] += net.B[l][lo+u]
				}
				net.Hidden.Forward(row, row)
				copy(m.sh[l][i*h+lo:i*h+hi], row)
			}
			m.done[l] = hi
		}
		below, width = m.sh[l][:n*h], h
	}
}
