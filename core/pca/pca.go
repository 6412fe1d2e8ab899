// Package pca implements principal component analysis (PCA), to draw
// rows of many values on a 2-D plot: the codes of a model whose latent has
// more than two dimensions, and the raw pixels of test digits beside the
// 2-D codes of an adversarial autoencoder, the comparison of the AAE
// paper's §8 (dimensionality reduction; Makhzani et al. 2015, arXiv
// 1511.05644).
//
// Fit finds the k directions of largest variance of a set of rows and
// Project maps rows onto them. The linear algebra is gonum's (pure Go, so it
// runs in WebAssembly): the sample covariance by a symmetric rank-k update
// and all its eigenvectors (mat.EigenSym) when the rows have at most
// DirectDim values; for wider rows, the leading eigenvectors alone, by
// subspace iteration with a Rayleigh–Ritz step on the centred data Xc
// (multiplying by Xcᵀ(Xc·Q), never forming the covariance; mat.EigenSym of
// a small matrix). A full eigendecomposition of the 784×784 covariance of
// MNIST's pixels takes seconds natively, forming the covariance alone
// about a second in WebAssembly; the iteration a fraction of either.
//
// The sign of a principal direction is arbitrary, so Fit fixes it: the
// entry of largest magnitude of each component is positive (the first such
// entry on a tie). Refitting on similar data (the next snapshot's codes)
// then gives a plot that does not flip.
package pca

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DirectDim is the largest row width for which Fit decomposes the whole
// covariance; wider rows use subspace iteration.
const DirectDim = 64

// Subspace iteration: extra directions iterated beside the k wanted (they
// speed up the convergence of the last wanted ones), the relative residual
// ‖Cv − λv‖ / λ₁ at which a direction counts as converged, and the most
// iterations before Fit settles for what it has.
const (
	extraDirs = 8
	tolerance = 1e-9
	maxIter   = 1000
)

// Projection is the result of a PCA: the rows' mean, and the K principal
// directions in order of decreasing variance.
type Projection struct {
	Dim, K int
	// Mean (Dim) is the mean row.
	Mean []float64
	// Components (K, Dim) holds the principal directions, unit vectors,
	// one per row, the largest entry of each positive.
	Components []float64
	// Variance (K) is the sample variance (normalised by rows−1) of the
	// data along each component.
	Variance []float64
}

// Fit returns the projection onto the k principal components of the rows
// (rows, dim) of x. It needs at least two rows, 1 ≤ k ≤ dim, and finite
// values.
func Fit(x []float32, rows, dim, k int) (*Projection, error) {
	switch {
	case dim < 1 || k < 1 || k > dim:
		return nil, fmt.Errorf("pca: %d components of rows of %d values", k, dim)
	case rows < 2:
		return nil, fmt.Errorf("pca: PCA needs at least 2 rows, not %d", rows)
	case len(x) < rows*dim:
		return nil, fmt.Errorf("pca: %d values for %d rows of %d", len(x), rows, dim)
	}
	p := &Projection{Dim: dim, K: k, Mean: make([]float64, dim)}
	for _, v := range x[:rows*dim] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, errors.New("pca: the rows hold a NaN or an infinity")
		}
	}
	for i := range rows {
		for j, v := range x[i*dim : (i+1)*dim] {
			p.Mean[j] += float64(v)
		}
	}
	for j := range p.Mean {
		p.Mean[j] /= float64(rows)
	}
	// The centred data (rows, dim).
	xc := mat.NewDense(rows, dim, nil)
	raw := xc.RawMatrix()
	for i := range rows {
		row := raw.Data[i*raw.Stride : i*raw.Stride+dim]
		for j, v := range x[i*dim : (i+1)*dim] {
			row[j] = float64(v) - p.Mean[j]
		}
	}
	var vecs *mat.Dense
	var vals []float64
	var ok bool
	if dim <= DirectDim {
		vecs, vals, ok = eigen(covariance(xc))
	} else {
		// A·Q = Xcᵀ(Xc·Q)/(rows−1), without forming the covariance A.
		y := mat.NewDense(rows, min(dim, k+extraDirs), nil)
		apply := func(dst, q *mat.Dense) {
			y.Mul(xc, q)
			dst.Mul(xc.T(), y)
			dst.Scale(1/float64(rows-1), dst)
		}
		vecs, vals, ok = leading(apply, dim, min(dim, k+extraDirs))
	}
	if !ok {
		return nil, errors.New("pca: the eigendecomposition of the covariance failed")
	}
	p.Components = make([]float64, k*dim)
	p.Variance = make([]float64, k)
	for c := range k {
		v := p.Components[c*dim : (c+1)*dim]
		mat.Col(v, c, vecs)
		fixSign(v)
		p.Variance[c] = max(vals[c], 0)
	}
	return p, nil
}

