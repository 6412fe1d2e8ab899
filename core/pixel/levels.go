package pixel

import "math"

// Level returns the level, 0..k−1, of intensity v in [0, 1] among k levels:
// the nearest of the k evenly spaced intensities 0, 1/(k−1), …, 1, that is
// round(v·(k−1)), clamped to 0..k−1 (a NaN reads as 0).
//
// For a pixel byte b (v = b/255) no tie can occur, since 2·b·(k−1) is even
// and 255·(2q+1) odd: the level is the same on every platform. With k = 4
// the bytes 0–42 are level 0, 43–127 level 1, 128–212 level 2 and 213–255
// level 3; k = 2 thresholds at 128; k = 256 is the byte itself.
func Level(v float32, k int) int {
	q := math.Floor(float64(v)*float64(k-1) + 0.5)
	if !(q > 0) {
		return 0
	}
	return int(min(q, float64(k-1)))
}

// Value returns the intensity of level q among k, q/(k−1): the value a
// model's input holds for a pixel of that level, the value Sample writes and
// the page shows. Level(Value(q, k), k) = q.
func Value(q, k int) float32 {
	return float32(q) / float32(k-1)
}

// quantise stores the levels of x in levels and their values (Value) in xq,
// all of len(x).
func quantise(xq []float32, levels []uint8, x []float32, k int) {
	xq, levels = xq[:len(x)], levels[:len(x)]
	for i, v := range x {
		q := Level(v, k)
		levels[i] = uint8(q)
		xq[i] = Value(q, k)
	}
}
