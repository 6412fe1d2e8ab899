package score

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestFitHandComputed: the mean and the n−1 covariance of four points,
// worked by hand.
func TestFitHandComputed(t *testing.T) {
	// (0,0), (1,2), (2,1), (3,3): mean (1.5, 1.5); deviations
	// (−1.5,−1.5), (−0.5,0.5), (0.5,−0.5), (1.5,1.5); variances
	// (2.25+0.25+0.25+2.25)/3 = 5/3, covariance (2.25−0.25−0.25+2.25)/3 = 4/3.
	g := Fit([]float32{0, 0, 1, 2, 2, 1, 3, 3}, 4, 2)
	want := []float64{5. / 3, 4. / 3, 4. / 3, 5. / 3}
	if !near(g.Mean[0], 1.5, 1e-12) || !near(g.Mean[1], 1.5, 1e-12) {
		t.Errorf("mean %v", g.Mean)
	}
	for i := range 2 {
		for j := range 2 {
			if got := g.Cov.At(i, j); !near(got, want[2*i+j], 1e-12) {
				t.Errorf("cov[%d][%d] %v, want %v", i, j, got, want[2*i+j])
			}
		}
	}
}

// TestFrechetHandComputed covers cases worked by hand, where Σa and Σb
// commute and where they do not.
func TestFrechetHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ma, ca     []float64
		mb, cb     []float64
		want       float64
		derivation string
	}{
		{"diagonal", []float64{0, 0}, []float64{1, 0, 0, 4}, []float64{1, 2}, []float64{4, 0, 0, 1}, 7,
			"‖(1,2)‖² = 5; Tr Σa + Tr Σb = 10; (Σa·Σb)^½ = diag(2, 2): 5 + 10 − 8"},
		{"not commuting", []float64{0, 0}, []float64{2, 1, 1, 2}, []float64{0, 0}, []float64{1, 0, 0, 4},
			9 - 2*math.Sqrt(10+2*math.Sqrt(12)),
			"Σa·Σb = [[2,4],[1,8]], trace 10, determinant 12; for a 2×2 matrix with eigenvalues λ1, λ2, " +
				"(√λ1 + √λ2)² = λ1 + λ2 + 2√(λ1λ2), so Tr (Σa·Σb)^½ = √(10 + 2√12); Tr Σa + Tr Σb = 9"},
		{"not commuting, with the identity", []float64{1, 1}, []float64{2, 1, 1, 2}, []float64{0, 1}, []float64{1, 0, 0, 1},
			1 + 6 - 2*(math.Sqrt(3)+1), "Σa has eigenvalues 3 and 1: 1 + (4 + 2) − 2(√3 + 1)"},
		{"scaled identity", []float64{0, 0, 0}, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, []float64{0, 0, 0}, []float64{9, 0, 0, 0, 9, 0, 0, 0, 9},
			12, "d(1 − s)² with d = 3, s = 3"},
		{"singular, itself", []float64{1, 2}, []float64{1, 1, 1, 1}, []float64{1, 2}, []float64{1, 1, 1, 1}, 0,
			"a rank-1 covariance, whose eigenvalue 0 rounding may make negative"},
	} {
		a, b := NewGaussian(tc.ma, tc.ca), NewGaussian(tc.mb, tc.cb)
		got, back := Frechet(a, b), Frechet(b, a)
		if !near(got, tc.want, 1e-9) || !near(back, tc.want, 1e-9) {
			t.Errorf("%s: %v (and %v the other way round), want %v: %s", tc.name, got, back, tc.want, tc.derivation)
		}
	}
}

// randomCov returns a random d×d covariance A·Aᵀ/d + 0.1·I.
func randomCov(r *rand.Rand, d int) []float64 {
	a := make([]float64, d*d)
	for i := range a {
		a[i] = r.NormFloat64()
	}
	c := make([]float64, d*d)
	for i := range d {
		for j := range d {
			for k := range d {
				c[i*d+j] += a[i*d+k] * a[j*d+k] / float64(d)
			}
		}
		c[i*d+i] += 0.1
	}
	return c
}

// TestFrechetMatchesProductEigenvalues: on random 12-D Gaussians, the
// symmetric form agrees with Tr (Σa·Σb)^½ taken from the (real, positive)
// eigenvalues of the product itself, by gonum's general eigensolver.
func TestFrechetMatchesProductEigenvalues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const d = 12
	for trial := range 5 {
		ma, mb := make([]float64, d), make([]float64, d)
		for i := range d {
			ma[i], mb[i] = r.NormFloat64(), r.NormFloat64()
		}
		ca, cb := randomCov(r, d), randomCov(r, d)
		var prod mat.Dense
		prod.Mul(mat.NewDense(d, d, ca), mat.NewDense(d, d, cb))
		var e mat.Eigen
		if !e.Factorize(&prod, mat.EigenNone) {
			t.Fatal("eigendecomposition failed")
		}
		var want float64
		for i := range d {
			want += (ma[i]-mb[i])*(ma[i]-mb[i]) + ca[i*d+i] + cb[i*d+i]
		}
		for _, l := range e.Values(nil) {
			want -= 2 * real(cmplx.Sqrt(l))
		}
		a, b := NewGaussian(ma, ca), NewGaussian(mb, cb)
		if got, back := Frechet(a, b), Frechet(b, a); !near(got, want, 1e-9) || !near(back, want, 1e-9) {
			t.Errorf("trial %d: %v and %v, the product's eigenvalues give %v", trial, got, back, want)
		}
		if self := Frechet(a, a); self > 1e-9 {
			t.Errorf("trial %d: distance %v to itself", trial, self)
		}
	}
}

// TestEntropy: the entropy of class histograms.
func TestEntropy(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		want   float64
	}{
		{[]int{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, math.Log(10)},
		{[]int{0, 7, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
		{[]int{1, 1, 0, 2}, 1.5 * math.Ln2},
		{[]int{0, 0}, 0},
	} {
		if got := Entropy(tc.counts); !near(got, tc.want, 1e-12) {
			t.Errorf("Entropy(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}
