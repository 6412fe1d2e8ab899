//go:build js && wasm

package main

import "latentlab/core/project"

// fitPCA fits the two principal axes of the rows (rows, dim) of x (see
// package project) and returns the projection onto them: proj(src, n)
// gives the (n, 2) coordinates of n rows of dim values.
func fitPCA(x []float32, rows, dim int) (func(src []float32, n int) []float32, error) {
	p, err := project.Fit(x, rows, dim, 2)
	if err != nil {
		return nil, err
	}
	return func(src []float32, n int) []float32 {
		out := make([]float32, 2*n)
		p.Project(out, src, n)
		return out
	}, nil
}
