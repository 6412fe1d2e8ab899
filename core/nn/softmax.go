package nn

import "math"

// SoftmaxForward stores in y the softmax of each row of k logits of x,
// e^{x_j} / Σ_q e^{x_q}, computed after subtracting the row's largest logit
// so that nothing overflows; y may be x.
//
// x, y (rows, k)
func SoftmaxForward(y, x []float32, k int) {
	y = y[:len(x)]
	for r := 0; r+k <= len(x); r += k {
		row, out := x[r:r+k], y[r:r+k]
		top := row[0]
		for _, v := range row[1:] {
			top = max(top, v)
		}
		var z float64
		for j, v := range row {
			e := math.Exp(float64(v - top))
			out[j] = float32(e)
			z += e
		}
		inv := float32(1 / z)
		for j := range out {
			out[j] *= inv
		}
	}
}

// SoftmaxBackward stores in dx the gradient with respect to the logits
// given dy, the gradient with respect to the probabilities y = softmax(x)
// of each row of k:
//
//	dx_j = y_j · (dy_j − Σ_q y_q·dy_q)
//
// dx may be dy.
//
// dx, dy, y (rows, k)
func SoftmaxBackward(dx, dy, y []float32, k int) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for r := 0; r+k <= len(y); r += k {
		yr, dyr, dxr := y[r:r+k], dy[r:r+k], dx[r:r+k]
		var dot float32
		for j, v := range yr {
			dot += v * dyr[j]
		}
		for j, v := range yr {
			dxr[j] = v * (dyr[j] - dot)
		}
	}
}

// SoftmaxCrossEntropy returns the cross-entropy of the targets t under the
// softmax of each example's logits, averaged over the n examples:
//
//	L = (1/n) Σ_r −log softmax(l_r)[t_r] = (1/n) Σ_r log Σ_q e^{l_rq} − l_{r,t_r}
//
// in float64 after subtracting each row's largest logit, so that nothing
// overflows. Unless dl is nil it stores ∂L/∂l = (softmax(l_r) − onehot(t_r))/n
// in dl. Each target must be below k = len(l)/n.
//
// l, dl (n, k); t (n)
func SoftmaxCrossEntropy(dl, l []float32, t []uint8, n int) float64 {
	k := len(l) / n
	if dl != nil {
		dl = dl[:len(l)]
	}
	inv := 1 / float64(n)
	var sum float64
	for r, c := range t[:n] {
		row := l[r*k : r*k+k]
		top := row[0]
		for _, v := range row[1:] {
			top = max(top, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - top))
		}
		logZ := math.Log(z)
		sum += logZ - float64(row[c]-top)
		if dl != nil {
			d := dl[r*k : r*k+k]
			for j, v := range row {
				d[j] = float32(math.Exp(float64(v-top)-logZ) * inv)
			}
			d[c] -= float32(inv)
		}
	}
	return sum * inv
}
