//go:build js && wasm

package main

import "errors"

// fitPCA fits the two principal axes of the rows (rows, dim) of x and
// returns the projection onto them: proj(src, n) gives the (n, 2)
// coordinates of n rows of dim values.
func fitPCA(x []float32, rows, dim int) (func(src []float32, n int) []float32, error) {
	return nil, errors.New("PCA is not available yet (core/project)")
}
