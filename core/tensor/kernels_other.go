//go:build !amd64 && !(wasm && goexperiment.simd)

package tensor

// kernels: everywhere but amd64 (wasm above all) the pure-Go kernels.
var kernels, kernelName = portable, "pure Go"

// kernelSets are the sets this build can run, for the tests.
var kernelSets = map[string]kernelSet{"portable": portable}