// covariance returns the sample covariance XcᵀXc/(rows−1) of the centred
// rows xc (rows, dim).
func covariance(xc *mat.Dense) *mat.SymDense {
	rows, dim := xc.Dims()
	cov := mat.NewSymDense(dim, nil)
	cov.SymOuterK(1/float64(rows-1), xc.T())
	return cov
}

// eigen returns all eigenvectors of a (as columns) and eigenvalues, in
// order of decreasing eigenvalue.
func eigen(a mat.Symmetric) (*mat.Dense, []float64, bool) {
	var e mat.EigenSym
	if !e.Factorize(a, true) {
		return nil, nil, false
	}
	var v mat.Dense
	e.VectorsTo(&v)
	vals := e.Values(nil)
	return descending(&v, vals), vals, true
}

// descending reverses the columns of v and the values vals (EigenSym's
// ascending order) in place and returns v.
func descending(v *mat.Dense, vals []float64) *mat.Dense {
	slices.Reverse(vals)
	r, c := v.Dims()
	col, other := make([]float64, r), make([]float64, r)
	for j := range c / 2 {
		mat.Col(col, j, v)
		mat.Col(other, c-1-j, v)
		v.SetCol(j, other)
		v.SetCol(c-1-j, col)
	}
	return v
}

// leading returns b orthonormal vectors spanning (approximately) the
// leading eigenvectors of the symmetric dim×dim matrix A that apply
// multiplies by (apply(dst, q) stores A·q in dst (dim, b)), as columns in order of decreasing Ritz value,
// and those values, by subspace iteration: Q ← orth(AQ), with a
// Rayleigh–Ritz step each iteration. It stops when the first b−extraDirs
// (at least one) have residuals below tolerance·λ₁, or after maxIter
// iterations. The starting block is drawn from a fixed seed, so a fit is
// reproducible.
func leading(apply func(dst, q *mat.Dense), dim, b int) (*mat.Dense, []float64, bool) {
	want := max(b-extraDirs, 1)
	r := rand.New(rand.NewPCG(1, 2))
	q := mat.NewDense(dim, b, nil)
	orth(q, r) // all columns zero: a random orthonormal start
	w, h, hs := mat.NewDense(dim, b, nil), mat.NewDense(b, b, nil), mat.NewSymDense(b, nil)
	var qv, res mat.Dense
	col, qc := make([]float64, dim), make([]float64, dim)
	for it := 0; ; it++ {
		apply(w, q)     // AQ (dim, b)
		h.Mul(q.T(), w) // QᵀAQ (b, b), symmetric up to rounding
		for i := range b {
			for j := i; j < b; j++ {
				hs.SetSym(i, j, (h.At(i, j)+h.At(j, i))/2)
			}
		}
		v, vals, ok := eigen(hs)
		if !ok {
			return nil, nil, false
		}
		qv.Mul(q, v) // the Ritz vectors
		// Their residuals A·q_i − λ_i·q_i = (AQ)v_i − λ_i·(Qv_i).
		res.Mul(w, v)
		done := true
		scale := math.Max(math.Abs(vals[0]), math.SmallestNonzeroFloat64)
		for i := range want {
			mat.Col(col, i, &res)
			mat.Col(qc, i, &qv)
			floats.AddScaled(col, -vals[i], qc)
			if floats.Norm(col, 2) > tolerance*scale {
				done = false
				break
			}
		}
		if done || it+1 >= maxIter {
			return &qv, vals, true
		}
		q.Copy(w)
		orth(q, r)
	}
}

