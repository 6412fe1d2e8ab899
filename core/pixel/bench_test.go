package pixel

import (
	"testing"

	"latentlab/core/tensor"
)

// BenchmarkArchitectures measures the forward products of one batch of 100
// digits through the MADE of the "pixel" preset and through the
// state-to-state convolutions of one Row LSTM layer of 64 units (PixelRNN's
// row-by-row recurrence: 28 sequential rows, each 100·28 positions × 3·64
// inputs × 4·64 gates), with our dense kernel: the figures behind the
// package doc's choice of MADE.
func BenchmarkArchitectures(b *testing.B) {
	const n = 100
	run := func(name string, shapes [][3]int, repeat int) {
		var bufs [][3][]float32
		for _, s := range shapes {
			bufs = append(bufs, [3][]float32{make([]float32, s[0]*s[2]), make([]float32, s[0]*s[1]), make([]float32, s[2]*s[1])})
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for range repeat {
					for i, s := range shapes {
						tensor.MulXWt(bufs[i][0], bufs[i][1], bufs[i][2], s[0], s[1], s[2])
					}
				}
			}
		})
	}
	run("made-784-512-256-3136", [][3]int{{n, 784, 512}, {n, 512, 256}, {n, 256, 3136}}, 1)
	const h = 64
	run("rowlstm-64-state", [][3]int{{n * 28, 3 * h, 4 * h}}, 28)
}
