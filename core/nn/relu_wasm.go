//go:build wasm && goexperiment.simd

package nn

import (
	"simd/archsimd"
	"unsafe"
)

// In wasm the ReLU runs four lanes at a time: the scalar max is a call
// into the runtime there. f32x4.max is IEEE maximum, as Go's max: NaN
// stays NaN and max(−0, 0) is 0, so the bits are the scalar loop's.

func reluForward(y, x []float32) {
	n := len(x) &^ 3
	if n > 0 {
		_ = y[n-1]
		px, py := unsafe.Pointer(&x[0]), unsafe.Pointer(&y[0])
		var zero archsimd.Float32x4
		for k := 0; k < n*4; k += 16 {
			load(px, k).Max(zero).StoreArray((*[4]float32)(unsafe.Add(py, k)))
		}
	}
	reluForwardScalar(y[n:], x[n:])
}

func reluBackward(dx, dy, y []float32) {
	n := len(y) &^ 3
	if n > 0 {
		_, _ = dx[n-1], dy[n-1]
		py, pdy, pdx := unsafe.Pointer(&y[0]), unsafe.Pointer(&dy[0]), unsafe.Pointer(&dx[0])
		var zero archsimd.Float32x4
		for k := 0; k < n*4; k += 16 {
			load(pdy, k).Masked(load(py, k).Greater(zero)).StoreArray((*[4]float32)(unsafe.Add(pdx, k)))
		}
	}
	reluBackwardScalar(dx[n:], dy[n:], y[n:])
}

func load(p unsafe.Pointer, off int) archsimd.Float32x4 {
	return archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(p, off)))
}
