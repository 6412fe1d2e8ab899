//go:build !amd64

package tensor

// kernels: everywhere but amd64 (wasm above all) the pure-Go kernels.
var kernels = portable
