package nn

import "math"

// BCEWithLogits returns the binary cross-entropy of targets t under
// probabilities σ(l), summed over each example's features and averaged over
// the n examples:
//
//	L = (1/n) Σ max(l,0) − l·t + log(1 + e^−|l|)
//
// which is −t·log σ(l) − (1−t)·log(1−σ(l)) without overflow or log(0).
// Unless dl is nil it stores ∂L/∂l = (σ(l) − t)/n in dl.
//
// l, t, dl (n,d)
func BCEWithLogits(dl, l, t []float32, n int) float64 {
	t = t[:len(l)]
	if dl != nil {
		dl = dl[:len(l)]
	}
	inv := 1 / float32(n)
	var sum float64
	for i, v := range l {
		loss, sig := bce(v, t[i])
		sum += loss
		if dl != nil {
			dl[i] = (sig - t[i]) * inv
		}
	}
	return sum / float64(n)
}

// BCEWithLogitsConst is BCEWithLogits with every target equal to t, as when
// a discriminator is told "real" (1) or "fake" (0).
func BCEWithLogitsConst(dl, l []float32, t float32, n int) float64 {
	if dl != nil {
		dl = dl[:len(l)]
	}
	inv := 1 / float32(n)
	var sum float64
	for i, v := range l {
		loss, sig := bce(v, t)
		sum += loss
		if dl != nil {
			dl[i] = (sig - t) * inv
		}
	}
	return sum / float64(n)
}

// bce returns max(l,0) − l·t + log(1 + e^−|l|) and σ(l), the two from one
// exponential: σ(l) is sigmoid's value bit for bit (it takes e^−l for
// l ≥ 0 and e^l below, both e^−|l|). The exponential and the logarithm
// were a tenth of the small model's step in wasm, sigmoid's own
// exponential a third of that.
func bce(l, t float32) (float64, float32) {
	v := float64(l)
	e := math.Exp(-math.Abs(v))
	pos := 0.0 // max(v, 0), which is a runtime call in wasm
	if v > 0 {
		pos = v
	}
	loss := pos - v*float64(t) + math.Log1p(e)
	if l >= 0 {
		return loss, float32(1 / (1 + e))
	}
	return loss, float32(e / (1 + e))
}

// MSE returns the squared error of y against t, summed over each example's
// features and averaged over the n examples:
//
//	L = (1/n) Σ (y − t)²
//
// Unless dy is nil it stores ∂L/∂y = 2(y − t)/n in dy.
//
// y, t, dy (n,d)
func MSE(dy, y, t []float32, n int) float64 {
	t = t[:len(y)]
	if dy != nil {
		dy = dy[:len(y)]
	}
	inv := 2 / float32(n)
	var sum float64
	for i, v := range y {
		e := v - t[i]
		sum += float64(e) * float64(e)
		if dy != nil {
			dy[i] = e * inv
		}
	}
	return sum / float64(n)
}
