package nn

import (
	"math"
	"math/rand/v2"
)

// DropoutMask fills mask with an inverted-dropout mask of rate p drawn from
// r: each entry is 0 with probability p and 1/(1−p) otherwise, so that
// x·mask has the expectation of x (PyTorch's nn.Dropout in training). p
// must be in [0, 1). Each uniform draw is 32 bits; one r.Uint64 gives two.
func DropoutMask(mask []float32, p float64, r *rand.Rand) {
	if !(p >= 0 && p < 1) {
		panic("nn: dropout rate outside [0, 1)")
	}
	drop := uint32(min(math.Round(p*(1<<32)), math.MaxUint32)) // draws below it are dropped
	keep := float32(1 / (1 - p))
	val := func(u uint32) float32 {
		if u < drop {
			return 0
		}
		return keep
	}
	i := 0
	for ; i+1 < len(mask); i += 2 {
		u := r.Uint64()
		mask[i], mask[i+1] = val(uint32(u)), val(uint32(u>>32))
	}
	if i < len(mask) {
		mask[i] = val(uint32(r.Uint64()))
	}
}

// DropoutForward stores x·mask in y (y may be x). Dropout's backward is the
// same product: dx = dy·mask.
func DropoutForward(y, x, mask []float32) {
	y, mask = y[:len(x)], mask[:len(x)]
	for i, v := range x {
		y[i] = v * mask[i]
	}
}
