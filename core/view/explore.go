package view

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"latentlab/core/model"
	"latentlab/core/pca"
)

// Latent exploration: the page decodes the point under the pointer on the
// latent plot, a grid of decodes over the plot (the decoder's manifold),
// steps between two test digits' codes, and encodes a digit a person draws.
// Every point of the plot stands for one code: the plane of the last
// snapshot's projection (fitPlane) through the plotted codes' mean
// (codeAt), so that a hover, the grid and a drawn digit's marker all agree
// with what is plotted.

// Sizes of the exploration views.
const (
	MaxTraverse  = 16 // a traversal grid is at most 16×16 decodes
	InterpFrames = 10 // decodes from one code to the other, both included
)

// fitPlane returns how the codes (n, lat) are put on the plot, with its
// name: "direct" for a code of one or two values, "pca" (their two
// principal axes) when view is "pca", else "axes": two of the code's
// dimensions, view "axes:i,j" (0-based; "first" or anything else: 0 and 1).
// A PCA that fails falls back to the first two axes, with the error.
func fitPlane(codes []float32, n, lat int, view string) (*pca.Projection, string, error) {
	if lat <= 2 {
		axes := []int{0, 1}[:lat]
		p, err := pca.Axes(codes, n, lat, axes...)
		return p, "direct", err
	}
	var failed error
	if view == "pca" {
		p, err := pca.Fit(codes, n, lat, 2)
		if err == nil {
			return p, "pca", nil
		}
		failed = err
	}
	i, j := 0, 1
	if a, ok := strings.CutPrefix(view, "axes:"); ok && failed == nil {
		x, y, _ := strings.Cut(a, ",")
		ii, err1 := strconv.Atoi(x)
		jj, err2 := strconv.Atoi(y)
		if err1 == nil && err2 == nil && ii >= 0 && jj >= 0 && ii < lat && jj < lat && ii != jj {
			i, j = ii, jj
		}
	}
	p, err := pca.Axes(codes, n, lat, i, j)
	if err != nil {
		return nil, "", err
	}
	return p, "axes", failed
}

// onPlane returns the plot coordinates (n, 2) of the codes (n, Dim); a
// plane of one axis gives 0 as the second.
func onPlane(p *pca.Projection, z []float32, n int) []float32 {
	out := make([]float32, 2*n)
	if p.K == 2 {
		p.Project(out, z, n)
		return out
	}
	one := make([]float32, n)
	p.Project(one, z, n)
	for i, v := range one {
		out[2*i] = v
	}
	return out
}

// axesOf returns the two code dimensions a plane of axes plots.
func axesOf(p *pca.Projection) []any {
	out := []any{}
	for c := range p.K {
		for j, w := range p.Components[c*p.Dim : (c+1)*p.Dim] {
			if w == 1 {
				out = append(out, j)
			}
		}
	}
	return out
}

// codeAt returns the code that point (x, y) of the latent plot stands for:
// on the plane of the last snapshot's projection, through the plotted
// codes' mean. Before the first snapshot a code of one or two values is
// (x, y) itself.
func (v *Views) codeAt(x, y float32) ([]float32, error) {
	lat := v.s.Model.Config().Latent
	z := make([]float32, lat)
	switch p := v.plane; {
	case p != nil:
		p.Lift(z, p.Mean, []float32{x, y}[:p.K])
	case lat <= 2:
		copy(z, []float32{x, y}[:lat])
	default:
		return nil, errors.New("nothing plotted yet: the first snapshot puts the codes on the plot")
	}
	return z, nil
}

// explorer returns the model as an Encoder and Generator, which the
// exploration views need, or an error saying it lacks them.
func (v *Views) explorer() (model.Encoder, model.Generator, error) {
	enc, ok1 := v.s.Model.(model.Encoder)
	gen, ok2 := v.s.Model.(model.Generator)
	if !ok1 || !ok2 {
		return nil, nil, errors.New("this model has no encoder and decoder to explore its codes with")
	}
	return enc, gen, nil
}

// DecodeAt returns {pixels, x, y}: the digit the decoder draws from the
// code of point (x, y) of the latent plot (codeAt).
func (v *Views) DecodeAt(x, y float64) (Result, error) {
	_, gen, err := v.explorer()
	if err != nil {
		return nil, err
	}
	z, err := v.codeAt(float32(x), float32(y))
	if err != nil {
		return nil, err
	}
	px := make(Pixels, model.Pixels)
	gen.Decode(px, z, 1)
	return Result{"pixels": px, "x": x, "y": y}, nil
}

