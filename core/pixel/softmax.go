package pixel

import (
	"math"

	"latentlab/core/model"
	"latentlab/core/nn"
)

// pixelNLL returns the negative log-likelihood of the levels of n digits
// under the K-way softmax of each pixel's logits, summed over pixels and
// averaged over the digits (nats per digit):
//
//	L = (1/n) Σ_i Σ_j −log softmax(l_ij)[level_ij]
//
// the softmax cross-entropy of nn.SoftmaxCrossEntropy over the n·Pixels
// rows of K logits, times Pixels. Unless dl is nil it stores the gradient
// of scale·L, scale·(softmax(l_ij) − onehot(level_ij))/n, in dl.
//
// l, dl (n, Pixels·K); levels (n, Pixels)
func pixelNLL(dl, l []float32, levels []uint8, n int, scale float32) float64 {
	rows := n * model.Pixels
	loss := nn.SoftmaxCrossEntropy(dl, l, levels[:rows], rows) * model.Pixels
	if dl != nil {
		s := scale * model.Pixels
		for i := range dl[:len(l)] {
			dl[i] *= s
		}
	}
	return loss
}

// drawLevel draws a level from the softmax of logits (at most 256 of them)
// by inversion: the first q whose cumulative probability exceeds u, a
// uniform draw in [0, 1).
func drawLevel(logits []float32, u float64) int {
	var e [256]float64
	top := float64(logits[0])
	for _, v := range logits[1:] {
		top = max(top, float64(v))
	}
	var z float64
	for q, v := range logits {
		e[q] = math.Exp(float64(v) - top)
		z += e[q]
	}
	target := u * z
	var acc float64
	for q := range logits {
		acc += e[q]
		if target < acc {
			return q
		}
	}
	return len(logits) - 1
}