// orth makes the columns of m (dim, b), dim ≥ b, orthonormal by
// Gram–Schmidt (each column orthogonalised twice against the ones before
// it). A column that (nearly) lies in the span of those before it, a zero
// one among them, is replaced by a random direction drawn with r.
func orth(m *mat.Dense, r *rand.Rand) {
	_, b := m.Dims()
	cols := make([][]float64, b)
	for j := range b {
		v := mat.Col(nil, j, m)
		for {
			n0 := floats.Norm(v, 2)
			for range 2 {
				for _, u := range cols[:j] {
					floats.AddScaled(v, -floats.Dot(u, v), u)
				}
			}
			if n := floats.Norm(v, 2); n > 0 && n > 1e-8*n0 {
				floats.Scale(1/n, v)
				break
			}
			for i := range v {
				v[i] = r.NormFloat64()
			}
		}
		cols[j] = v
		m.SetCol(j, v)
	}
}

// fixSign negates v unless its entry of largest magnitude (the first of
// them) is positive.
func fixSign(v []float64) {
	best := 0
	for j, x := range v {
		if math.Abs(x) > math.Abs(v[best]) {
			best = j
		}
	}
	if v[best] < 0 {
		for j := range v {
			v[j] = -v[j]
		}
	}
}

// Project stores in dst (rows, K) the coordinates of the rows (rows, Dim)
// of src along the components: (src − Mean)·Componentsᵀ. It allocates
// nothing.
func (p *Projection) Project(dst, src []float32, rows int) {
	dst, src = dst[:rows*p.K], src[:rows*p.Dim]
	for i := range rows {
		row := src[i*p.Dim : (i+1)*p.Dim]
		for c := range p.K {
			comp := p.Components[c*p.Dim : (c+1)*p.Dim]
			var s float64
			for j, v := range row {
				s += (float64(v) - p.Mean[j]) * comp[j]
			}
			dst[i*p.K+c] = float32(s)
		}
	}
}

// Axes returns the projection of rows of dim values onto their coordinate
// axes (a K of 1 or 2, each in [0, dim)): a row's coordinates are its
// values on those axes. Mean holds, on the other axes, the mean of the
// rows (rows, dim) of x (zero without rows), so that Lift from Mean moves
// through the plane of those axes at the rows' centre; on the chosen axes
// it is zero, so coordinates are the values themselves.
func Axes(x []float32, rows, dim int, axes ...int) (*Projection, error) {
	if len(axes) < 1 || len(axes) > 2 || (len(axes) == 2 && axes[0] == axes[1]) {
		return nil, fmt.Errorf("pca: axes %v: want one or two different axes", axes)
	}
	p := &Projection{Dim: dim, K: len(axes), Mean: make([]float64, dim), Components: make([]float64, len(axes)*dim), Variance: make([]float64, len(axes))}
	for c, a := range axes {
		if a < 0 || a >= dim {
			return nil, fmt.Errorf("pca: axis %d of rows of %d values", a, dim)
		}
		p.Components[c*dim+a] = 1
	}
	if rows > 0 {
		for i := range rows {
			for j, v := range x[i*dim : (i+1)*dim] {
				p.Mean[j] += float64(v)
			}
		}
		for j := range p.Mean {
			p.Mean[j] /= float64(rows)
		}
	}
	for _, a := range axes {
		p.Mean[a] = 0
	}
	return p, nil
}

// Lift stores in z (Dim values) the row whose coordinates are coords (K
// values) and whose part off the plane of the components is base's: z =
// base + Σ_c (coords_c − Project(base)_c)·Components_c. Project(Lift(...))
// gives coords back; Lift(Mean, coords) is the point of the plane through
// the rows' mean. It allocates nothing.
func (p *Projection) Lift(z []float32, base []float64, coords []float32) {
	z = z[:p.Dim]
	for j, v := range base[:p.Dim] {
		z[j] = float32(v)
	}
	for c := range p.K {
		comp := p.Components[c*p.Dim : (c+1)*p.Dim]
		var s float64
		for j, v := range base[:p.Dim] {
			s += (v - p.Mean[j]) * comp[j]
		}
		d := float64(coords[c]) - s
		for j, w := range comp {
			z[j] += float32(d * w)
		}
	}
}