// Traverse returns {pixels, n, range}: an n×n grid of the digits decoded
// from the plot's points over [−r, r]² (codeAt), the top row at y = +r,
// the left column at x = −r: the decoder's manifold over the plot. n is a
// whole number from 2 to MaxTraverse, r positive.
func (v *Views) Traverse(nf, rf float64) (Result, error) {
	_, gen, err := v.explorer()
	if err != nil {
		return nil, err
	}
	n, r := int(nf), float32(rf)
	if float64(n) != nf || n < 2 || n > MaxTraverse || !(r > 0) {
		return nil, fmt.Errorf("traverse wants a grid of 2 to %d and a positive range, got %v and %v", MaxTraverse, nf, rf)
	}
	c := v.s.Model.Config()
	z := make([]float32, n*n*c.Latent)
	for row := range n {
		y := r - 2*r*float32(row)/float32(n-1)
		for col := range n {
			x := -r + 2*r*float32(col)/float32(n-1)
			zi, err := v.codeAt(x, y)
			if err != nil {
				return nil, err
			}
			copy(z[(row*n+col)*c.Latent:], zi)
		}
	}
	return Result{"pixels": decodeAll(gen, z, n*n, c.Latent, c.Batch), "n": n, "range": rf}, nil
}

// Interpolate returns {pixels, frames, path}: InterpFrames digits decoded
// from codes evenly spaced from plotted test digit i's code to j's, and
// where each code lies on the plot (path, 2 values a frame, once a
// snapshot has plotted codes).
func (v *Views) Interpolate(fi, fj float64) (Result, error) {
	enc, gen, err := v.explorer()
	if err != nil {
		return nil, err
	}
	if _, ok := v.s.Model.(model.Reconstructor); ok {
		return nil, errors.New("this model's decoder takes a class beside the code, so its codes alone do not interpolate")
	}
	x, _ := v.testDigits()
	n := len(x) / model.Pixels
	i, j := int(fi), int(fj)
	if float64(i) != fi || float64(j) != fj || i < 0 || j < 0 || i >= n || j >= n {
		return nil, fmt.Errorf("interpolate wants two test digits in 0..%d, got %v and %v", n-1, fi, fj)
	}
	c := v.s.Model.Config()
	lat := c.Latent
	ends := make([]float32, 2*lat)
	pair := make([]float32, 2*model.Pixels)
	copy(pair, x[i*model.Pixels:(i+1)*model.Pixels])
	copy(pair[model.Pixels:], x[j*model.Pixels:(j+1)*model.Pixels])
	enc.Encode(ends, pair, 2)
	z := make([]float32, InterpFrames*lat)
	for f := range InterpFrames {
		t := float32(f) / (InterpFrames - 1)
		for d := range lat {
			z[f*lat+d] = (1-t)*ends[d] + t*ends[lat+d]
		}
	}
	r := Result{"pixels": decodeAll(gen, z, InterpFrames, lat, c.Batch), "frames": InterpFrames}
	if p := v.plane; p != nil {
		r["path"] = onPlane(p, z, InterpFrames)
	}
	return r, nil
}

// EncodeDigit puts a digit a person drew (model.Pixels bytes, 0 blank to
// 255 ink, row by row) through the model and returns {recon, point,
// probs}: its reconstruction, where its code lies on the plot (once a
// snapshot has plotted codes), and the class probabilities of a
// model.Classifier.
func (v *Views) EncodeDigit(raw []byte) (Result, error) {
	enc, _, err := v.explorer()
	if err != nil {
		return nil, err
	}
	if len(raw) != model.Pixels {
		return nil, fmt.Errorf("encodeDigit wants %d bytes (28×28), got %d", model.Pixels, len(raw))
	}
	x := make([]float32, model.Pixels)
	for i, b := range raw {
		x[i] = float32(b) / 255
	}
	s := v.s
	xhat := make(Pixels, model.Pixels)
	s.ReconstructRows(xhat, x, 1)
	r := Result{"recon": xhat}
	if p := v.plane; p != nil {
		z := make([]float32, s.Model.Config().Latent)
		enc.Encode(z, x, 1)
		r["point"] = onPlane(p, z, 1)
	}
	if cl, ok := s.Model.(model.Classifier); ok {
		probs := make([]float32, cl.Classes())
		cl.Classify(probs, x, 1)
		r["probs"] = probs
	}
	return r, nil
}
