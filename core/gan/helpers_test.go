package gan_test

import (
	"math"
	"math/rand/v2"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/tensor"
)

// images returns the first n digits of s as rows of pixels.
func images(s *data.Set, n int) []float32 {
	x := make([]float32, n*model.Pixels)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	s.Fill(x, nil, idx)
	return x
}

// samples returns n digits the model generates from its prior, drawn with
// a fixed seed.
func samples(g model.Generator, c model.Config, n int) []float32 {
	r := rand.New(rand.NewPCG(9, 9))
	z := make([]float32, c.Batch*c.Latent)
	x := make([]float32, n*model.Pixels)
	for lo := 0; lo < n; lo += c.Batch {
		k := min(c.Batch, n-lo)
		g.SamplePrior(z, k, r)
		g.Decode(x[lo*model.Pixels:(lo+k)*model.Pixels], z, k)
	}
	return x
}

// quality measures generated digits x (n rows) against real ones ref (m
// rows): the mean squared distance per pixel from each generated digit to
// its nearest real one (low when the samples look like digits), and how
// many of the ten digit classes the samples cover, a sample taking the
// class of its nearest real digit and a class counting when at least 3 %
// of the samples take it (high when they are varied).
func quality(x []float32, n int, ref []float32, labels []uint8, m int) (dist float64, classes int) {
	dots := make([]float32, m)
	norms := make([]float64, m)
	for j := range m {
		for _, v := range ref[j*model.Pixels : (j+1)*model.Pixels] {
			norms[j] += float64(v) * float64(v)
		}
	}
	var count [10]int
	for i := range n {
		row := x[i*model.Pixels : (i+1)*model.Pixels]
		tensor.MulXWt(dots, row, ref, 1, model.Pixels, m)
		var self float64
		for _, v := range row {
			self += float64(v) * float64(v)
		}
		best, bestD := 0, math.Inf(1)
		for j, d := range dots {
			if e := self + norms[j] - 2*float64(d); e < bestD {
				best, bestD = j, e
			}
		}
		dist += bestD / model.Pixels
		count[labels[best]]++
	}
	for _, k := range count {
		if float64(k) >= 0.03*float64(n) {
			classes++
		}
	}
	return dist / float64(n), classes
}

// finite reports whether every loss is a finite number.
func finite(l model.Losses) bool {
	for _, v := range l {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// bce returns Σ −x·log p − (1−x)·log(1−p), p clamped away from 0 and 1.
func bce(x, p []float32) float64 {
	var sum float64
	for i, v := range x {
		q := min(max(float64(p[i]), 1e-7), 1-1e-7)
		sum -= float64(v)*math.Log(q) + (1-float64(v))*math.Log(1-q)
	}
	return sum
}
