//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall/js"

	"latentlab/core/model"
	"latentlab/core/project"
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
	maxTraverse  = 16 // a traversal grid is at most 16×16 decodes
	interpFrames = 10 // decodes from one code to the other, both included
)

// fitPlane returns how the codes (n, lat) are put on the plot, with its
// name: "direct" for a code of one or two values, "pca" (their two
// principal axes) when view is "pca", else "axes": two of the code's
// dimensions, view "axes:i,j" (0-based; "first" or anything else: 0 and 1).
// A PCA that fails falls back to the first two axes, with the error.
func (b *bridge) fitPlane(codes []float32, n, lat int, view string) (*project.Projection, string, error) {
	if lat <= 2 {
		axes := []int{0, 1}[:lat]
		p, err := project.Axes(codes, n, lat, axes...)
		return p, "direct", err
	}
	var failed error
	if view == "pca" {
		p, err := project.Fit(codes, n, lat, 2)
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
	p, err := project.Axes(codes, n, lat, i, j)
	if err != nil {
		return nil, "", err
	}
	return p, "axes", failed
}

// onPlane returns the plot coordinates (n, 2) of the codes (n, Dim); a
// plane of one axis gives 0 as the second.
func onPlane(p *project.Projection, z []float32, n int) []float32 {
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
func axesOf(p *project.Projection) []any {
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
func (b *bridge) codeAt(x, y float32) ([]float32, error) {
	lat := b.s.Model.Config().Latent
	z := make([]float32, lat)
	switch p := b.views.plane; {
	case p != nil:
		p.Lift(z, p.Mean, []float32{x, y}[:p.K])
	case lat <= 2:
		copy(z, []float32{x, y}[:lat])
	default:
		return nil, errors.New("nothing plotted yet: the first snapshot puts the codes on the plot")
	}
	return z, nil
}

// explorer returns the session's model as an Encoder and Generator, which
// the exploration views need, and args read as want finite numbers
// (numbers; want < 0: args left alone), or an error saying what is
// lacking.
func (b *bridge) explorer(name string, args []js.Value, want int) (model.Encoder, model.Generator, []float64, error) {
	s, err := b.session()
	if err != nil {
		return nil, nil, nil, err
	}
	enc, ok1 := s.Model.(model.Encoder)
	gen, ok2 := s.Model.(model.Generator)
	if !ok1 || !ok2 {
		return nil, nil, nil, errors.New("this model has no encoder and decoder to explore its codes with")
	}
	if want < 0 {
		return enc, gen, nil, nil
	}
	v, err := numbers(name, args, want)
	return enc, gen, v, err
}

// numbers reads args as n finite numbers, or says what name wants.
func numbers(name string, args []js.Value, n int) ([]float64, error) {
	if len(args) != n {
		return nil, fmt.Errorf("%s wants %d numbers, got %d arguments", name, n, len(args))
	}
	out := make([]float64, n)
	for i, a := range args {
		if a.Type() != js.TypeNumber || math.IsNaN(a.Float()) || math.IsInf(a.Float(), 0) {
			return nil, fmt.Errorf("%s: argument %d is not a finite number", name, i+1)
		}
		out[i] = a.Float()
	}
	return out, nil
}

// decodeAt(x, y) → {pixels, x, y}: the digit the decoder draws from the code
// of point (x, y) of the latent plot (codeAt).
func (b *bridge) decodeAt(args []js.Value) (any, error) {
	_, gen, v, err := b.explorer("decodeAt", args, 2)
	if err != nil {
		return nil, err
	}
	z, err := b.codeAt(float32(v[0]), float32(v[1]))
	if err != nil {
		return nil, err
	}
	px := make([]float32, model.Pixels)
	gen.Decode(px, z, 1)
	return map[string]any{"pixels": pixelsToJS(px), "x": v[0], "y": v[1]}, nil
}

// traverse(n, range) → {pixels, n, range}: an n×n grid of the digits
// decoded from the plot's points over [−range, range]² (codeAt), the top
// row at y = +range, the left column at x = −range: the decoder's manifold
// over the plot.
func (b *bridge) traverse(args []js.Value) (any, error) {
	_, gen, v, err := b.explorer("traverse", args, 2)
	if err != nil {
		return nil, err
	}
	n, r := int(v[0]), float32(v[1])
	if float64(n) != v[0] || n < 2 || n > maxTraverse || !(r > 0) {
		return nil, fmt.Errorf("traverse wants a grid of 2 to %d and a positive range, got %v and %v", maxTraverse, v[0], v[1])
	}
	c := b.s.Model.Config()
	z := make([]float32, n*n*c.Latent)
	for row := range n {
		y := r - 2*r*float32(row)/float32(n-1)
		for col := range n {
			x := -r + 2*r*float32(col)/float32(n-1)
			zi, err := b.codeAt(x, y)
			if err != nil {
				return nil, err
			}
			copy(z[(row*n+col)*c.Latent:], zi)
		}
	}
	px := decodeAll(gen, z, n*n, c.Latent, c.Batch)
	return map[string]any{"pixels": pixelsToJS(px), "n": n, "range": v[1]}, nil
}

// interpolate(i, j) → {pixels, path}: interpFrames digits decoded from
// codes evenly spaced from test digit i's code to test digit j's (both of
// the plotted ones), and where each code lies on the plot (path, 2 values
// a frame).
func (b *bridge) interpolate(args []js.Value) (any, error) {
	enc, gen, v, err := b.explorer("interpolate", args, 2)
	if err != nil {
		return nil, err
	}
	if _, ok := b.s.Model.(model.Reconstructor); ok {
		return nil, errors.New("this model's decoder takes a class beside the code, so its codes alone do not interpolate")
	}
	x, _ := b.testDigits()
	n := len(x) / model.Pixels
	i, j := int(v[0]), int(v[1])
	if float64(i) != v[0] || float64(j) != v[1] || i < 0 || j < 0 || i >= n || j >= n {
		return nil, fmt.Errorf("interpolate wants two test digits in 0..%d, got %v and %v", n-1, v[0], v[1])
	}
	lat := b.s.Model.Config().Latent
	ends := make([]float32, 2*lat)
	pair := make([]float32, 2*model.Pixels)
	copy(pair, x[i*model.Pixels:(i+1)*model.Pixels])
	copy(pair[model.Pixels:], x[j*model.Pixels:(j+1)*model.Pixels])
	enc.Encode(ends, pair, 2)
	z := make([]float32, interpFrames*lat)
	for f := range interpFrames {
		t := float32(f) / (interpFrames - 1)
		for d := range lat {
			z[f*lat+d] = (1-t)*ends[d] + t*ends[lat+d]
		}
	}
	px := decodeAll(gen, z, interpFrames, lat, b.s.Model.Config().Batch)
	r := map[string]any{"pixels": pixelsToJS(px), "frames": interpFrames}
	if p := b.views.plane; p != nil {
		r["path"] = float32sToJS(onPlane(p, z, interpFrames))
	}
	return r, nil
}

// encodeDigit(pixels) → {recon, point, probs}: a digit a person drew (784
// bytes, 0 blank to 255 ink, row by row) through the model: its
// reconstruction, where its code lies on the plot (once a snapshot has
// plotted codes), and the class probabilities of a model.Classifier.
func (b *bridge) encodeDigit(args []js.Value) (any, error) {
	enc, _, _, err := b.explorer("encodeDigit", args, -1)
	if err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, errors.New("encodeDigit wants the drawn digit's 784 bytes")
	}
	raw, err := bytesFromJS(args[0])
	if err != nil {
		return nil, fmt.Errorf("encodeDigit: %v", err)
	}
	if len(raw) != model.Pixels {
		return nil, fmt.Errorf("encodeDigit wants %d bytes (28×28), got %d", model.Pixels, len(raw))
	}
	x := make([]float32, model.Pixels)
	for i, v := range raw {
		x[i] = float32(v) / 255
	}
	r := map[string]any{}
	xhat := make([]float32, model.Pixels)
	b.s.ReconstructRows(xhat, x, 1)
	r["recon"] = pixelsToJS(xhat)
	if p := b.views.plane; p != nil {
		z := make([]float32, b.s.Model.Config().Latent)
		enc.Encode(z, x, 1)
		r["point"] = float32sToJS(onPlane(p, z, 1))
	}
	if cl, ok := b.s.Model.(model.Classifier); ok {
		probs := make([]float32, cl.Classes())
		cl.Classify(probs, x, 1)
		r["probs"] = float32sToJS(probs)
	}
	return r, nil
}
