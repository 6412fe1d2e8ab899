package nn

import "latentlab/core/tensor"

// LinearForward stores x·wᵀ + b in y.
//
// x (n,in), w (out,in), b (out), y (n,out)
func LinearForward(y, x, w, b []float32, n, in, out int) {
	tensor.MulXWt(y, x, w, n, in, out)
	b = b[:out]
	for i := 0; i < n; i++ {
		yi := y[i*out : i*out+out]
		for o, v := range b {
			yi[o] += v
		}
	}
}

// LinearBackward differentiates y = x·wᵀ + b: it adds dyᵀ·x to dw and the
// column sums of dy to db, and stores dy·w in dx unless dx is nil.
//
// dy (n,out), x (n,in), w (out,in); dx (n,in), dw (out,in), db (out)
func LinearBackward(dx, dw, db, dy, x, w []float32, n, in, out int) {
	tensor.AddDyTX(dw, dy, x, n, in, out)
	db = db[:out]
	for i := 0; i < n; i++ {
		for o, v := range dy[i*out : i*out+out] {
			db[o] += v
		}
	}
	if dx != nil {
		tensor.MulDyW(dx, dy, w, n, in, out)
	}
}
