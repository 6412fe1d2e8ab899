package pca

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"latentlab/core/data"

	"gonum.org/v1/gonum/mat"
)

// orthonormal returns k random orthonormal vectors of dim values.
func orthonormal(r *rand.Rand, k, dim int) [][]float64 {
	var us [][]float64
	for len(us) < k {
		v := make([]float64, dim)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		for _, u := range us {
			d := dot(u, v)
			for i := range v {
				v[i] -= d * u[i]
			}
		}
		n := math.Sqrt(dot(v, v))
		for i := range v {
			v[i] /= n
		}
		us = append(us, v)
	}
	return us
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// star returns the 2·len(us) rows mean ± a_i·u_i, whose sample covariance
// is Σ 2a_i²/(rows−1) u_i u_iᵀ exactly: principal axes u_i, variances
// 2a_i²/(rows−1).
func star(mean []float64, us [][]float64, a []float64) []float32 {
	dim := len(mean)
	var x []float32
	for i, u := range us {
		for _, s := range []float64{1, -1} {
			for j := range dim {
				x = append(x, float32(mean[j]+s*a[i]*u[j]))
			}
		}
	}
	return x
}

// signFixed returns u with the sign convention of Fit.
func signFixed(u []float64) []float64 {
	v := append([]float64(nil), u...)
	fixSign(v)
	return v
}

// checkAxes checks p's components and variances against the star of us
// and a (a decreasing).
func checkAxes(t *testing.T, p *Projection, us [][]float64, a []float64, rows int, tol float64) {
	t.Helper()
	for c := range p.K {
		want := signFixed(us[c])
		got := p.Components[c*p.Dim : (c+1)*p.Dim]
		for j := range want {
			if math.Abs(got[j]-want[j]) > tol {
				t.Fatalf("component %d entry %d: %v, want %v", c, j, got[j], want[j])
			}
		}
		v := 2 * a[c] * a[c] / float64(rows-1)
		if math.Abs(p.Variance[c]-v) > tol*v {
			t.Errorf("variance %d: %v, want %v", c, p.Variance[c], v)
		}
	}
}

// TestKnownAxes: on hand-made data whose covariance is known exactly,
// Fit finds its principal axes (in order, with the sign convention), its
// variances and its mean, both with the whole eigendecomposition (3-D) and
// with subspace iteration (100-D, above DirectDim).
func TestKnownAxes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		dim, k int
		a      []float64
	}{
		{3, 2, []float64{5, 2, 0.5}},
		{3, 3, []float64{5, 2, 0.5}},
		{100, 3, []float64{10, 8, 6, 4, 2}},
		{100, 5, []float64{10, 8, 6, 4, 2}},
	} {
		us := orthonormal(r, len(tc.a), tc.dim)
		mean := make([]float64, tc.dim)
		for j := range mean {
			mean[j] = r.Float64()*4 - 2
		}
		x := star(mean, us, tc.a)
		rows := 2 * len(tc.a)
		p, err := Fit(x, rows, tc.dim, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		if p.Dim != tc.dim || p.K != tc.k || len(p.Components) != tc.k*tc.dim {
			t.Fatalf("dim %d k %d: projection of dim %d k %d with %d component values", tc.dim, tc.k, p.Dim, p.K, len(p.Components))
		}
		for j := range mean {
			if math.Abs(p.Mean[j]-mean[j]) > 1e-5 {
				t.Fatalf("dim %d: mean %v, want %v", tc.dim, p.Mean[j], mean[j])
			}
		}
		checkAxes(t, p, us, tc.a, rows, 1e-5)

		// Project: the mean goes to 0, mean + 3u₁ − 2u₂ to (3, −2, 0…)
		// up to the components' signs.
		src := make([]float32, 2*tc.dim)
		want := make([]float64, 2*tc.k)
		for j := range tc.dim {
			src[j] = float32(mean[j])
			src[tc.dim+j] = float32(mean[j] + 3*us[0][j] - 2*us[1][j])
		}
		s0, s1 := dot(signFixed(us[0]), us[0]), dot(signFixed(us[1]), us[1])
		want[tc.k], want[tc.k+1] = 3*s0, -2*s1
		dst := make([]float32, 2*tc.k)
		p.Project(dst, src, 2)
		for i := range dst {
			if math.Abs(float64(dst[i])-want[i]) > 1e-4 {
				t.Errorf("dim %d: projection %v, want %v", tc.dim, dst, want)
				break
			}
		}
	}
}

