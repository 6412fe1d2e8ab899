package score

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Gaussian is a Gaussian fit N(Mean, Cov) of d-dimensional features, one
// side of a Fréchet distance.
type Gaussian struct {
	Mean []float64     // (d)
	Cov  *mat.SymDense // (d, d)

	sqrt *mat.SymDense // Cov^½, made by Sqrt on first use
}

// NewGaussian returns the Gaussian of mean (d) and covariance cov (d, d,
// row-major, symmetric). It panics if the sizes disagree.
func NewGaussian(mean, cov []float64) *Gaussian {
	d := len(mean)
	if len(cov) != d*d {
		panic(fmt.Sprintf("score: a mean of %d and a covariance of %d entries", d, len(cov)))
	}
	return &Gaussian{Mean: append([]float64(nil), mean...), Cov: mat.NewSymDense(d, append([]float64(nil), cov...))}
}

// Fit returns the Gaussian fit of the n rows of f (n, d): their mean and
// their covariance with the unbiased denominator n−1 (numpy's np.cov, as
// the FID reference code uses), in float64. It panics if n < 2.
func Fit(f []float32, n, d int) *Gaussian {
	if n < 2 {
		panic(fmt.Sprintf("score: a covariance of %d samples", n))
	}
	x := mat.NewDense(n, d, nil)
	raw := x.RawMatrix()
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+d]
		for j, v := range f[i*d : (i+1)*d] {
			row[j] = float64(v)
		}
	}
	g := &Gaussian{Mean: make([]float64, d), Cov: mat.NewSymDense(d, nil)}
	for j := range d {
		g.Mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	stat.CovarianceMatrix(g.Cov, x, nil)
	return g
}

// Dim returns the dimension d.
func (g *Gaussian) Dim() int { return len(g.Mean) }

// Sqrt returns Cov^½, the symmetric positive semi-definite square root of
// the covariance, V·diag(√max(λ, 0))·Vᵀ from its eigendecomposition
// Cov = V·diag(λ)·Vᵀ (rounding can make an eigenvalue of a singular
// covariance slightly negative). It is computed once and kept: Gaussian is
// not safe for concurrent use.
func (g *Gaussian) Sqrt() *mat.SymDense {
	if g.sqrt == nil {
		var e mat.EigenSym
		if !e.Factorize(g.Cov, true) {
			panic("score: the eigendecomposition of a covariance did not converge")
		}
		lambda := e.Values(nil)
		var v mat.Dense
		e.VectorsTo(&v)
		for i, l := range lambda {
			lambda[i] = math.Sqrt(max(l, 0))
		}
		var vs mat.Dense // V·diag(√λ)
		vs.Apply(func(_, j int, x float64) float64 { return x * lambda[j] }, &v)
		var s mat.Dense
		s.Mul(&vs, v.T())
		g.sqrt = symmetric(&s)
	}
	return g.sqrt
}

// symmetric returns (a + aᵀ)/2, removing the rounding that leaves a
// product meant to be symmetric slightly asymmetric.
func symmetric(a *mat.Dense) *mat.SymDense {
	d, _ := a.Dims()
	s := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

// Frechet returns the Fréchet distance (the 2-Wasserstein distance
// squared) between the Gaussians a and b:
//
//	‖μa − μb‖² + Tr(Σa + Σb − 2·(Σa·Σb)^½)
//
// (Dowson & Landau 1982; the FID of Heusel et al. 2017). Σa·Σb is not
// symmetric, so its square root is taken in the symmetric form
//
//	Tr (Σa·Σb)^½ = Tr (Σa^½·Σb·Σa^½)^½ = Σ_i √λ_i(Σa^½·Σb·Σa^½)
//
// (the two matrices are similar), the eigenvalues of a symmetric positive
// semi-definite matrix, each clipped at 0 against rounding: no complex
// square roots as scipy's sqrtm gives. Σa^½ is kept on a (Sqrt), so a
// reference passed as a is decomposed once however many b it is compared
// with. The result is clipped at 0 too. It panics if the dimensions differ.
func Frechet(a, b *Gaussian) float64 {
	d := a.Dim()
	if b.Dim() != d {
		panic(fmt.Sprintf("score: Fréchet distance between %d and %d dimensions", d, b.Dim()))
	}
	var dist float64
	for i, m := range a.Mean {
		dist += (m - b.Mean[i]) * (m - b.Mean[i])
	}
	for i := range d {
		dist += a.Cov.At(i, i) + b.Cov.At(i, i)
	}
	s := a.Sqrt()
	var sb, m mat.Dense
	sb.Mul(s, b.Cov)
	m.Mul(&sb, s)
	var e mat.EigenSym
	if !e.Factorize(symmetric(&m), false) {
		panic("score: the eigendecomposition in a Fréchet distance did not converge")
	}
	var tr float64
	for _, l := range e.Values(nil) {
		tr += math.Sqrt(max(l, 0))
	}
	return max(dist-2*tr, 0)
}
