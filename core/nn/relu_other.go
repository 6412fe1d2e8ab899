//go:build !(wasm && goexperiment.simd)

package nn

func reluForward(y, x []float32)       { reluForwardScalar(y, x) }
func reluBackward(dx, dy, y []float32) { reluBackwardScalar(dx, dy, y) }