// TestIterationMatchesEigen: on random correlated data above DirectDim,
// the subspace iteration finds the components and variances that the
// whole eigendecomposition finds.
func TestIterationMatchesEigen(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const rows, dim, k = 300, 90, 4
	// Rows with decaying scales along random axes plus isotropic noise.
	us := orthonormal(r, 12, dim)
	x := make([]float32, rows*dim)
	for i := range rows {
		for a, u := range us {
			c := r.NormFloat64() * 12 / float64(a+1)
			for j := range dim {
				x[i*dim+j] += float32(c * u[j])
			}
		}
		for j := range dim {
			x[i*dim+j] += float32(0.3 * r.NormFloat64())
		}
	}
	p, err := Fit(x, rows, dim, k) // dim > DirectDim: subspace iteration
	if err != nil {
		t.Fatal(err)
	}
	// The whole eigendecomposition of the same covariance.
	xc := mat.NewDense(rows, dim, nil)
	for i := range rows {
		for j := range dim {
			xc.Set(i, j, float64(x[i*dim+j])-p.Mean[j])
		}
	}
	vecs, vals, ok := eigen(covariance(xc))
	if !ok {
		t.Fatal("EigenSym failed")
	}
	p2 := &Projection{Dim: dim, K: k, Components: make([]float64, k*dim), Variance: vals[:k]}
	for c := range k {
		mat.Col(p2.Components[c*dim:(c+1)*dim], c, vecs)
		fixSign(p2.Components[c*dim : (c+1)*dim])
	}
	var worst float64
	for c := range k {
		for j := range dim {
			worst = math.Max(worst, math.Abs(p.Components[c*dim+j]-p2.Components[c*dim+j]))
		}
		if math.Abs(p.Variance[c]-p2.Variance[c]) > 1e-8*p2.Variance[0] {
			t.Errorf("variance %d: %v by iteration, %v in full", c, p.Variance[c], p2.Variance[c])
		}
	}
	t.Logf("largest difference between the components by iteration and in full: %.2g; variances %.3f", worst, p.Variance)
	if worst > 1e-6 {
		t.Errorf("components differ by up to %v", worst)
	}
}

// TestSignConvention: every component's largest entry is positive, so
// fitting the negated, shifted or reordered data gives the same
// components, and the same plot.
func TestSignConvention(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const rows, dim, k = 200, 6, 3
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = float32(r.NormFloat64() * float64(1+i%dim))
	}
	neg := make([]float32, len(x))
	rev := make([]float32, len(x))
	for i, v := range x {
		neg[i] = 7 - v
	}
	for i := range rows {
		copy(rev[i*dim:(i+1)*dim], x[(rows-1-i)*dim:(rows-i)*dim])
	}
	p, err := Fit(x, rows, dim, k)
	if err != nil {
		t.Fatal(err)
	}
	for c := range k {
		comp := p.Components[c*dim : (c+1)*dim]
		best := 0
		for j, v := range comp {
			if math.Abs(v) > math.Abs(comp[best]) {
				best = j
			}
		}
		if comp[best] <= 0 {
			t.Errorf("component %d %v: largest entry not positive", c, comp)
		}
	}
	for name, y := range map[string][]float32{"negated and shifted": neg, "rows reversed": rev} {
		q, err := Fit(y, rows, dim, k)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Components {
			if math.Abs(p.Components[i]-q.Components[i]) > 1e-6 { // float32 data: 7 − v rounds
				t.Fatalf("%s: components %v, first fit %v", name, q.Components, p.Components)
			}
		}
	}
}

// TestProjectAllocatesNothing, and projects into a destination of exactly
// rows·K values.
func TestProjectAllocatesNothing(t *testing.T) {
	const rows, dim = 50, 10
	x := make([]float32, rows*dim)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	p, err := Fit(x, rows, dim, 2)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, rows*2)
	if a := testing.AllocsPerRun(10, func() { p.Project(dst, x, rows) }); a != 0 {
		t.Errorf("Project allocates %v times", a)
	}
	// The projections of centred data have the fitted variances.
	for c := range 2 {
		var s float64
		for i := range rows {
			s += float64(dst[i*2+c]) * float64(dst[i*2+c])
		}
		if v := s / (rows - 1); math.Abs(v-p.Variance[c]) > 1e-4*p.Variance[c] {
			t.Errorf("variance of projections along %d: %v, fitted %v", c, v, p.Variance[c])
		}
	}
}

// TestFitErrors: what Fit refuses, saying why.
func TestFitErrors(t *testing.T) {
	x := make([]float32, 12)
	nan := make([]float32, 12)
	nan[5] = float32(math.NaN())
	for _, tc := range []struct {
		x            []float32
		rows, dim, k int
		want         string
	}{
		{x, 1, 4, 2, "at least 2 rows"},
		{x, 3, 4, 5, "5 components of rows of 4"},
		{x, 3, 4, 0, "0 components"},
		{x, 3, 0, 1, "rows of 0"},
		{x, 4, 4, 2, "12 values for 4 rows"},
		{nan, 3, 4, 2, "NaN"},
	} {
		_, err := Fit(tc.x, tc.rows, tc.dim, tc.k)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fit(%d rows, dim %d, k %d): error %v, want one saying %q", tc.rows, tc.dim, tc.k, err, tc.want)
		}
	}
	// Rows all alike have no principal direction but still a projection
	// (every coordinate 0).
	p, err := Fit(make([]float32, 30), 10, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	dst := []float32{1, 1}
	p.Project(dst, []float32{0, 0, 0}, 1)
	if dst[0] != 0 || dst[1] != 0 || p.Variance[0] != 0 {
		t.Errorf("constant rows: projection %v, variances %v", dst, p.Variance)
	}
}

