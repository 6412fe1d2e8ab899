//go:build !goexperiment.simd || !(wasm || amd64)

package optim

func adamUpdate(params, g, m, v []float32, c adamCoef) { adamScalar(params, g, m, v, c) }