// TestDigits fits the pixels of real MNIST test digits (the committed
// subset; 784 values, subspace iteration), as the page does beside a 2-D
// code: the components are unit, orthogonal eigenvectors of the
// covariance with decreasing variances, and the first two explain what
// PCA of MNIST is known to (about 10 % and 7 % of the variance).
func TestDigits(t *testing.T) {
	_, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	rows := te.N
	if testing.Short() {
		rows = 300 // wasm
	}
	x := make([]float32, rows*784)
	idx := make([]int, rows)
	for i := range idx {
		idx[i] = i
	}
	te.Fill(x, nil, idx)
	start := time.Now()
	p, err := Fit(x, rows, 784, 2)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// Total variance, and Cv for each component, from the data directly.
	var total float64
	mean := p.Mean
	for i := range rows {
		for j := range 784 {
			d := float64(x[i*784+j]) - mean[j]
			total += d * d / float64(rows-1)
		}
	}
	for c := range 2 {
		v := p.Components[c*784 : (c+1)*784]
		if n := dot(v, v); math.Abs(n-1) > 1e-9 {
			t.Errorf("component %d has norm² %v", c, n)
		}
		// C·v = Xcᵀ(Xc·v)/(rows−1)
		cv := make([]float64, 784)
		for i := range rows {
			var s float64
			for j := range 784 {
				s += (float64(x[i*784+j]) - mean[j]) * v[j]
			}
			for j := range 784 {
				cv[j] += s * (float64(x[i*784+j]) - mean[j]) / float64(rows-1)
			}
		}
		var res float64
		for j := range cv {
			d := cv[j] - p.Variance[c]*v[j]
			res += d * d
		}
		if math.Sqrt(res) > 1e-6*p.Variance[0] {
			t.Errorf("component %d: residual ‖Cv − λv‖ = %v", c, math.Sqrt(res))
		}
	}
	if d := dot(p.Components[:784], p.Components[784:]); math.Abs(d) > 1e-9 {
		t.Errorf("components not orthogonal: dot %v", d)
	}
	f0, f1 := p.Variance[0]/total, p.Variance[1]/total
	t.Logf("%d digits fitted in %v: variances %.3f, %.3f of total %.2f (%.1f %%, %.1f %%)",
		rows, took.Round(time.Millisecond), p.Variance[0], p.Variance[1], total, 100*f0, 100*f1)
	if !(p.Variance[0] >= p.Variance[1] && f0 > 0.07 && f0 < 0.14 && f1 > 0.05 && f1 < 0.11) {
		t.Errorf("explained variance %.3f, %.3f is not MNIST's", f0, f1)
	}
}

// TestLift: lifting coordinates onto the plane of a PCA or of two axes and
// projecting back gives the coordinates; the lifted row keeps the base's
// part off the plane; Axes refuses impossible axes.
func TestLift(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const rows, dim = 200, 6
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = float32(r.NormFloat64() * float64(1+i%dim))
	}
	pca, err := Fit(x, rows, dim, 2)
	if err != nil {
		t.Fatal(err)
	}
	axes, err := Axes(x, rows, dim, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Projection{pca, axes} {
		coords := []float32{1.5, -2.25}
		z := make([]float32, dim)
		p.Lift(z, p.Mean, coords)
		back := make([]float32, 2)
		p.Project(back, z, 1)
		for c := range coords {
			if math.Abs(float64(back[c]-coords[c])) > 1e-5 {
				t.Errorf("Project(Lift(%v)) = %v", coords, back)
			}
		}
		// Off the plane, z is the mean: z − Mean lies in the plane.
		var off float64
		for j := range dim {
			d := float64(z[j]) - p.Mean[j]
			for c := range p.K {
				var s float64
				for k := range dim {
					s += (float64(z[k]) - p.Mean[k]) * p.Components[c*dim+k]
				}
				d -= s * p.Components[c*dim+j]
			}
			off += d * d
		}
		if off > 1e-8 {
			t.Errorf("lifted row leaves the plane through the mean by %g", off)
		}
	}
	// Axes: the coordinates are the values themselves, the rest the mean.
	z := make([]float32, dim)
	axes.Lift(z, axes.Mean, []float32{7, 9})
	if z[3] != 7 || z[1] != 9 || math.Abs(float64(z[0])-axes.Mean[0]) > 1e-6 {
		t.Errorf("Axes lift %v (mean %v)", z, axes.Mean)
	}
	for _, bad := range [][]int{{}, {1, 1}, {0, dim}, {-1}, {0, 1, 2}} {
		if _, err := Axes(x, rows, dim, bad...); err == nil {
			t.Errorf("Axes(%v) accepted", bad)
		}
	}
}
